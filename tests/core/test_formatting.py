"""The one formatting module: money with its symbol, consistent compact precision, grouped counts,
percents, coverage as a multiple, dates, and missing values that never read as 0."""

from datetime import UTC, date, datetime
from decimal import Decimal

from babel import Locale
from django.template import Context, Template
from django.test import SimpleTestCase
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from firstline.core import formatting

GERMAN = Locale.parse("de_DE")


class FormattingTests(SimpleTestCase):
    def test_a_single_amount_carries_its_currency_symbol_and_no_needless_cents(self):
        assert formatting.money(Decimal("80000.00"), "USD") == "$80,000"
        assert formatting.money(Decimal("80000.50"), "USD") == "$80,000.50"
        assert formatting.money(Decimal("80000"), "EUR") == "€80,000"

    def test_compact_amounts_side_by_side_have_the_same_precision(self):
        assert formatting.money_compact(Decimal("28000"), "USD") == "$28K"
        assert formatting.money_compact(Decimal("28450"), "USD") == "$28K"
        assert formatting.money_compact(Decimal("116000"), "USD") == "$116K"
        assert formatting.money_compact(Decimal("1234567"), "USD") == "$1.2M"
        assert formatting.money_compact(Decimal("9500"), "USD") == "$9.5K"
        assert formatting.money_compact(Decimal("950"), "USD") == "$950"
        assert formatting.money_compact(Decimal("0"), "USD") == "$0"

    def test_rounding_up_to_the_next_unit_changes_the_unit(self):
        assert formatting.money_compact(Decimal("999999"), "USD") == "$1M"
        assert formatting.money_compact(Decimal("-12000"), "USD") == "-$12K"

    def test_counts_have_thousands_separators(self):
        assert formatting.count(3330) == "3,330"
        assert formatting.count(3330, locale=GERMAN) == "3.330"

    def test_percent_and_ratio(self):
        assert formatting.percent(Decimal("0.833")) == "83%"
        assert formatting.ratio(Decimal("5.13")) == "5.1×"
        assert formatting.ratio(Decimal("5.13"), locale=GERMAN) == "5,1×"

    def test_missing_values_are_never_zero(self):
        assert formatting.money(None) == formatting.money_compact(None) == "—"
        assert formatting.count(None) == formatting.date(None) == "—"
        assert formatting.percent(None) == formatting.ratio(None) == "no data"

    def test_dates_follow_the_active_language(self):
        day = date(2026, 1, 12)
        assert formatting.date(day) == "Jan 12, 2026"
        with translation.override("en-gb"):
            assert formatting.date(day) == "12 Jan 2026"
        assert formatting.date(datetime(2026, 1, 12, 23, 0, tzinfo=UTC)) == "Jan 12, 2026"

    def test_form_amounts_are_plain(self):
        assert formatting.plain_amount(Decimal("80000.00")) == "80000"
        assert formatting.plain_amount(Decimal("80000.50")) == "80000.5"
        assert formatting.plain_amount(None) == ""

    def test_template_filters_are_the_same_functions(self):
        template = Template(
            "{% load firstline %}{{ a|money:'EUR' }} {{ a|money_compact }} {{ n|count }} "
            "{{ r|ratio }} {{ d|day }}"
        )
        context = Context({"a": Decimal("80000"), "n": 3330, "r": Decimal("5.13"), "d": date(2026, 1, 12)})
        assert template.render(context) == "€80,000 $80K 3,330 5.1× Jan 12, 2026"


@given(st.decimals(min_value=1000, max_value=10**12, places=2, allow_nan=False, allow_infinity=False))
def test_a_compact_amount_is_within_five_percent_of_the_amount(amount):
    shown = formatting._round_for_compact(amount)
    assert abs(shown - amount) <= amount * Decimal("0.05")
    # at most three significant digits: what a person reads at a glance
    assert len(shown.normalize().as_tuple().digits) <= 3
