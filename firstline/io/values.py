"""Cell values as CRMs write them: dates in several orders, amounts with currencies and separators."""

import re
import unicodedata
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

DATE_FORMATS = {"iso": "YYYY-MM-DD", "us": "MM/DD/YYYY", "eu": "DD/MM/YYYY"}
_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ][\d:.+\-Z]*)?$")
_SLASHED = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{2}|\d{4})(?:[T ][\d:. APMapm]*)?$")
_CURRENCY_SYMBOLS = {"$": "USD", "€": "EUR", "£": "GBP", "¥": "JPY", "₹": "INR", "CHF": "CHF", "kr": "SEK"}
# Amounts as the columns keep them: 14 digits, 2 after the point (both databases round to the cent).
MAX_AMOUNT = Decimal("999999999999.99")
CENT = Decimal("0.01")
_PLAIN = re.compile(r"-?\d{1,12}(\.\d{1,2})?")  # already such an amount: no rounding, no limit to check
_AMOUNT_STRIP = re.compile(r"[A-Za-z$€£¥₹\s\u00a0\u202f']")


class ValueProblem(ValueError):
    """One cell cannot be read; the message says why (the row and column are added by the caller)."""


def normalise(text: str) -> str:
    """Case, accents, spacing and punctuation removed: "GTX Pro", "gtx-pro" and "GTXPro" all read gtxpro."""
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]", "", text.lower())


def date_order(values) -> str | None:
    """Which order a column's slashed dates use: "us", "eu", None if every value is ambiguous.
    Raises ValueProblem if the column mixes both orders."""
    us = eu = False
    for value in values:
        match = _SLASHED.match(value.strip())
        if not match:
            continue
        first, second = int(match[1]), int(match[2])
        us |= second > 12
        eu |= first > 12
    if us and eu:
        raise ValueProblem("the column mixes month-first and day-first dates")
    return "us" if us else "eu" if eu else None


def has_ambiguous_dates(values) -> bool:
    return any(_SLASHED.match(value.strip()) for value in values)


def parse_date(value: str, order: str | None) -> date:
    value = value.strip()
    if len(value) == 10 and value[4] == "-":
        try:  # the common case, in C
            return date.fromisoformat(value)
        except ValueError:
            pass
    match = _ISO.match(value)
    try:
        if match:
            return date(int(match[1]), int(match[2]), int(match[3]))
        match = _SLASHED.match(value)
        if match:
            if order is None:
                raise ValueProblem(f"{value!r} could be month-first or day-first; set the date format")
            first, second, year = int(match[1]), int(match[2]), int(match[3])
            year += 2000 if year < 100 else 0
            month, day = (first, second) if order == "us" else (second, first)
            return date(year, month, day)
    except ValueError as error:
        if isinstance(error, ValueProblem):
            raise
        raise ValueProblem(f"{value!r} is not a real date") from None
    raise ValueProblem(f"{value!r} is not a date (use YYYY-MM-DD, MM/DD/YYYY or DD/MM/YYYY)")


def parse_amount(value: str) -> tuple[Decimal, str | None]:
    """Amounts as CRMs write them: "USD 1,054.00" → (1054.00, "USD"); "1.054,00 €" → (1054.00, "EUR");
    rounded to the cent, as the columns keep them, and at most MAX_AMOUNT."""
    text = value.strip()
    if _PLAIN.fullmatch(text):  # the common case: no currency, no separators
        return Decimal(text), None
    currency = _currency_in(text)
    digits = _AMOUNT_STRIP.sub("", text)
    if not digits or not re.fullmatch(r"-?[\d.,]+", digits):
        raise ValueProblem(f"{value!r} is not an amount")
    last_dot, last_comma = digits.rfind("."), digits.rfind(",")
    if last_dot >= 0 and last_comma >= 0:
        decimal_mark = "." if last_dot > last_comma else ","
    elif last_comma >= 0:
        # "1,054" is a thousands separator, "10,5" a decimal comma.
        decimal_mark = "," if digits.count(",") == 1 and len(digits) - last_comma - 1 != 3 else ""
    elif last_dot >= 0:
        # "1.054.000" groups thousands; a single dot is a decimal point ("1.5", "1054.00").
        decimal_mark = "." if digits.count(".") == 1 else ""
    else:
        decimal_mark = ""
    thousands = {".": ",", ",": ".", "": ",."}[decimal_mark]
    whole = digits.rsplit(decimal_mark, 1)[0] if decimal_mark else digits
    groups = re.split(r"[.,]", whole.lstrip("-"))
    if len(groups) > 1 and (not 1 <= len(groups[0]) <= 3 or any(len(g) != 3 for g in groups[1:])):
        raise ValueProblem(f"{value!r} has thousands separators in odd places")
    cleaned = digits.translate({ord(c): None for c in thousands}).replace(",", ".")
    try:
        amount = Decimal(cleaned)
    except InvalidOperation:
        raise ValueProblem(f"{value!r} is not an amount") from None
    if not amount.is_finite():
        raise ValueProblem(f"{value!r} is not an amount")
    if abs(amount) > MAX_AMOUNT:
        raise ValueProblem(f"is too large (at most {MAX_AMOUNT:,})")
    return amount.quantize(CENT, ROUND_HALF_UP), currency


def _currency_in(text: str) -> str | None:
    code = re.search(r"\b([A-Z]{3})\b", text)
    if code:
        return code[1]
    for symbol, iso in _CURRENCY_SYMBOLS.items():
        if symbol in text:
            return iso
    return None
