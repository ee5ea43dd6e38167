"""Background jobs: long work (imports, optimizer runs, recomputes) run by a worker, with progress.

How to use it from an app (the import app is the first user):

    from firstline.core.jobs import JobFailed, job_kind, job_start

    @job_kind("territories.optimize")          # registered when the module is imported:
    def optimize(job, progress):               # import it from your AppConfig.ready()
        progress.phase("Balancing territories", total=len(sellers))
        for seller in sellers:
            ...
            progress.advance()
        if impossible:
            raise JobFailed("No plan keeps every locked account.")   # shown to the user as is
        return {"url": reverse(...), "moved": 12}                    # stored as job.result

    job = job_start(actor=request.user, kind="territories.optimize", params={"plan": plan.pk})

Pages show progress with `{% include "core/_job_progress.html" with job=job %}` (htmx polls
`job_progress` until the job finishes); commands pass a `ConsoleProgress` to the same function
and run it in-process. The queue is Django's tasks framework (`django.tasks`): the database backend
from django-tasks-db in production (`firstline db_worker` runs the worker), the immediate backend
in tests, so jobs run deterministically there.
"""

import hashlib
import json
import logging
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Protocol, TextIO

from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.tasks import task
from django.utils import timezone
from tqdm import tqdm

from firstline.core.models import Job, JobState

logger = logging.getLogger(__name__)
UNEXPECTED = "The job stopped on an unexpected error; the administrator can see why in the log."


class Progress(Protocol):
    """What a job function reports as it goes: phases, each with a number of units to do."""

    def phase(self, message: str, total: int | None = None) -> None: ...

    def advance(self, count: int = 1) -> None: ...


class JobFailed(Exception):
    """A failure to show the user as it is (bad input, nothing to do); `result` is kept on the job."""

    def __init__(self, message: str, result: dict | None = None) -> None:
        super().__init__(message)
        self.result = result or {}


JobFunction = Callable[[Job, Progress], dict]
_KINDS: dict[str, JobFunction] = {}


def job_kind(kind: str) -> Callable[[JobFunction], JobFunction]:
    """Register `function(job, progress) -> result dict` as the runner of jobs of `kind`."""

    def register(function: JobFunction) -> JobFunction:
        if _KINDS.get(kind, function) is not function:
            raise ValueError(f"Job kind {kind!r} is registered twice.")
        _KINDS[kind] = function
        return function

    return register


def job_start(*, actor, kind: str, params: dict, message: str = "Waiting for a worker") -> Job:
    """Create the job and queue it. With the database backend the queue entry is written in the
    caller's transaction, so a worker never sees a job that was rolled back."""
    if kind not in _KINDS:
        raise ValueError(f"No job kind {kind!r}; known: {', '.join(sorted(_KINDS))}.")
    job = Job.objects.create(actor=actor, kind=kind, params=params, message=message)
    run_job.enqueue(job.pk)
    return job


@task
def run_job(job_id: int) -> str:
    """The one task the worker runs: look the job up and call the function registered for its kind."""
    job = Job.objects.get(pk=job_id)
    if job.state != JobState.QUEUED:
        return job.state  # run once, even if the queue delivers twice
    job.state, job.started_at, job.message = JobState.RUNNING, timezone.now(), "Starting"
    job.save(update_fields=["state", "started_at", "message"])
    try:
        result = _KINDS[job.kind](job, JobProgress(job))
    except JobFailed as failure:
        _finish(job, JobState.FAILED, str(failure), failure.result)
    except Exception:
        logger.exception("Job %s (%s) failed", job.pk, job.kind)
        _finish(job, JobState.FAILED, UNEXPECTED, {})
    else:
        _finish(job, JobState.SUCCEEDED, "Done", result or {})
    return job.state


def _finish(job: Job, state: str, message: str, result: dict) -> None:
    _ProgressAside.clear(job.pk)
    job.state, job.message, job.result, job.finished_at = state, message[:300], result, timezone.now()
    if state == JobState.SUCCEEDED and job.total:
        job.done = job.total
    job.save(update_fields=["state", "message", "result", "finished_at", "done"])


