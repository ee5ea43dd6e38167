"""Small display helpers for coaching and talent pages (scores, movement, eNPS)."""

from decimal import Decimal

from babel.numbers import format_decimal
from django import template

from firstline.core.formatting import NO_DATA, current_locale

register = template.Library()


@register.filter
def number(value, places: int = 0) -> str:
    """A figure with `places` decimals in the locale's form (the formatting module's locale), or
    "no data"."""
    if value is None:
        return NO_DATA
    pattern = "#,##0" + ("." + "0" * int(places) if int(places) else "")
    return format_decimal(Decimal(value), format=pattern, locale=current_locale())


@register.filter
def signed(value) -> str:
    """A movement: +1, −2, 0 (with a real minus sign); "—" when there is nothing to compare."""
    if value is None:
        return "—"
    if value > 0:
        return f"+{value}"
    return f"−{abs(value)}" if value < 0 else "0"


@register.filter
def heat(score) -> str:
    """The CSS class for a score's colour; the number itself is always shown beside it."""
    if score is None:
        return "heat-none"
    return f"heat-{round(Decimal(score))}"


@register.filter
def enps_class(value) -> str:
    if value is None:
        return ""
    return "badge-won" if value > 0 else ("badge-lost" if value < 0 else "")
