"""The window's one job model: every queued, running and finished job, as plain records.

After krita-ai-diffusion's ``JobQueue``: the table is the only place a job's state lives, and
:meth:`JobTable.apply` is the only code that changes it, from the job's own events. The jobs
panel, the status bar and the views read records from here instead of keeping their own copies.
No Qt: tests drive it with events alone.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from studio.engine import (
    Cancelled,
    Event,
    Failed,
    Finished,
    Progress,
    Result,
    Started,
)

QUEUED, RUNNING, DONE, CANCELLED, FAILED = "queued", "running", "done", "cancelled", "failed"
ENDED = (DONE, CANCELLED, FAILED)


@dataclass
class JobRecord:
    id: int
    kind: str  # "train", "generate", "datacheck", ...
    title: str
    # Jobs that need the device wait in its queue; the others run beside it, one at a time per
    # lane ("side", "import"): the lane's first job starts at once, the next waits for it.
    device: bool = True
    lane: str = ""
    state: str = QUEUED
    done: int = 0
    total: int = 0
    eta_seconds: float | None = None
    failure: Failed | None = None
    run: Path | None = None  # a training job's run folder, once it has one
    result: Result | None = None
    stopped_at: int | None = None  # the step a cancelled job stopped at

    @property
    def ended(self) -> bool:
        return self.state in ENDED

    @property
    def active(self) -> bool:
        return self.state == RUNNING


Listener = Callable[[JobRecord], None]


class JobTable:
    """Records by job id, in the order they were queued."""

    def __init__(self) -> None:
        self._records: dict[int, JobRecord] = {}
        self._listeners: list[Listener] = []

    def subscribe(self, listener: Listener) -> None:
        """``listener(record)`` after every change (a new job, or events applied)."""
        self._listeners.append(listener)

    def add(
        self, job_id: int, kind: str, title: str, *, device: bool = True, lane: str = ""
    ) -> JobRecord:
        record = JobRecord(job_id, kind, title, device=device, lane="" if device else lane)
        self._records[job_id] = record
        self._notify(record)
        return record

    def apply(self, job_id: int, events: Iterable[Event]) -> JobRecord | None:
        """The one place a job's record changes: fold its events in, oldest first."""
        record = self._records.get(job_id)
        if record is None:
            return None
        for event in events:
            if isinstance(event, Started):
                record.state = RUNNING
                record.run = event.run_dir or record.run
            elif isinstance(event, Progress):
                record.done, record.total = event.done, event.total
                record.eta_seconds = event.eta_seconds
            elif isinstance(event, Finished):
                record.state, record.result, record.eta_seconds = DONE, event.result, None
            elif isinstance(event, Cancelled):
                record.state, record.stopped_at, record.eta_seconds = CANCELLED, event.step, None
            elif isinstance(event, Failed):
                record.state, record.failure, record.eta_seconds = FAILED, event, None
        self._notify(record)
        return record

    def get(self, job_id: int) -> JobRecord | None:
        return self._records.get(job_id)

    def __iter__(self):
        return iter(list(self._records.values()))

    def __len__(self) -> int:
        return len(self._records)

    def waiting(self, *, device: bool = True) -> list[JobRecord]:
        """Queued jobs of the device queue (or of the side lane), in queue order."""
        return [r for r in self if r.state == QUEUED and r.device == device]

    def ahead_in_lane(self, record: JobRecord) -> int:
        """How many unfinished jobs of ``record``'s side lane were queued before it."""
        if record.device:
            return 0
        return sum(
            1
            for r in self._records.values()
            if r.lane == record.lane and not r.ended and r.id < record.id
        )

    def running(self) -> list[JobRecord]:
        return [r for r in self if r.state == RUNNING]

    def reorder(self, order: list[int]) -> None:
        """Put the waiting device jobs in ``order`` (ids, next first); the others keep their
        places, and the waiting jobs keep the slots they held between them."""
        waiting = {r.id: r for r in self.waiting()}
        ordered = [waiting[i] for i in order if i in waiting]
        ordered += [r for i, r in waiting.items() if i not in order]
        refill = iter(ordered)
        records = [next(refill) if r.id in waiting else r for r in self._records.values()]
        self._records = {r.id: r for r in records}
        for record in ordered:
            self._notify(record)

    def _notify(self, record: JobRecord) -> None:
        for listener in self._listeners:
            listener(record)
