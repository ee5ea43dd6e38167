from django import forms

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
