from decimal import Decimal

from django import forms

from firstline.core.formatting import plain_amount
from firstline.core.periods import PERIOD_HELP, PeriodError, fiscal_calendar


class PeriodField(forms.CharField):
    """A period label (2025, 2025Q3, 2025-07, 2025YTD), cleaned into a Period."""

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
            raise forms.ValidationError(str(error)) from None


class AmountInput(forms.NumberInput):
    """An amount as people type it: 80000, not the database's 80000.00."""

    def format_value(self, value):
        if isinstance(value, Decimal):
            return plain_amount(value)
        return super().format_value(value)
