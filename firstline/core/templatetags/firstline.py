"""Template filters over firstline.core.formatting, so pages write numbers exactly as exports and
charts do: {{ amount|money:currency }}, {{ amount|money_compact }}, {{ n|count }}, {{ share|percent }},
{{ coverage|ratio }}, {{ day|day }} (a date; Django's own `date` filter keeps its name)."""

from decimal import Decimal

from django import template
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.safestring import mark_safe

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


@register.simple_tag
def period_input(period):
    """The `period` box of a page's period form: the same picker as in every filter form."""
    from firstline.core.forms import PeriodInput

    return PeriodInput(attrs={"size": 10, "aria-describedby": "period-help"}).render(
        "period", period.label, {"id": "period"}
    )


def _classes(*, numeric: bool, optional: bool) -> str:
    names = [name for name, wanted in (("num", numeric), ("optional", optional)) if wanted]
    return f' class="{" ".join(names)}"' if names else ""


@register.simple_tag(takes_context=True)
def sort_header(context, key, label, numeric=False, default="", optional=False):
    """A column header that sorts the list by `key` (a FilterSet `ordering` value) with aria-sort.

    The first click sorts text A→Z and numbers largest first; the next click reverses. `default` is the
    ordering the list has when the address names none, so its column shows as sorted. `optional`
    columns give way on a phone, where a row keeps its name, amount and status.
    """
    current = context["request"].GET.get("ordering") or default
    ascending, descending = current == key, current == f"-{key}"
    first_click = f"-{key}" if numeric else key
    target = (key if descending else f"-{key}") if ascending or descending else first_click
    aria = ' aria-sort="ascending"' if ascending else ' aria-sort="descending"' if descending else ""
    return format_html(
        '<th scope="col"{}{}><a href="{}">{}</a></th>',
        mark_safe(_classes(numeric=numeric, optional=optional)),
        mark_safe(aria),
        query_with(context, ordering=target, page=1),
        label,
    )
