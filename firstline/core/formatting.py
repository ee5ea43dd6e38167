"""Numbers, money and dates written for people, the same on pages, exports and charts.

One module so that a figure never reads one way in a table and another in a card:

    money(80000, "USD")            "$80,000"      a single amount, exact (cents only when there are any)
    money_compact(28450, "USD")    "$28K"         amounts side by side: two significant digits below 10
                                                  of a unit ($1.2M, $9.5K), whole units from 10 ($116K)
    count(3330)                    "3,330"
    percent(Decimal("0.833"))      "83%"
    ratio(Decimal("5.13"))         "5.1×"         coverage as sales people say it
    date(day)                      "Jan 12, 2026"

Locale rules (separators, symbol position, date order) come from Babel for the active Django
language. Missing values are never shown as 0: an absent amount, count or date is NO_VALUE ("—"), and
a ratio without a denominator is NO_DATA ("no data"), the KPI rule of DESIGN.md.

Pure: no request, no database; callers pass the currency of the amount they show.
"""

from datetime import date as Date
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache

from babel import Locale
from babel.dates import format_date
from babel.numbers import format_compact_currency, format_currency, format_decimal, format_percent

NO_VALUE = "—"
NO_DATA = "no data"

_ONE = Decimal(1)
_TENTH = Decimal("0.1")
_THOUSAND = Decimal(1000)


@lru_cache(maxsize=32)
def _locale_of(language: str) -> Locale:
    from django.utils import translation

    return Locale.parse(translation.to_locale(language))


def current_locale() -> Locale:
    """The Babel locale for Django's active language (settings.LANGUAGE_CODE outside a request)."""
    from django.conf import settings
    from django.utils import translation

    return _locale_of(translation.get_language() or settings.LANGUAGE_CODE)


def default_currency() -> str:
    from django.conf import settings

    return settings.DEFAULT_CURRENCY


def _decimal(value) -> Decimal | None:
    if value is None or value == "":
        return None
    return value if isinstance(value, Decimal) else Decimal(str(value))


def money(value, currency: str | None = None, *, locale: Locale | None = None) -> str:
    """One amount in full with its currency symbol: "$80,000", "$80,000.50"."""
    amount = _decimal(value)
    if amount is None:
        return NO_VALUE
    whole = amount == amount.to_integral_value()
    return format_currency(
        amount,
        currency or default_currency(),
        format="¤#,##0" if whole else "¤#,##0.00",
        currency_digits=False,
        locale=locale or current_locale(),
    )


def _round_for_compact(amount: Decimal) -> Decimal:
    """Round to what a compact figure shows, so the abbreviation and its digits always agree."""
    size = abs(amount)
    if size < _THOUSAND:
        return amount.quantize(_ONE, ROUND_HALF_UP)
    unit = _THOUSAND
    while size >= unit * _THOUSAND:
        unit *= _THOUSAND
    scaled = size / unit
    step = _ONE if scaled >= 10 else _TENTH
    rounded = scaled.quantize(step, ROUND_HALF_UP) * unit
    return rounded if amount >= 0 else -rounded


def money_compact(value, currency: str | None = None, *, locale: Locale | None = None) -> str:
    """An amount among others, abbreviated: "$28K", "$116K", "$1.2M"."""
    amount = _decimal(value)
    if amount is None:
        return NO_VALUE
    return _compact_currency(
        _round_for_compact(amount), currency or default_currency(), locale or current_locale()
    )


# Rounded amounts repeat down a table ($28K, $1.2M), and Babel takes a tenth of a millisecond each.
@lru_cache(maxsize=4096)
def _compact_currency(amount: Decimal, currency: str, locale: Locale) -> str:
    return format_compact_currency(amount, currency, fraction_digits=1, locale=locale)


def count(value, *, locale: Locale | None = None) -> str:
    """A whole number with the locale's grouping: "3,330"."""
    if value is None or value == "":
        return NO_VALUE
    return format_decimal(int(value), format="#,##0", locale=locale or current_locale())


def percent(value, *, locale: Locale | None = None) -> str:
    """A share (0.83) as a whole percent: "83%"; None (no denominator) is "no data"."""
    share = _decimal(value)
    if share is None:
        return NO_DATA
    return format_percent(share, format="#,##0%", locale=locale or current_locale())


def percent_precise(value, *, locale: Locale | None = None) -> str:
    """A share where a tenth of a percent matters (balance, tolerance): "1.9%"."""
    share = _decimal(value)
    if share is None:
        return NO_DATA
    return format_percent(share, format="#,##0.0%", locale=locale or current_locale())


def signed_percent(value, *, locale: Locale | None = None) -> str:
    """A deviation from a fair share, with its sign: "+3.2%", "−0.4%"."""
    share = _decimal(value)
    if share is None:
        return NO_DATA
    text = format_percent(abs(share), format="#,##0.0%", locale=locale or current_locale())
    return ("−" if share < 0 else "+") + text


def ratio(value, *, locale: Locale | None = None) -> str:
    """A multiple (5.13) to one decimal: "5.1×"; None (no denominator) is "no data"."""
    multiple = _decimal(value)
    if multiple is None:
        return NO_DATA
    return format_decimal(multiple, format="#,##0.0", locale=locale or current_locale()) + "×"


def date(value, *, locale: Locale | None = None) -> str:
    """A day in the locale's medium form: "Jan 12, 2026" (en-US), "12 Jan 2026" (en-GB)."""
    if value is None or value == "":
        return NO_VALUE
    if isinstance(value, datetime):
        from django.utils import timezone

        value = timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    if not isinstance(value, Date):
        return str(value)
    return format_date(value, format="medium", locale=locale or current_locale())


def plain_amount(value) -> str:
    """An amount as typed into a form: no grouping, no trailing ".00" ("80000", "80000.5")."""
    amount = _decimal(value)
    if amount is None:
        return ""
    if amount == amount.to_integral_value():
        return str(amount.quantize(_ONE))
    return format(amount.normalize(), "f")
