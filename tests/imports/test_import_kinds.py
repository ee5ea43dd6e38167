from datetime import date, timedelta
from decimal import Decimal

from django.test import TestCase
from django.utils import timezone

from firstline.io.engine import ImportRefused, run_import
from firstline.io.models import ImportRun
from firstline.io.services import import_run_create, import_run_execute, import_undo
from firstline.org.models import Membership
from firstline.org.services import membership_move
from firstline.pipeline.models import Account, Product
from firstline.targets.models import Target
from tests.world import build_world


class OtherKindsTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.world = build_world()

    def run_as(self, persona, kind, text, **options):
        return run_import(actor=self.world.users[persona], kind=kind, data=text.encode(), **options)[0]

    def test_accounts_update_by_external_id_and_match_by_name_without_one(self):
        report = self.run_as(
            "manager_1", "accounts", "Account Name,Owner,Industry\nAcme Corp,Alice Archer,Chemicals\n"
        )
        assert (report.created, report.updated) == (0, 1)
        assert Account.objects.get(pk=self.world.account_a.pk).industry == "Chemicals"
        text = "Account ID,Account Name,Owner,Segment\nB-1,Blue Harbor,Bob Baker,SMB\n"
        assert self.run_as("manager_1", "accounts", text).created == 1
        again = self.run_as("manager_1", "accounts", text.replace("Blue Harbor", "Blue Harbour"))
        assert (again.created, again.updated) == (0, 1)
        assert Account.objects.get(external_id="B-1").name == "Blue Harbour"

    def test_a_manager_cannot_import_accounts_for_another_team(self):
        report = self.run_as("manager_1", "accounts", "Account Name,Owner\nNew West Co,Carol Cole\n")
        assert not report.written and report.rejected[0].field == "owner"

    def test_only_admins_import_products_and_people(self):
        for kind, text in (
            ("products", "Code,Name\nP1,Pulse\n"),
            ("people", "Name,Email\nX,x@example.com\n"),
        ):
            with self.assertRaises(ImportRefused):
                self.run_as("manager_1", kind, text)
        assert self.run_as(
            "admin", "products", "Product Code,Product Name\nIC,Insight Cloud\nPU,Pulse\n"
        ).counts() == {"rows": 2, "created": 1, "updated": 0, "unchanged": 1, "rejected": 0}
        assert Product.objects.filter(code="PU").exists()

    def test_targets_for_the_team_by_period_and_not_for_oneself(self):
        period = self.world.target_a.period
        text = f'Seller,Quarter,Quota\nAlice Archer,{period},"350,000"\nBob Baker,{period},100000\n'
        report = self.run_as("manager_1", "targets", text)
        assert (report.created, report.updated) == (1, 1)
        assert Target.objects.get(pk=self.world.target_a.pk).amount == Decimal("350000")
        bob = Target.objects.get(person=self.world.people["seller_b"])
        assert (bob.start, bob.end) == (self.world.target_a.start, self.world.target_a.end)
        own = self.run_as("seller_a", "targets", f"Seller,Quarter,Quota\nAlice Archer,{period},1\n")
        assert not own.written  # sellers do not set their own targets

    def test_a_bad_period_is_named(self):
        report = self.run_as("admin", "targets", "Seller,Period,Quota\nAlice Archer,sometime,5\n")
        assert report.rejected[0].field == "period"


class PeopleUndoTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.world = build_world()

    def test_undo_restores_a_membership_the_import_replaced_on_its_start_day(self):
        """A move on the day a membership began replaces it (membership_move deletes it rather than
        end it the day before it started); undo must bring that membership back."""
        w, today = self.world, timezone.localdate()
        alice = w.people["seller_a"]
        membership_move(person=alice, team=w.west, on=today)
        run = import_run_create(
            actor=w.users["admin"],
            kind="people",
            file_name="people.csv",
            data=b"Name,Email,Manager\nAlice Archer,seller_a@example.com,Mia Moore\n",
        )
        import_run_execute(run, dry_run=False)
        assert Membership.objects.get(person=alice, end__isnull=True).team == w.east
        import_undo(actor=w.users["admin"], run=ImportRun.objects.get(pk=run.pk))
        current = Membership.objects.get(person=alice, end__isnull=True)
        assert (current.team, current.start) == (w.west, today)
        assert list(Membership.objects.filter(person=alice).values_list("team", "start", "end")) == [
            (w.east.pk, date(2024, 1, 1), today - timedelta(days=1)),
            (w.west.pk, today, None),
        ]