class JobProgress:
    """Progress written to the job row, at most every `interval` seconds so that a million
    `advance()` calls cost a handful of UPDATEs.

    Inside a transaction the job opened (an all-or-nothing import writing a million rows), an UPDATE
    of the row would show only once the transaction commits; progress goes around it instead (see
    `_ProgressAside`) and `job_live()` reads it from there.
    """

    def __init__(self, job: Job, interval: float = 0.5) -> None:
        self.job = job
        self.interval = interval
        self._flushed_at = 0.0
        self._depth = len(connection.atomic_blocks)

    def phase(self, message: str, total: int | None = None) -> None:
        self.job.message, self.job.total, self.job.done = message[:300], total, 0
        self._flush()

    def advance(self, count: int = 1) -> None:
        self.job.done += count
        if time.monotonic() - self._flushed_at >= self.interval:
            self._flush()

    def _flush(self) -> None:
        self._flushed_at = time.monotonic()
        values = {"message": self.job.message, "total": self.job.total, "done": self.job.done}
        if len(connection.atomic_blocks) > self._depth:
            _ProgressAside.write(self.job.pk, values)
        else:
            Job.objects.filter(pk=self.job.pk).update(**values)


class _ProgressAside:
    """Progress that must be seen while the job's own transaction is still open. On PostgreSQL it is
    an UPDATE through a second connection, committed at once (the job's transaction never touches
    the job row). On SQLite no second connection may write while that transaction holds the write
    lock, so it is a small file beside the process, keyed by database and job; SQLite's web
    process and worker share a machine by nature."""

    @staticmethod
    def write(pk: int, values: dict) -> None:
        if connection.vendor == "sqlite":
            path = _ProgressAside.path(pk)
            path.parent.mkdir(parents=True, exist_ok=True)
            temporary = path.with_suffix(".tmp")
            temporary.write_text(json.dumps(values))
            temporary.replace(path)  # atomic: a reader never sees half a file
            return
        side = _ProgressAside.connection()
        with side.cursor() as cursor:
            cursor.execute(
                f"UPDATE {Job._meta.db_table} SET message = %s, total = %s, done = %s WHERE id = %s",
                [values["message"], values["total"], values["done"], pk],
            )

    @staticmethod
    def read(pk: int) -> dict | None:
        if connection.vendor != "sqlite":
            return None  # already in the job row
        try:
            return json.loads(_ProgressAside.path(pk).read_text())
        except (OSError, ValueError):
            return None

    @staticmethod
    def clear(pk: int) -> None:
        if connection.vendor == "sqlite":
            _ProgressAside.path(pk).unlink(missing_ok=True)
        elif _SIDE.connection is not None:
            _SIDE.connection.close()
            _SIDE.connection = None

    @staticmethod
    def path(pk: int) -> Path:
        database = hashlib.sha256(str(connection.settings_dict["NAME"]).encode()).hexdigest()[:16]
        return Path(tempfile.gettempdir()) / "firstline-job-progress" / f"{database}-{pk}.json"

    @staticmethod
    def connection():
        if _SIDE.connection is None:
            _SIDE.connection = connections.create_connection(DEFAULT_DB_ALIAS)
        return _SIDE.connection


_SIDE = threading.local()
_SIDE.connection = None


def job_live(job: Job) -> Job:
    """The job with the progress of a running job's open transaction, if it reports any (see JobProgress)."""
    if job.state == JobState.RUNNING:
        values = _ProgressAside.read(job.pk)
        if values:
            job.message, job.total, job.done = values["message"], values["total"], values["done"]
    return job


class ConsoleProgress:
    """Progress as a tqdm bar per phase on a console stream (the CLI's view of the same job)."""

    def __init__(self, stream: TextIO | None) -> None:
        self.stream = stream
        self._bar: tqdm | None = None

    def phase(self, message: str, total: int | None = None) -> None:
        self.close()
        self._bar = tqdm(
            total=total, desc=message, unit=" rows", file=self.stream, disable=self.stream is None
        )

    def advance(self, count: int = 1) -> None:
        if self._bar is not None:
            self._bar.update(count)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None


class NoProgress:
    def phase(self, message: str, total: int | None = None) -> None:
        pass

    def advance(self, count: int = 1) -> None:
        pass
