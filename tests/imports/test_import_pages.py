import csv
import io
from unittest import mock

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import TestCase
from django.urls import reverse
from openpyxl import load_workbook

from firstline.core.models import JobState
from firstline.io.models import ImportRun, ImportState
from firstline.pipeline.models import Opportunity
from tests.world import build_world

DEALS = (
    "Deal,Rep,Client,Value,Phase,Opened on\n"
    "Acme add-on,Alice Archer,Acme Corp,2000,Prospect,2024-01-05\n"
    "Bob's first,Bob Baker,,,Prospect,2024-02-05\n"
)


class ImportPageTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.world = build_world()

    def setUp(self):
        self.client.force_login(self.world.users["manager_1"])

    def upload(self, text=DEALS, **extra):
        upload = SimpleUploadedFile("deals.csv", text.encode(), content_type="text/csv")
        response = self.client.post(
            reverse("io:import_start"), {"kind": "opportunities", "file": upload, **extra}
        )
        return response

    def test_an_upload_shows_the_found_mapping_and_the_first_rows(self):
        response = self.upload()
        run = ImportRun.objects.get()
        assert response["Location"] == reverse("io:import_detail", args=[run.pk])
        page = self.client.get(response["Location"])
        form = page.context["form"]
        assert form["column_owner"].initial == "Rep" and form["column_amount"].initial == "Value"
        assert page.context["rows"][0][0] == "Acme add-on"
        assert Opportunity.objects.filter(name="Acme add-on").count() == 0

    def test_a_dry_run_lists_row_errors_and_writes_nothing(self):
        self.upload(DEALS.replace("Bob Baker", "Carol Cole"))  # Carol is not in Mia's team
        run = ImportRun.objects.get()
        data = {
            f"column_{k}": v
            for k, v in {
                "name": "Deal",
                "owner": "Rep",
                "account": "Client",
                "amount": "Value",
                "stage": "Phase",
                "created": "Opened on",
            }.items()
        }
        response = self.client.post(reverse("io:import_detail", args=[run.pk]), {**data, "check": "1"})
        assert response.context["check"]["rejected"] == [
            "line 3, owner: 'Carol Cole' no person you may import for by this id or name"
        ]
        assert not Opportunity.objects.filter(name="Acme add-on").exists()

    def test_an_edited_mapping_is_kept(self):
        self.upload()
        run = ImportRun.objects.get()
        data = {
            "column_name": "Client",
            "column_owner": "Rep",
            "column_stage": "Phase",
            "column_created": "Opened on",
            "save": "1",
        }
        self.client.post(reverse("io:import_detail", args=[run.pk]), data)
        run.refresh_from_db()
        assert 'name = "Client"' in run.mapping and "amount" not in run.mapping.split("[columns]")[1]

    def test_import_runs_as_a_job_then_history_and_undo(self):
        self.upload()
        run = ImportRun.objects.get()
        self.client.post(reverse("io:import_commit", args=[run.pk]))
        run.refresh_from_db()
        assert run.job.state == JobState.SUCCEEDED and run.state == ImportState.IMPORTED
        assert run.counts["created"] == 2
        assert Opportunity.objects.get(name="Bob's first").amount is None
        history = self.client.get(reverse("io:import_list"))
        assert run in history.context["runs"]
        self.client.post(reverse("io:import_undo", args=[run.pk]))  # not confirmed: nothing happens
        assert Opportunity.objects.filter(name="Acme add-on").exists()
        self.client.post(reverse("io:import_undo", args=[run.pk]), {"confirm": "yes"})
        run.refresh_from_db()
        assert run.state == ImportState.UNDONE and not Opportunity.objects.filter(name="Acme add-on").exists()

    def test_a_rejected_import_fails_its_job_and_writes_nothing(self):
        self.upload(DEALS.replace("2000", "a lot"))
        run = ImportRun.objects.get()
        self.client.post(reverse("io:import_commit", args=[run.pk]))
        run.refresh_from_db()
        assert (run.state, run.job.state) == (ImportState.REJECTED, JobState.FAILED)
        assert "1 row(s) were rejected" in run.job.message
        assert not Opportunity.objects.filter(name="Bob's first").exists()

    def test_a_file_over_the_size_limit_gets_a_clear_message(self):
        with mock.patch("firstline.io.forms.MAX_BYTES", 10):
            response = self.upload()
        assert (
            response.status_code == 200 and "the limit is 0 MiB" in response.context["form"].errors["file"][0]
        )
        assert not ImportRun.objects.exists()

    def test_someone_elses_import_is_not_found(self):
        self.upload()
        run = ImportRun.objects.get()
        self.client.force_login(self.world.users["manager_2"])
        assert self.client.get(reverse("io:import_detail", args=[run.pk])).status_code == 404


class ExportTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.world = build_world()
        cls.world.opportunity_a.next_step = '=HYPERLINK("http://evil")'
        cls.world.opportunity_a.save()

    def export(self, persona, name, fmt, query=""):
        self.client.force_login(self.world.users[persona])
        response = self.client.get(reverse("io:export", args=[name, fmt]) + query)
        assert response.status_code == 200
        return response

    def csv_rows(self, response):
        text = b"".join(response.streaming_content).decode("utf-8-sig")
        return list(csv.reader(io.StringIO(text)))

    def test_csv_has_only_what_the_page_shows_with_formulas_neutralised(self):
        rows = self.csv_rows(self.export("manager_1", "opportunities", "csv"))
        assert [row[1] for row in rows[1:]] == ["Acme expansion"]  # not West's Cobalt renewal
        assert rows[1][15] == '\'=HYPERLINK("http://evil")'

    def test_the_page_filters_apply(self):
        rows = self.csv_rows(self.export("admin", "opportunities", "csv", "?q=cobalt"))
        assert [row[1] for row in rows[1:]] == ["Cobalt renewal"]

    def test_xlsx_opens_and_is_neutralised_too(self):
        response = self.export("admin", "opportunities", "xlsx", "?q=acme")
        sheet = load_workbook(io.BytesIO(response.content)).active
        rows = list(sheet.iter_rows(values_only=True))
        assert rows[0][1] == "Name" and rows[1][1] == "Acme expansion" and rows[1][5] == 120000
        assert rows[1][15].startswith("'=")

    def test_my_team_exports_the_kpi_table(self):
        rows = self.csv_rows(self.export("manager_1", "my-team", "csv"))
        assert rows[0][:4] == ["Seller", "Team", "Period", "Closed won"]
        assert {row[0] for row in rows[1:]} == {"Alice Archer", "Bob Baker"}

    def test_a_seller_has_no_team_table_to_export(self):
        self.client.force_login(self.world.users["seller_a"])
        assert self.client.get(reverse("io:export", args=["my-team", "csv"])).status_code == 404

    def test_every_list_exports(self):
        for name in ("accounts", "targets", "people"):
            for fmt in ("csv", "xlsx"):
                self.export("admin", name, fmt)


class ImportHistoryQueryTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.world = build_world()

    def queries_for_history(self, runs: int) -> int:
        user = self.world.users["manager_1"]
        ImportRun.objects.bulk_create(
            ImportRun(actor=user, kind="accounts", file_name=f"{n}.csv", data=b"x", counts={"created": n})
            for n in range(runs)
        )
        self.client.force_login(user)
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as captured:
            assert self.client.get(reverse("io:import_list")).status_code == 200
        return len(captured)

    def test_the_history_takes_the_same_queries_for_few_or_many_imports(self):
        few = self.queries_for_history(2)
        with self.assertNumQueries(few):
            self.client.get(reverse("io:import_list"))
        ImportRun.objects.bulk_create(
            ImportRun(actor=self.world.users["manager_1"], kind="people", file_name="m.csv", data=b"x")
            for _ in range(30)
        )
        with self.assertNumQueries(few):
            self.client.get(reverse("io:import_list"))
