from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import TestCase
from django.urls import reverse

from firstline.io.models import ImportRun
from firstline.pipeline.models import Opportunity
from tests.world import build_world

DEALS = b"Owner,Stage,Created,Amount,Name\nAlice Archer,Prospect,2024-01-05,100,API deal\n"


class ImportApiTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.world = build_world()

    def post(self, **data):
        self.client.force_login(self.world.users["manager_1"])
        upload = SimpleUploadedFile("deals.csv", DEALS, content_type="text/csv")
        return self.client.post(
            reverse("api:importrun-list"), {"kind": "opportunities", "file": upload, **data}
        )

    def test_a_dry_run_answers_the_report_and_keeps_nothing(self):
        response = self.post(dry_run="true")
        assert response.status_code == 200 and response.json()["counts"]["created"] == 1
        assert not ImportRun.objects.exists() and not Opportunity.objects.filter(name="API deal").exists()

    def test_an_import_is_queued_as_a_job_and_its_progress_readable(self):
        response = self.post()
        assert response.status_code == 202
        body = response.json()
        assert body["state"] == "imported" and body["counts"]["created"] == 1  # the tests' jobs run at once
        job = self.client.get(reverse("api:job-detail", args=[body["job"]["id"]])).json()
        assert (job["state"], job["percent"]) == ("succeeded", 100)
        assert Opportunity.objects.filter(name="API deal").exists()

    def test_a_bad_file_is_a_400_naming_the_problem(self):
        self.client.force_login(self.world.users["manager_1"])
        upload = SimpleUploadedFile("deals.csv", b"Foo,Bar\n1,2\n")
        response = self.client.post(reverse("api:importrun-list"), {"kind": "opportunities", "file": upload})
        assert response.status_code == 400 and "No column found for owner" in response.json()["file"][0]
