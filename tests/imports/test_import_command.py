import io
import re
import tempfile
from pathlib import Path

from auditlog.models import LogEntry
from django.core.management import CommandError, call_command
from django.test import TestCase

from firstline.io.models import ImportRun
from firstline.pipeline.models import Account, Opportunity
from tests.world import build_world

DEALS = (
    "Report: open pipeline\n\n"
    "Id;Owner;Company;Value;Status;Created;Close\n"
    "C-1;Alice Archer;Acme Corp;1.500,00 €;Propose;03/04/2024;05/06/2024\n"
    "C-2;Bob Baker;New Prospect Inc;900;Prospect;03/04/2024;\n"
)


class ImportCommandTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.world = build_world()

    def setUp(self):
        self.folder = Path(self.enterContext(tempfile.TemporaryDirectory()))

    def call(self, *args, text=DEALS, mapping=None):
        path = self.folder / "deals.csv"
        path.write_text(text, encoding="utf-8")
        extra = []
        if mapping is not None:
            (self.folder / "mapping.toml").write_text(mapping)
            extra = ["--mapping", str(self.folder / "mapping.toml")]
        out, err = io.StringIO(), io.StringIO()
        call_command("import", "opportunities", str(path), *extra, *args, stdout=out, stderr=err)
        return out.getvalue(), err.getvalue()

    def test_an_ambiguous_date_column_is_an_error_and_the_mapping_is_printed(self):
        path = self.folder / "deals.csv"
        path.write_text(DEALS, encoding="utf-8")
        out = io.StringIO()
        with self.assertRaises(CommandError):
            call_command("import", "opportunities", str(path), stdout=out, stderr=io.StringIO())
        assert "'03/04/2024' could be month-first or day-first; set the date format" in out.getvalue()
        assert "[columns]" in out.getvalue()
        assert not Opportunity.objects.filter(external_id__startswith="C-").exists()

    def test_a_mapping_file_settles_dates_creates_accounts_and_a_summary_is_printed(self):
        mapping = 'date_format = "eu"\ncreate_missing = ["account"]\n[columns]\namount = "Value"\n'
        out, err = self.call(mapping=mapping)
        assert "Imported: deals.csv as opportunities" in out
        assert re.search(r"created\s+2\n", out) and re.search(r"rejected\s+0\n", out)
        assert 'owner = "Owner"' in out  # the mapping used, ready to save
        assert "Writing 2 rows" in err  # the progress bar went to stderr
        deal = Opportunity.objects.get(external_id="C-1")
        assert (deal.amount, deal.currency, deal.created.isoformat()) == (1500, "EUR", "2024-04-03")
        new = Account.objects.get(name="New Prospect Inc")
        assert new.owner == self.world.people["seller_b"]
        run = ImportRun.objects.get()
        assert run.counts["created"] == 2 and run.actor == self.world.users["admin"]
        assert LogEntry.objects.get_for_object(run).exists()  # the import is audited

    def test_a_dry_run_writes_nothing(self):
        mapping = 'date_format = "eu"\ncreate_missing = ["account"]\n'
        out, _err = self.call("--dry-run", mapping=mapping)
        assert "dry run, nothing written" in out
        assert not Opportunity.objects.filter(external_id__startswith="C-").exists()
        assert not Account.objects.filter(name="New Prospect Inc").exists()

    def test_a_rejected_row_stops_everything_unless_bad_rows_are_skipped(self):
        mapping = 'date_format = "eu"\n'
        with self.assertRaises(CommandError):
            self.call(mapping=mapping)  # New Prospect Inc does not exist
        assert not Opportunity.objects.filter(external_id="C-1").exists()
        out, _err = self.call("--skip-bad-rows", mapping=mapping)
        assert "rejected line 5, account: 'New Prospect Inc'" in out
        assert Opportunity.objects.filter(external_id="C-1").exists()

    def test_stage_history_from_the_file(self):
        text = "Id,Owner,Stage,Created,History\nH-1,Alice Archer,Closed Won,2024-01-01,Prospect 2024-01-01; Propose 2024-02-01; Closed Won 2024-03-01\n"
        self.call(text=text)
        deal = Opportunity.objects.get(external_id="H-1")
        assert [(c.stage.name, c.changed_at.date().isoformat()) for c in deal.stage_changes.all()] == [
            ("Prospect", "2024-01-01"),
            ("Propose", "2024-02-01"),
            ("Closed Won", "2024-03-01"),
        ]

    def test_a_manager_imports_within_their_scope(self):
        with self.assertRaises(CommandError):
            self.call("--user", "manager_2", mapping='date_format = "eu"\ncreate_missing = ["account"]\n')
        assert not Opportunity.objects.filter(external_id__startswith="C-").exists()
