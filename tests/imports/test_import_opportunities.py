from datetime import date
from decimal import Decimal
from unittest import mock

from django.test import TestCase
from django.utils import timezone

from firstline.io.engine import ImportRefused, run_import
from firstline.io.models import ImportRun
from firstline.io.services import import_run_create, import_run_execute, import_undo
from firstline.pipeline.models import Opportunity, SalesStage, StageChange
from tests.world import build_world

HEADER = "Opportunity ID,Deal Name,Sales Rep,Company,Amount,Status,Created Date,Close Date\r\n"


def run(world, text, persona="admin", encoding="utf-8", **options):
    data = text.encode(encoding) if isinstance(text, str) else text
    return run_import(
        actor=world.users[persona], kind="opportunities", data=data, filename="deals.csv", **options
    )


class OpportunityImportTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.world = build_world()

    def test_a_clean_file_creates_deals_with_history(self):
        text = HEADER + (
            'X-1,Acme upsell,Alice Archer,Acme Corp,"USD 1,054.00",Closed Won,2024-01-05,2024-03-01\r\n'
            "X-2,Acme pilot,seller_a@example.com,Acme Corp,500,Prospect,2024-02-01,2024-06-30\r\n"
        )
        report, _changes = run(self.world, text)
        assert report.counts() == {"rows": 2, "created": 2, "updated": 0, "unchanged": 0, "rejected": 0}, (
            report.rejected
        )
        won = Opportunity.objects.get(external_id="X-1")
        assert (won.amount, won.currency, won.stage.name, str(won.closed_on)) == (
            Decimal("1054.00"),
            "USD",
            "Closed Won",
            "2024-03-01",
        )
        assert won.owner == self.world.people["seller_a"] and won.account == self.world.account_a
        # One stage change a deal: to its stage, at 9:00 local time on the day it closed or began.
        changes = StageChange.objects.filter(opportunity__external_id__in=["X-1", "X-2"])
        assert sorted(
            (
                change.opportunity.external_id,
                change.stage.name,
                f"{timezone.localtime(change.changed_at):%Y-%m-%d %H:%M}",
            )
            for change in changes
        ) == [("X-1", "Closed Won", "2024-03-01 09:00"), ("X-2", "Prospect", "2024-02-01 09:00")]

    def test_first_stage_changes_written_a_few_days_at_a_time(self):
        text = HEADER + "".join(
            f"X-{day},Deal {day},Alice Archer,Acme Corp,100,Prospect,2024-01-{day:02d},2024-06-30\r\n"
            for day in range(1, 8)
        )
        with mock.patch("firstline.io.opportunities.DAYS_PER_STATEMENT", 3):
            report, _changes = run(self.world, text)
        assert report.created == 7
        changes = StageChange.objects.filter(opportunity__external_id__startswith="X-")
        assert sorted((c.opportunity.name, timezone.localtime(c.changed_at).day) for c in changes) == [
            (f"Deal {day}", day) for day in range(1, 8)
        ]

    def test_re_importing_the_same_file_changes_nothing_and_a_changed_row_updates(self):
        text = HEADER + "X-1,Acme upsell,Alice Archer,Acme Corp,1000,Prospect,2024-01-05,2024-03-01\r\n"
        run(self.world, text)
        again, _ = run(self.world, text)
        assert (again.created, again.updated, again.unchanged) == (0, 0, 1)
        changed, _ = run(self.world, text.replace("1000,Prospect", "1200,Propose"))
        assert (changed.created, changed.updated) == (0, 1)
        deal = Opportunity.objects.get(external_id="X-1")
        assert deal.amount == 1200 and deal.stage_changes.count() == 2

    def test_one_bad_row_writes_nothing(self):
        before = Opportunity.objects.count()
        text = HEADER + (
            "X-1,Good,Alice Archer,Acme Corp,100,Prospect,2024-01-05,2024-03-01\r\n"
            "X-2,Bad,Nobody Known,Acme Corp,100,Prospect,2024-01-05,2024-03-01\r\n"
        )
        report, _ = run(self.world, text)
        assert not report.written and Opportunity.objects.count() == before
        assert [str(e) for e in report.rejected] == [
            "line 3, owner: 'Nobody Known' no person you may import for by this id or name"
        ]

    def test_skip_bad_rows_imports_the_good_ones(self):
        text = HEADER + (
            "X-1,Good,Alice Archer,Acme Corp,100,Prospect,2024-01-05,2024-03-01\r\n"
            "X-2,Bad,Alice Archer,Acme Corp,lots,Prospect,2024-01-05,2024-03-01\r\n"
        )
        report, _ = run(self.world, text, skip_bad_rows=True)
        assert report.written and report.created == 1
        assert Opportunity.objects.filter(external_id="X-1").exists()
        assert not Opportunity.objects.filter(external_id="X-2").exists()

    def test_amounts_are_kept_in_cents_and_an_amount_too_large_for_the_column_is_rejected(self):
        text = HEADER + (
            "X-1,Fractions,Alice Archer,Acme Corp,1054.005,Prospect,2024-01-05,2024-03-01\r\n"
            "X-2,Huge,Alice Archer,Acme Corp,1000000000000,Prospect,2024-01-05,2024-03-01\r\n"
            f"X-3,Absurd,Alice Archer,Acme Corp,{'9' * 40},Prospect,2024-01-05,2024-03-01\r\n"
        )
        report, _ = run(self.world, text, skip_bad_rows=True)
        assert Opportunity.objects.get(external_id="X-1").amount == Decimal("1054.01")
        assert [str(e) for e in report.rejected] == [
            "line 3, amount: '1000000000000' is too large (at most 999,999,999,999.99)",
            f"line 4, amount: '{'9' * 40}' is too large (at most 999,999,999,999.99)",
        ]

    def test_empty_values_stay_unknown_and_a_missing_name_is_derived(self):
        text = (
            "Id,Owner,Account,Amount,Stage,Created,Close date,Engaged\n"
            + "E-1,Alice Archer,,,Prospect,2024-05-01,,\n"
        )
        text += "E-2,Alice Archer,Acme Corp,,Prospect,2024-05-01,,\n"
        report, _ = run(self.world, text)
        assert report.written, report.rejected
        bare, with_account = (
            Opportunity.objects.get(external_id="E-1"),
            Opportunity.objects.get(external_id="E-2"),
        )
        assert (bare.name, bare.account, bare.amount, bare.close_date, bare.engaged_on) == (
            "E-1",
            None,
            None,
            None,
            None,
        )
        assert with_account.name == "Acme Corp"

    def test_crm_stage_words_are_recognised_and_unknown_open_stages_added(self):
        text = HEADER + (
            "S-1,a,Alice Archer,Acme Corp,1,Won,2024-01-05,2024-03-01\r\n"
            "S-2,b,Alice Archer,Acme Corp,1,Lost,2024-01-05,2024-03-01\r\n"
            "S-3,c,Alice Archer,Acme Corp,1,Verbal Commit,2024-01-05,2024-03-01\r\n"
        )
        report, _ = run(self.world, text)
        outcomes = dict(
            Opportunity.objects.filter(external_id__startswith="S-").values_list(
                "external_id", "stage__outcome"
            )
        )
        assert outcomes == {"S-1": "won", "S-2": "lost", "S-3": "open"}
        added = SalesStage.objects.get(name="Verbal Commit")
        assert added.order > max(SalesStage.objects.exclude(pk=added.pk).values_list("order", flat=True))
        assert any("Verbal Commit" in note for note in report.notes)

    def test_a_manager_imports_only_into_their_team(self):
        text = HEADER + "M-1,x,Carol Cole,Cobalt Ltd,1,Prospect,2024-01-05,2024-03-01\r\n"
        report, _ = run(self.world, text, persona="manager_1")
        assert not report.written
        assert report.rejected[0].field == "owner"  # Carol is in West: as unknown as nobody
        mine, _ = run(self.world, text.replace("Carol Cole,Cobalt Ltd", "Bob Baker,"), persona="manager_1")
        assert mine.written

    def test_a_file_without_the_needed_columns_names_them(self):
        with self.assertRaises(ImportRefused) as caught:
            run(self.world, "Foo,Bar\n1,2\n")
        message = str(caught.exception)
        assert "owner" in message and "stage" in message and "'Foo'" in message
        assert not Opportunity.objects.filter(name="1").exists()

    def test_near_duplicate_names_resolve_and_are_listed(self):
        text = HEADER + "N-1,x,alice  ARCHER,ACME corp.,1,Prospect,2024-01-05,2024-03-01\r\n"
        report, _ = run(self.world, text)
        assert report.written
        assert report.matches == {"alice  ARCHER": "Alice Archer", "ACME corp.": "Acme Corp"}

    def test_undo_puts_everything_back(self):
        w = self.world
        text = HEADER + (
            "CRM-A,Acme expansion,Alice Archer,Acme Corp,999,Propose,2024-01-05,2024-03-01\r\n"
            "U-2,New,Alice Archer,Acme Corp,5,Prospect,2024-01-05,2024-03-01\r\n"
        )
        importer = import_run_create(
            actor=w.users["admin"], kind="opportunities", file_name="d.csv", data=text.encode()
        )
        import_run_execute(importer, dry_run=False)
        assert Opportunity.objects.get(external_id="CRM-A").amount == 999
        import_undo(actor=w.users["admin"], run=ImportRun.objects.get(pk=importer.pk))
        restored = Opportunity.objects.get(external_id="CRM-A")
        assert (restored.amount, restored.stage, restored.close_date) == (
            w.opportunity_a.amount,
            w.stages["prospect"],
            w.opportunity_a.close_date,
        )
        assert not Opportunity.objects.filter(external_id="U-2").exists()
        assert ImportRun.objects.get(pk=importer.pk).state == "undone"


