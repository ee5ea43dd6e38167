from decimal import Decimal

from django import forms
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from firstline.core import formatting
from firstline.core.formatting import plain_amount
from firstline.core.periods import PERIOD_HELP, PeriodError, fiscal_calendar

# How the API schema describes a period label.
PERIOD_SCHEMA = {
    "type": "string",
    "pattern": r"^[0-9]{4}(Q[1-4]|-(0[1-9]|1[0-2])|YTD)?$",
    "description": PERIOD_HELP,
    "example": "2025Q3",
}


def period_choices(today=None) -> list[tuple[str, str]]:
    """(label, description) of the periods offered in every period picker."""
    today = today or timezone.localdate()
    return [
        (period.label, f"{name} · {formatting.date(period.start)} – {formatting.date(period.end)}")
        for period, name in fiscal_calendar().recent(today)
    ]


class PeriodInput(forms.TextInput):
    """A text box with the usual periods as choices (a datalist), so picking is one click and typing
    any label still works."""

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        context["widget"]["attrs"].setdefault("list", f"{context['widget']['attrs'].get('id', name)}-choices")
        context["widget"]["attrs"].setdefault("autocomplete", "off")
        return context

    def render(self, name, value, attrs=None, renderer=None):
        html = super().render(name, value, attrs, renderer)
        list_id = f"{(attrs or {}).get('id', name)}-choices"
        options = format_html_join("", '<option value="{}">{}</option>', period_choices())
        return format_html('{}<datalist id="{}">{}</datalist>', html, list_id, options)


class PeriodField(forms.CharField):
    """A period label (2025, 2025Q3, 2025-07, 2025YTD), cleaned into a Period."""

    widget = PeriodInput

    def __init__(self, **kwargs):
        kwargs.setdefault("help_text", PERIOD_HELP)
        super().__init__(**kwargs)

    def clean(self, value):
        value = super().clean(value)
        if not value:
            return None
        try:
            return fiscal_calendar().parse(value)
        except PeriodError as error:
            # As a parameter, so that a "%" the user typed is not read as a placeholder.
            raise forms.ValidationError("%(reason)s", params={"reason": str(error)}) from None


class AmountInput(forms.NumberInput):
    """An amount as people type it: 80000, not the database's 80000.00."""

    def format_value(self, value):
        if isinstance(value, Decimal):
            return plain_amount(value)
        return super().format_value(value)
