"""Template filters over firstline.core.formatting, so pages write numbers exactly as exports and
charts do: {{ amount|money:currency }}, {{ amount|money_compact }}, {{ n|count }}, {{ share|percent }},
{{ coverage|ratio }}, {{ day|day }} (a date; Django's own `date` filter keeps its name)."""

from decimal import Decimal

from django import template
from django.utils.http import urlencode

from firstline.core import formatting

register = template.Library()


@register.filter
def money(value, currency=None) -> str:
    return formatting.money(value, currency or None)


@register.filter
def money_compact(value, currency=None) -> str:
    return formatting.money_compact(value, currency or None)


@register.filter
def count(value) -> str:
    return formatting.count(value)


@register.filter
def percent(value) -> str:
    return formatting.percent(value)


@register.filter
def ratio(value) -> str:
    return formatting.ratio(value)


@register.filter
def day(value) -> str:
    return formatting.date(value)


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