class ImportKpiResultsTests(TestCase):
    """The import counts its new deals into the KPI roll-ups from memory; the rows must be exactly what
    recomputing every seller from the deals gives."""

    @classmethod
    def setUpTestData(cls):
        cls.world = build_world()

    def roll_ups(self) -> dict:
        from firstline.kpis import models

        tables = {}
        for model in (
            models.SellerMonthResult,
            models.FunnelReach,
            models.TeamMonthResult,
            models.TeamMonthFunnel,
            models.CompanyMonthResult,
            models.CompanyMonthFunnel,
        ):
            names = [f.attname for f in model._meta.concrete_fields if f.attname != "id"]
            tables[model.__name__] = sorted(model.objects.values_list(*names), key=repr)
        return tables

    def test_new_deals_are_counted_as_a_rebuild_counts_them(self):
        from unittest import mock

        from firstline.kpis import rollup
        from firstline.org.models import Membership

        w = self.world
        # Alice moved from East to West on 15 March 2024: her deals count in the team of their day.
        Membership.objects.filter(person=w.people["seller_a"]).update(end=date(2024, 3, 14))
        Membership.objects.create(person=w.people["seller_a"], team=w.west, start=date(2024, 3, 15))
        rollup.results_rebuild()
        text = (
            "Opportunity ID,Deal Name,Sales Rep,Company,Amount,Status,Created Date,Close Date,History\r\n"
            "N-1,Won early,Alice Archer,Acme Corp,1000,Closed Won,2024-01-05,2024-03-01,\r\n"
            "N-2,Won late,Alice Archer,Acme Corp,,Closed Won,2024-02-05,2024-04-01,\r\n"
            "N-3,Lost after a proposal,Alice Archer,,2500,Closed Lost,2024-01-10,2024-03-20,"
            '"Prospect 2024-01-10; Propose 2024-02-01; Closed Lost 2024-03-20"\r\n'
            "N-4,Lost at once,Carol Cole,Cobalt Ltd,700,Closed Lost,2024-02-10,2024-02-28,\r\n"
            "N-5,Open without a close date,Carol Cole,Cobalt Ltd,300,Propose,2024-05-01,,\r\n"
            "N-6,Open,Alice Archer,Acme Corp,,Prospect,2024-06-01,2024-09-30,\r\n"
        )
        with mock.patch.object(rollup, "compute", wraps=rollup.compute) as compute:
            report, _changes = run(w, text)
        assert report.counts()["created"] == 6, report.rejected
        compute.assert_not_called()  # counted from memory, not read back
        imported = self.roll_ups()
        rollup.results_rebuild()
        assert imported == self.roll_ups()

    def test_a_seller_with_changed_deals_is_recomputed_once_and_the_others_counted_from_memory(self):
        from firstline.kpis import rollup

        w = self.world
        header = "Opportunity ID,Deal Name,Sales Rep,Company,Amount,Status,Created Date,Close Date\r\n"
        run(w, header + "M-1,Existing,Alice Archer,Acme Corp,1000,Prospect,2024-01-05,2024-03-01\r\n")
        rollup.results_rebuild()
        text = header + (
            "M-1,Existing,Alice Archer,Acme Corp,1000,Closed Won,2024-01-05,2024-03-01\r\n"  # changed
            "M-2,New for Alice,Alice Archer,Acme Corp,400,Closed Won,2024-02-05,2024-03-10\r\n"
            "M-3,New for Carol,Carol Cole,Cobalt Ltd,700,Closed Lost,2024-02-10,2024-02-28\r\n"
        )
        report, _changes = run(w, text)
        assert (report.created, report.updated) == (2, 1), report.rejected
        imported = self.roll_ups()
        rollup.results_rebuild()
        assert imported == self.roll_ups()


class ImportKpiResultsCountedMeanwhileTests(ImportKpiResultsTests):
    """The same, with the new deals counted in a thread while the database builds the indexes, as a
    large import does."""

    def setUp(self):
        from unittest import mock

        from firstline.io import opportunities
        from firstline.kpis import rollup

        patches = (
            mock.patch.object(opportunities, "COUNT_MEANWHILE_FROM", 0),
            mock.patch.object(
                rollup.NewDeals,
                "count_meanwhile",
                autospec=True,
                side_effect=rollup.NewDeals.count_meanwhile,
            ),
        )
        self.count_meanwhile = [patch.start() for patch in patches][1]
        for patch in patches:
            self.addCleanup(patch.stop)

    def test_the_count_ran_in_a_thread(self):
        text = (
            "Opportunity ID,Deal Name,Sales Rep,Company,Amount,Status,Created Date,Close Date\r\n"
            "T-1,Won,Alice Archer,Acme Corp,1000,Closed Won,2024-01-05,2024-03-01\r\n"
        )
        report, _changes = run(self.world, text)
        assert report.written, report.rejected
        self.count_meanwhile.assert_called_once()
