"""Coalescing engine events before they cross to the UI thread. Qt-free, so it is unit-tested.

A training step may take a few milliseconds; one signal per step (or per text chunk) would flood
the event loop. The buffer keeps every metric value (they are batched, never dropped), keeps only
the newest Progress, and joins consecutive text chunks of the same sample.
"""

from __future__ import annotations

import threading
import time
from dataclasses import replace

from studio.api import TextChunk
from studio.engine import TERMINAL, Event, Progress, SampleEvent, Started

# At most 10 deliveries a second: each one repaints progress, labels and the jobs list, and on a
# 2-vCPU machine that painting (and the X server's) competes with training for the cores.
INTERVAL = 0.1
# While a model trains: 2 deliveries a second. Each one takes the GIL from the training thread
# and repaints the progress bar (~1 ms, synchronously); the curves draw at their own pace, so a
# faster progress bar shows nothing more. Measured: a 100 Hz Python timer on the UI thread alone
# cost training ~5 % of its speed, mostly in GIL hand-overs, so fewer wake-ups matter.
TRAINING_INTERVAL = 0.5


def _urgent(event: Event) -> bool:
    """Events the user is waiting on go out at once (they are rare)."""
    return isinstance(event, (Started, *TERMINAL))


class EventBuffer:
    """Thread-safe: the worker adds, whoever flushes (worker or UI timer) takes."""

    def __init__(self, interval: float = INTERVAL) -> None:
        self.interval = interval
        self._lock = threading.Lock()
        self._pending: list[tuple[int, Event]] = []
        self._last_take = 0.0

    def add(self, job_id: int, event: Event) -> bool:
        """Queue ``event``; return True when the buffer should be delivered now."""
        with self._lock:
            self._merge(job_id, event)
            due = time.monotonic() - self._last_take >= self.interval
            return due or _urgent(event)

    def _merge(self, job_id: int, event: Event) -> None:
        pending = self._pending
        if isinstance(event, Progress):
            # Latest wins: drop the older progress of the same job.
            for i in range(len(pending) - 1, -1, -1):
                if pending[i][0] == job_id and isinstance(pending[i][1], Progress):
                    del pending[i]
                    break
        elif _is_chunk(event) and pending:
            last_id, last = pending[-1]
            if last_id == job_id and _is_chunk(last) and last.sample.index == event.sample.index:
                joined = replace(last.sample, text=last.sample.text + event.sample.text)
                pending[-1] = (job_id, replace(last, sample=joined))
                return
        pending.append((job_id, event))

    def take(self, *, only_if_stale: bool = False) -> list[tuple[int, Event]]:
        """Everything pending (oldest first); empty when nothing is, or it is not yet due."""
        with self._lock:
            if not self._pending:
                return []
            if only_if_stale and time.monotonic() - self._last_take < self.interval:
                return []
            taken, self._pending = self._pending, []
            self._last_take = time.monotonic()
            return taken


def _is_chunk(event: Event) -> bool:
    return (
        isinstance(event, SampleEvent) and not event.final and isinstance(event.sample, TextChunk)
    )
