"""Drawing the deals in a forked worker (opportunities.drawn_batches) gives the same batches, the same
totals and leaves the random stream where drawing them here leaves it; the stays in stages counted
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
from firstline.demo.opportunities import PipelineTotals, _context, build_opportunities, drawn_batches
from firstline.demo.timeline import timeline as build_timeline
from firstline.kpis.forecast import learn_stage_days
from firstline.pipeline.models import Opportunity


def drawn(context, *, in_worker: bool, count: int):
    rng = Random(11)
    totals = PipelineTotals(
        won_by_seller_quarter=[[0.0] * len(context.timeline.quarters) for _ in context.sellers]
    )
    batches = list(drawn_batches(rng, context, count, totals, in_worker=in_worker))
    return batches, totals, rng.random()


@pytest.mark.django_db
def test_deals_drawn_in_a_worker_are_the_deals_drawn_here(monkeypatch):
    monkeypatch.setattr(opportunities, "BATCH_SIZE", 70)
    timeline = build_timeline()
    company = build_company(rng=Random(1), sellers=20, timeline=timeline)
    books = build_accounts(rng=Random(2), sellers=company.sellers, count=200, progress=None)
    context = _context(sellers=company.sellers, books=books, process=build_sales_process(), timeline=timeline)

    here = drawn(context, in_worker=False, count=500)
    there = drawn(context, in_worker=True, count=500)
    assert [len(batch) for batch in there[0]] == [70] * 7 + [10]
    assert there == here
    assert here[1].won and here[1].lost and any(any(row) for row in here[1].won_by_seller_quarter)


@pytest.mark.django_db
def test_a_worker_that_fails_stops_the_demo_with_its_error(monkeypatch):
    timeline = build_timeline()
    company = build_company(rng=Random(1), sellers=20, timeline=timeline)
    books = build_accounts(rng=Random(2), sellers=company.sellers, count=200, progress=None)
    context = _context(sellers=company.sellers, books=books, process=build_sales_process(), timeline=timeline)

    def broken(*_args):
        raise ValueError("no deals today")

    monkeypatch.setattr(opportunities, "_batch", broken)
    with pytest.raises(RuntimeError, match="no deals today"):
        drawn(context, in_worker=True, count=100)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("zone", "in_worker"), [("UTC", False), ("America/Santiago", True), ("Asia/Kathmandu", False)]
)
def test_stays_counted_while_drawing_are_the_stays_read_back(monkeypatch, zone, in_worker):
    if in_worker:
        monkeypatch.setattr(opportunities, "BATCH_SIZE", 400)
        monkeypatch.setattr(opportunities, "WORKER_FROM", 1_000)
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
            parallel=in_worker,
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
