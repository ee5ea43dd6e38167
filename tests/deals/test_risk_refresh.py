"""The stored risk signals against a reference: the rules applied to facts gathered deal by deal
through the ORM, on odd deals (no close date, no amount, no stakeholders, many slips, amount cuts,
past close, a stage left and come back to, a deal closed since). The refresh reads deals as columns
and writes through core.bulk; the live page builds the same facts from model instances."""

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from unittest import mock

from auditlog.models import LogEntry
from django.test import TestCase
from django.utils import timezone

from firstline.deals import services
from firstline.deals.models import ActionItem, RiskSignal, StageStatistic
from firstline.deals.risk import DealFacts, signals
from firstline.deals.selectors import deal_facts, deal_rows, risk_context, rows_facts
from firstline.org.models import Membership
from firstline.pipeline.models import Opportunity, Outcome, SalesStage, StageChange
from firstline.relationships.models import Contact, Stakeholder
from tests.world import build_world


def _day(text: str) -> date | None:
    return None if text == "None" else date.fromisoformat(text[:10])


def _amount(text: str) -> float | None:
    return None if text == "None" else float(Decimal(text))


def reference_facts(deal: Opportunity, today: date) -> DealFacts:
    """One open deal's facts the plain way: each record read through the ORM, one deal at a time."""
    history = [
        (timezone.localtime(change.changed_at).date(), change.stage.order)
        for change in deal.stage_changes.select_related("stage").order_by("changed_at", "pk")
    ]
    open_orders = list(SalesStage.objects.filter(outcome=Outcome.OPEN).order_by("order"))
    qualifying = open_orders[1].order if len(open_orders) > 1 else None
    entered = ([day for day, order in history if order == deal.stage.order] or [deal.created])[-1]
    reached = [day for day, order in history if qualifying is not None and order >= qualifying]
    qualified = reached[0] if reached else None
    if qualified is None and qualifying is not None and deal.stage.order >= qualifying:
        qualified = entered
    membership = Membership.objects.current().filter(person_id=deal.owner_id).first()
    team_id = membership.team_id if membership else None
    thresholds = StageStatistic.objects.filter(stage=deal.stage).exclude(stall_days=None)
    threshold = thresholds.filter(team_id=team_id).first() or thresholds.filter(team=None).first()
    edits = {"close_date": [], "amount": []}
    for entry in (
        LogEntry.objects.get_for_object(deal)
        .filter(action=LogEntry.Action.UPDATE)
        .order_by("timestamp", "pk")
    ):
        for name, parse in (("close_date", _day), ("amount", _amount)):
            if name in entry.changes_dict:
                old, new = entry.changes_dict[name]
                edits[name].append((timezone.localtime(entry.timestamp).date(), parse(old), parse(new)))
    return DealFacts(
        today=today,
        stage_name=deal.stage.name,
        stage_entered=entered,
        qualified_since=qualified,
        stall_limit=(threshold.stall_days, threshold.stall_sample) if threshold else None,
        close_date=deal.close_date,
        close_date_changes=tuple(edits["close_date"]),
        amount=None if deal.amount is None else float(deal.amount),
        amount_changes=tuple(edits["amount"]),
        stakeholder_roles=tuple(deal.stakeholders.values_list("role", flat=True)),
        next_step=deal.next_step,
        open_action_items=deal.action_items.filter(done_on=None).count(),
        created=deal.created,
    )


def canonical(facts: dict[int, DealFacts]) -> dict[int, DealFacts]:
    """The facts with the stakeholders' roles sorted: the rules do not care for their order."""
    return {
        pk: replace(one, stakeholder_roles=tuple(sorted(one.stakeholder_roles))) for pk, one in facts.items()
    }


class RiskRefreshTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.world = build_world()
        cls.today = timezone.localdate()
        cls._thresholds()
        cls.odd = {
            "bare": cls._deal("seller_b", "propose", amount=None, close_date=None, next_step=""),
            "slips": cls._deal("seller_c", "propose", history=[("prospect", 70), ("propose", 20)]),
            "cuts": cls._deal("seller_a", "prospect", amount=Decimal("100000.10")),
            "past": cls._deal("seller_c", "prospect", close_date=cls.today - timedelta(days=1), next_step=""),
            "long_past": cls._deal("seller_b", "propose", close_date=cls.today - timedelta(days=400)),
            "back": cls._deal(
                "seller_a", "prospect", history=[("prospect", 90), ("propose", 60), ("prospect", 5)]
            ),
            "stalled": cls._deal("seller_c", "propose", history=[("propose", 45)]),
            "grouped": cls._deal("seller_a", "propose", history=[("propose", 45)], next_step=""),
            "closed": cls._deal("seller_a", "won", history=[("propose", 45), ("won", 3)]),
        }
        cls._edit("slips", [("close_date", 30), ("close_date", 20), ("close_date", -15), ("close_date", 40)])
        cls._edit("cuts", [("amount", Decimal("150000")), ("amount", Decimal("120000")), ("amount", None)])
        cls.odd["cuts"].amount = Decimal("80000.55")
        cls.odd["cuts"].save()
        cls._people_on_deals()
        RiskSignal.objects.create(
            opportunity=cls.odd["closed"],
            kind="stalled",
            reason="old",
            since=cls.today,
            computed_on=cls.today,
        )

    @classmethod
    def _thresholds(cls) -> None:
        """The company's and East's (longer) stall limits in Propose; none learned for Prospect."""
        stages, today = cls.world.stages, cls.today
        StageStatistic.objects.create(
            stage=stages["propose"], stall_days=12.5, stall_sample=40, computed_on=today
        )
        StageStatistic.objects.create(
            team=cls.world.east, stage=stages["propose"], stall_days=30, stall_sample=25, computed_on=today
        )
        StageStatistic.objects.create(stage=stages["prospect"], stall_days=None, computed_on=today)

    @classmethod
    def _people_on_deals(cls) -> None:
        """Stakeholders on three deals, an open action item on one and a done one on another."""
        for index, (key, roles) in enumerate(
            [
                ("grouped", ["economic_buyer", "champion", "user"]),
                ("stalled", ["champion"]),
                ("back", ["user"]),
            ]
        ):
            deal = cls.odd[key]
            for number, role in enumerate(roles):
                contact = Contact.objects.create(account=deal.account, name=f"Contact {index}.{number}")
                Stakeholder.objects.create(
                    account=deal.account, opportunity=deal, contact=contact, role=role, influence=5 - number
                )
        people = cls.world.people
        ActionItem.objects.create(opportunity=cls.odd["past"], owner=people["seller_c"], text="Call")
        ActionItem.objects.create(
            opportunity=cls.odd["grouped"], owner=people["seller_a"], text="Done", done_on=cls.today
        )

    @classmethod
    def _deal(cls, owner, stage, *, history=(), **fields) -> Opportunity:
        world = cls.world
        account = world.account_c if owner == "seller_c" else world.account_a
        values = {
            "amount": Decimal("50000"),
            "close_date": cls.today + timedelta(days=30),
            "next_step": "Call",
        }
        deal = Opportunity.objects.create(
            name=f"{owner} {stage}",
            account=account,
            owner=world.people[owner],
            stage=world.stages[stage],
            created=cls.today - timedelta(days=120),
            closed_on=cls.today - timedelta(days=3) if stage == "won" else None,
            **{**values, **fields},
        )
        for name, days_ago in history:
            StageChange.objects.create(
                opportunity=deal,
                stage=world.stages[name],
                # Late in the evening UTC: another day in zones east of it.
                changed_at=datetime.combine(cls.today - timedelta(days=days_ago), datetime.min.time(), UTC)
                + timedelta(hours=22, minutes=45),
            )
        return deal

    @classmethod
    def _edit(cls, key, edits) -> None:
        """Save each edit of the deal (the audit log records it), each one a few days after the last."""
        deal = cls.odd[key]
        for number, (name, value) in enumerate(edits):
            if name == "close_date":
                value = deal.close_date + timedelta(days=value)
            setattr(deal, name, value)
            deal.save()
            LogEntry.objects.filter(pk=LogEntry.objects.latest("pk").pk).update(
                timestamp=timezone.now() - timedelta(days=40 - 7 * number, hours=1)
            )

    def open_deals(self) -> list[Opportunity]:
        return list(Opportunity.objects.open().select_related("stage").order_by("pk"))

    def expected_rows(self) -> list[tuple]:
        return [
            (deal.pk, signal.kind, signal.reason[:300], signal.since, self.today)
            for deal in self.open_deals()
            for signal in signals(reference_facts(deal, self.today))
        ]

    def stored_rows(self) -> list[tuple]:
        rows = RiskSignal.objects.order_by("pk").values_list(
            "opportunity_id", "kind", "reason", "since", "computed_on"
        )
        return list(rows)

    def test_the_odd_deals_trip_what_they_should(self):
        kinds = {
            key: {signal.kind for signal in signals(reference_facts(deal, self.today))}
            for key, deal in self.odd.items()
            if key != "closed"
        }
        assert kinds["bare"] >= {"single_threaded", "no_power", "no_next_step"}
        assert "past_close" not in kinds["bare"] and "amount_cut" not in kinds["bare"]
        assert {"slipped", "stalled"} <= kinds["slips"]
        assert "amount_cut" in kinds["cuts"]
        assert "past_close" in kinds["past"] and "no_next_step" not in kinds["past"]
        assert "past_close" in kinds["long_past"]
        assert kinds["back"] == {"single_threaded", "no_power"}  # qualified once, and it stays so
        assert kinds["stalled"] == {"stalled", "single_threaded", "no_power"}
        assert kinds["grouped"] == {"stalled", "no_next_step"}  # East waits 30 days, not 12.5

    def test_the_page_and_the_refresh_see_the_same_facts_as_the_reference(self):
        deals = self.open_deals()
        expected = {deal.pk: reference_facts(deal, self.today) for deal in deals}
        assert canonical(deal_facts(deals, self.today)) == canonical(expected)
        context = risk_context(self.today)
        refreshed = {}
        for rows in deal_rows(Opportunity.objects.all(), size=3):
            refreshed.update(rows_facts(rows, context))
        assert canonical(refreshed) == canonical(expected)

    def test_facts_follow_the_local_day_east_and_west_of_utc(self):
        for zone in ("Asia/Kolkata", "America/St_Johns"):
            with timezone.override(zone):
                deals = self.open_deals()
                expected = {deal.pk: reference_facts(deal, self.today) for deal in deals}
                assert canonical(deal_facts(deals, self.today)) == canonical(expected)
                refreshed = {}
                context = risk_context(self.today)
                for rows in deal_rows(Opportunity.objects.open(), size=4):
                    refreshed.update(rows_facts(rows, context))
                assert canonical(refreshed) == canonical(expected)

    def test_the_refresh_stores_the_reference_signals_in_order(self):
        for batch in (2_000, 3):
            with mock.patch.object(services, "RISK_BATCH", batch):
                stored = services.risk_refresh(today=self.today)
            assert self.stored_rows() == self.expected_rows()
            assert stored == len(self.expected_rows())
            ids = list(RiskSignal.objects.order_by("pk").values_list("pk", flat=True))
            assert ids == list(range(ids[0], ids[0] + len(ids)))

    def test_a_refresh_of_some_deals_leaves_the_others_alone(self):
        services.risk_refresh(today=self.today)
        before = {row[0] for row in self.stored_rows()}
        RiskSignal.objects.create(
            opportunity=self.odd["closed"],
            kind="stalled",
            reason="old",
            since=self.today,
            computed_on=self.today,
        )
        chosen = [self.odd["bare"].pk, self.odd["closed"].pk, self.odd["past"].pk]
        Stakeholder.objects.filter(opportunity=self.odd["stalled"]).delete()  # not refreshed: no change
        services.risk_refresh(opportunities=Opportunity.objects.filter(pk__in=chosen), today=self.today)
        assert not RiskSignal.objects.filter(opportunity=self.odd["closed"]).exists()
        assert {row[0] for row in self.stored_rows()} == before
        ours = [row for row in self.stored_rows() if row[0] in chosen]
        assert ours == [row for row in self.expected_rows() if row[0] in chosen]
