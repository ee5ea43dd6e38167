"""Formatting for KPI deltas and unknowns; plain numbers and money use the `firstline` filters."""

from decimal import Decimal

from django import template

from firstline.core import formatting

register = template.Library()

UNKNOWN_LABELS = {
    "won_without_amount": "won deals without an amount",
    "lost_without_amount": "lost deals without an amount",
    "open_without_amount": "open deals without an amount",
    "won_without_date": "won deals without a close date",
    "lost_without_date": "lost deals without a close date",
    "open_without_date": "open deals without a close date",
}


@register.filter
def signed_percent(value) -> str:
    """+12 % / −3 %: a change, with its sign; "no data" when there is nothing to compare with."""
    if value is None:
        return "no data"
    share = Decimal(value)
    sign = "+" if share > 0 else "−" if share < 0 else "±"
    return f"{sign}{formatting.percent(abs(share))}"


@register.filter
def points(value) -> str:
    """A difference of two percentages, in percentage points."""
    if value is None:
        return "no comparison"
    number = Decimal(value) * 100
    sign = "+" if number > 0 else "−" if number < 0 else "±"
    return f"{sign}{abs(number):.0f} pts"


@register.filter
def unknown_label(key: str) -> str:
    return UNKNOWN_LABELS.get(key, key.replace("_", " "))


@register.filter
def subtract(value, other):
    return Decimal(value or 0) - Decimal(other or 0)
