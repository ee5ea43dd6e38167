"""Drawing the deals a batch ahead in a thread (opportunities._drawn_ahead) gives the same batches, the
same totals and leaves the random stream where drawing them here leaves it; the stays in stages counted
while drawing are the ones the statistics refresh would read back from the stored stage changes."""

from random import Random
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from firstline.deals.selectors import stage_entries
from firstline.demo import opportunities
from firstline.demo.accounts import build_accounts, build_sales_process
from firstline.demo.company import build_company
from firstline.demo.deals import _stays_by_team
from firstline.demo.opportunities import PipelineTotals, _context, _drawn, _drawn_ahead, build_opportunities
from firstline.demo.timeline import timeline as build_timeline
from firstline.kpis.forecast import learn_stage_days
from firstline.pipeline.models import Opportunity


def drawn(context, *, ahead: bool, count: int):
    rng = Random(11)
    totals = PipelineTotals(
        won_by_seller_quarter=[[0.0] * len(context.timeline.quarters) for _ in context.sellers]
    )
    batches = _drawn(rng, context, count, totals)
    batches = list(_drawn_ahead(batches) if ahead else batches)
    return batches, totals, rng.random()


@pytest.fixture
def context():
    timeline = build_timeline()
    company = build_company(rng=Random(1), sellers=20, timeline=timeline)
    books = build_accounts(rng=Random(2), sellers=company.sellers, count=200, progress=None)
    return _context(sellers=company.sellers, books=books, process=build_sales_process(), timeline=timeline)


@pytest.mark.django_db
def test_deals_drawn_ahead_in_a_thread_are_the_deals_drawn_here(monkeypatch, context):
    monkeypatch.setattr(opportunities, "BATCH_SIZE", 70)
    here = drawn(context, ahead=False, count=500)
    ahead = drawn(context, ahead=True, count=500)
    assert [len(batch) for batch in ahead[0]] == [70] * 7 + [10]
    assert ahead == here
    assert here[1].won and here[1].lost and any(any(row) for row in here[1].won_by_seller_quarter)


@pytest.mark.django_db
def test_an_error_while_drawing_ahead_reaches_the_caller(monkeypatch, context):
    def broken(*_args):
        raise ValueError("no deals today")

    monkeypatch.setattr(opportunities, "_batch", broken)
    with pytest.raises(ValueError, match="no deals today"):
        drawn(context, ahead=True, count=100)


@pytest.mark.django_db
@pytest.mark.parametrize("zone", ["UTC", "America/Santiago", "Asia/Kathmandu"])
def test_stays_counted_while_drawing_are_the_stays_read_back(monkeypatch, zone):
    monkeypatch.setattr(opportunities, "BATCH_SIZE", 400)
    with timezone.override(ZoneInfo(zone)):
        timeline = build_timeline()
        company = build_company(rng=Random(1), sellers=30, timeline=timeline)
        books = build_accounts(rng=Random(2), sellers=company.sellers, count=300, progress=None)
        totals = build_opportunities(
            rng=Random(3),
            sellers=company.sellers,
            books=books,
            process=build_sales_process(),
            timeline=timeline,
            count=3_000,
            progress=None,
        )
        read_back = learn_stage_days(
            stage_entries(Opportunity.objects.all()), as_of=timeline.today
        ).stage_days
        counted = _stays_by_team(totals.stage_stays).stage_days
    assert list(counted) == list(read_back)  # the same keys, first met in the same order
    assert {key: sorted(days) for key, days in counted.items()} == {
        key: sorted(days) for key, days in read_back.items()
    }
    assert len({team for team, _stage in counted}) > 3
