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

import logging
import time
from collections.abc import Callable
from typing import Protocol, TextIO

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
    job.state, job.message, job.result, job.finished_at = state, message[:300], result, timezone.now()
    if state == JobState.SUCCEEDED and job.total:
        job.done = job.total
    job.save(update_fields=["state", "message", "result", "finished_at", "done"])


class JobProgress:
    """Progress written to the job row, at most every `interval` seconds so that a million
    `advance()` calls cost a handful of UPDATEs.

    Updates made inside the caller's transaction become visible when it commits: a job should do
    its long reading and checking outside the transaction and announce its writing phase first.
    """

    def __init__(self, job: Job, interval: float = 0.5) -> None:
        self.job = job
        self.interval = interval
        self._flushed_at = 0.0

    def phase(self, message: str, total: int | None = None) -> None:
        self.job.message, self.job.total, self.job.done = message[:300], total, 0
        self._flush()

    def advance(self, count: int = 1) -> None:
        self.job.done += count
        if time.monotonic() - self._flushed_at >= self.interval:
            self._flush()

    def _flush(self) -> None:
        self._flushed_at = time.monotonic()
        Job.objects.filter(pk=self.job.pk).update(
            message=self.job.message, total=self.job.total, done=self.job.done
        )


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
