import io

from django.core.management import call_command
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.test import TestCase, TransactionTestCase
from django.urls import reverse

from firstline.core.jobs import (
    UNEXPECTED,
    ConsoleProgress,
    JobFailed,
    JobProgress,
    job_kind,
    job_live,
    job_start,
)
from firstline.core.models import Job, JobState
from tests.world import build_world


@job_kind("tests.count")
def count_to(job, progress):
    target = job.params["to"]
    if target < 0:
        raise JobFailed("Cannot count to a negative number.", {"asked": target})
    if target == 13:
        raise RuntimeError("unlucky")
    progress.phase("Counting", total=target)
    for _ in range(target):
        progress.advance()
    return {"counted": target, "url": "/", "link_text": "Back home"}


class JobTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.world = build_world()

    def start(self, to, persona="manager_1"):
        job = job_start(actor=self.world.users[persona], kind="tests.count", params={"to": to})
        job.refresh_from_db()
        return job

    def test_a_job_runs_to_the_end_and_keeps_its_result(self):
        job = self.start(5)
        assert (job.state, job.done, job.total, job.percent) == (JobState.SUCCEEDED, 5, 5, 100)
        assert job.result["counted"] == 5 and job.started_at and job.finished_at

    def test_a_refused_job_shows_its_own_message(self):
        job = self.start(-1)
        assert (job.state, job.message, job.result) == (
            JobState.FAILED,
            "Cannot count to a negative number.",
            {"asked": -1},
        )

    def test_an_unexpected_error_is_not_shown_to_the_user(self):
        with self.assertLogs("firstline.core.jobs", "ERROR"):
            job = self.start(13)
        assert (job.state, job.message) == (JobState.FAILED, UNEXPECTED)
        assert "unlucky" not in job.message

    def test_an_unknown_kind_is_refused_before_anything_is_queued(self):
        with self.assertRaises(ValueError):
            job_start(actor=None, kind="tests.nothing", params={})
        assert not Job.objects.filter(kind="tests.nothing").exists()

    def test_the_progress_page_polls_until_the_job_is_done(self):
        job = Job.objects.create(actor=self.world.users["manager_1"], kind="tests.count", total=10, done=4)
        self.client.force_login(self.world.users["manager_1"])
        url = reverse("job_progress", args=[job.pk])
        partial = self.client.get(url, headers={"HX-Request": "true"})
        assert b'hx-get="' + url.encode() in partial.content and b'value="40"' in partial.content
        assert b"<html" not in partial.content and "HX-Request" in partial["Vary"]
        Job.objects.filter(pk=job.pk).update(state=JobState.SUCCEEDED, result={"url": "/x/"})
        done = self.client.get(url)
        assert b"hx-get" not in done.content and b'href="/x/"' in done.content and b"<html" in done.content

    def test_only_the_starter_sees_a_job(self):
        job = self.start(1)
        self.client.force_login(self.world.users["manager_2"])
        assert self.client.get(reverse("job_progress", args=[job.pk])).status_code == 404

    def test_the_console_progress_draws_a_bar(self):
        stream = io.StringIO()
        progress = ConsoleProgress(stream)
        progress.phase("Counting", total=3)
        progress.advance(3)
        progress.close()
        assert "Counting" in stream.getvalue() and "3/3" in stream.getvalue()


class DatabaseWorkerTests(TransactionTestCase):
    """The real worker commits and closes its connection as it would in production, so this test
    runs outside a test transaction."""

    def test_the_database_worker_runs_a_queued_job(self):
        with self.settings(TASKS={"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}):
            self.queue_and_work()

    def queue_and_work(self):
        job = job_start(actor=None, kind="tests.count", params={"to": 3})
        job.refresh_from_db()
        assert job.state == JobState.QUEUED  # nothing runs until a worker takes it
        call_command("db_worker", "--batch", "--no-startup-delay", stdout=io.StringIO(), stderr=io.StringIO())
        job.refresh_from_db()
        assert (job.state, job.result["counted"]) == (JobState.SUCCEEDED, 3)


class ProgressInsideTheJobsTransactionTests(TransactionTestCase):
    """An all-or-nothing job (an import) writes inside one transaction: its progress must show to the
    pages, served by other processes, while that transaction is still open, not once it commits."""

    def seen_from_another_process(self, pk: int) -> Job:
        """The job as a page served by another process reads it: what is committed, plus live progress."""
        other = connections.create_connection(DEFAULT_DB_ALIAS)
        try:
            with other.cursor() as cursor:
                cursor.execute("SELECT state, message, total, done FROM core_job WHERE id = %s", [pk])
                state, message, total, done = cursor.fetchone()
        finally:
            other.close()
        return job_live(Job(pk=pk, state=state, message=message, total=total, done=done))

    def test_progress_written_inside_the_jobs_open_transaction_is_seen_outside_it(self):
        job = Job.objects.create(kind="tests.count", state=JobState.RUNNING, message="Reading rows")
        progress = JobProgress(job, interval=0)
        with transaction.atomic():
            progress.phase("Writing 10 rows", total=10)
            progress.advance(4)
            seen = self.seen_from_another_process(job.pk)
            transaction.set_rollback(True)
        assert (seen.message, seen.done, seen.total, seen.percent) == ("Writing 10 rows", 4, 10, 40)
