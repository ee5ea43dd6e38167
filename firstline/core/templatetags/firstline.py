"""Numbers formatted for people: 1.2 M, 83 %, "no data" where a ratio has no denominator."""

from decimal import Decimal

from django import template
from django.utils.http import urlencode

register = template.Library()


@register.filter
def money(value) -> str:
    if value is None or value == "":
        return "—"
    value = Decimal(value)
    sign = "−" if value < 0 else ""
    value = abs(value)
    for threshold, suffix in (
        (Decimal(1_000_000_000), " B"),
        (Decimal(1_000_000), " M"),
        (Decimal(1_000), " k"),
    ):
        if value >= threshold:
            scaled = value / threshold
            return f"{sign}{scaled:.1f}{suffix}" if scaled < 100 else f"{sign}{scaled:.0f}{suffix}"
    return f"{sign}{value:.0f}"


@register.filter
def percent(value) -> str:
    if value is None:
        return "no data"
    return f"{Decimal(value) * 100:.0f} %"


@register.filter
def percent_precise(value) -> str:
    """A share where a tenth of a percent matters (balance, tolerance): 1.9 %."""
    if value is None or value == "":
        return "no data"
    return f"{Decimal(str(value)) * 100:.1f} %"


@register.filter
def signed_percent(value) -> str:
    """A deviation from a mean, with its sign: +3.2 %, −0.4 %."""
    if value is None or value == "":
        return "no data"
    scaled = Decimal(str(value)) * 100
    return f"{'−' if scaled < 0 else '+'}{abs(scaled):.1f} %"


@register.filter
def bar_width(value) -> int:
    """Width of a progress bar in percent, capped at 100 so over-achievers fill it."""
    if value is None:
        return 0
    return max(0, min(100, round(Decimal(value) * 100)))


@register.simple_tag(takes_context=True)
def query_with(context, **changes) -> str:
    """The current query string with some parameters replaced: keeps filters across pages."""
    params = context["request"].GET.copy()
    for key, value in changes.items():
        params[key] = value
    return "?" + urlencode(sorted(params.lists()), doseq=True)
