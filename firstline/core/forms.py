from decimal import Decimal

from django import forms

from firstline.core.formatting import plain_amount
from firstline.core.periods import PERIOD_HELP, PeriodError, fiscal_calendar

# How the API schema describes a period label.
PERIOD_SCHEMA = {
    "type": "string",
    "pattern": r"^[0-9]{4}(Q[1-4]|-(0[1-9]|1[0-2])|YTD)?$",
    "description": PERIOD_HELP,
    "example": "2025Q3",
}


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
            # As a parameter, so that a "%" the user typed is not read as a placeholder.
            raise forms.ValidationError("%(reason)s", params={"reason": str(error)}) from None


class AmountInput(forms.NumberInput):
    """An amount as people type it: 80000, not the database's 80000.00."""

    def format_value(self, value):
        if isinstance(value, Decimal):
            return plain_amount(value)
        return super().format_value(value)
