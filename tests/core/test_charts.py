import itertools
import math
from decimal import Decimal

import pytest

from firstline.core import formatting
from firstline.core.charts import chart, nice_ticks


@pytest.mark.parametrize("top", [0.4, 3, 12, 97, 1_000, 4_321_987, 2.5e9])
def test_ticks_start_at_zero_cover_the_top_in_round_steps(top):
    ticks = nice_ticks(top)
    step = ticks[1] - ticks[0]
    assert ticks[0] == 0
    assert ticks[-2] < top <= ticks[-1]
    assert 3 <= len(ticks) - 1 <= 8
    assert all(b - a == pytest.approx(step) for a, b in itertools.pairwise(ticks))
    assert round(step / 10 ** math.floor(math.log10(step)), 9) in (1, 2, 5)


def test_whole_ticks_for_counts_have_no_fractions():
    assert nice_ticks(1.5) == [0, 0.5, 1, 1.5]
    assert nice_ticks(1.5, whole=True) == [0, 1, 2]


def test_no_values_still_give_an_axis():
    assert nice_ticks(0) == [0.0, 1.0]
    spec = chart("trend", [], [("Won", [])], formatting.money_compact)
    assert spec["axis"]["values"] == [0.0, 1.0]


def test_every_label_on_the_chart_comes_from_the_formatter(settings):
    settings.DEFAULT_CURRENCY = "USD"
    spec = chart(
        "trend",
        ["Q1", "Q2"],
        [("Closed won", [Decimal("1234567"), None]), ("Plan", [Decimal("900000"), Decimal("1000000")])],
        formatting.money_compact,
    )
    assert spec["series"][0]["values"] == [1234567.0, None]
    assert spec["series"][0]["display"] == ["$1.2M", formatting.NO_VALUE]
    assert spec["series"][1]["display"] == ["$900K", "$1M"]
    assert spec["axis"]["values"] == [0, 500_000, 1_000_000, 1_500_000]
    assert spec["axis"]["labels"] == ["$0", "$500K", "$1M", "$1.5M"]
