"""The GPU worker: one QThread that owns the device and runs queued device jobs one at a time;
jobs that need no device run beside it in lanes, a thread each: data checks and scans in the
side lane, imports in theirs (``Job.lane``), so neither waits for a training nor for the other.

Design (see docs/window.md and DESIGN.md "Measured on this machine"):

- A ``QThread`` subclass whose ``run()`` loops over a job queue. Its signals are declared here and
  the QThread object itself lives in the GUI thread, so slots connected to GUI-thread QObjects'
  methods run on the UI thread (PySide6 6.12 ran lambdas connected to a moved worker's signals in
  the worker thread: never connect lambdas here).
- Events are coalesced by :class:`EventBuffer` and delivered at most every 100 ms (500 ms while a
  model trains: see TRAINING_INTERVAL); a UI timer
  flushes what a slow job left pending, so the last events of a step never wait for the next one.
- Torch is first imported here, by :meth:`prewarm`, right after the window shows.
- The device queue is a list the window can reorder (:meth:`GpuWorker.move`) while it waits; a
  queued job that is cancelled leaves it at once.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import queue
import sys
import threading
import time
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QThread, QTimer, Signal

from studio.engine import Cancelled, Failed, Job, describe_failure
from studio.engine import prewarm as prewarm_torch

from .coalesce import INTERVAL, TRAINING_INTERVAL, EventBuffer

DEVICE_REPORT_S = 2.0  # how often a running job refreshes the status bar's memory figure
# How much "nicer" than the window the worker runs (Linux niceness; 0-19, higher yields more).
# 0: training in the window gets the processor the way `studio train` does. At +5 the worker
# yielded to every other program too, and with any other load (a browser, a compile) training in
# the window ran at 0.64-0.81x the command line's speed; the window stays responsive without it
# (its curves are paced by their own cost). bench/bench_ui.py --load --niceness N measures both.
WORKER_NICENESS = 0


def lower_own_priority() -> None:
    """Run the worker WORKER_NICENESS nicer than the window's thread (nothing at 0).

    On a machine with few cores, torch's threads keep every core busy while a model trains, and
    the window's thread then waits for a time slice before it can paint or answer a click. On
    Linux niceness belongs to each thread and is inherited by the threads it starts, so calling
    this first thing on the worker also covers the OpenMP pool torch creates there later. The
    window's own thread, and other programs' niceness, are untouched; the CLI does not run this.
    """
    if not sys.platform.startswith("linux"):
        return
    thread = threading.get_native_id()
    # Where it is not allowed, the worker simply keeps the window's priority.
    with contextlib.suppress(OSError):
        os.setpriority(
            os.PRIO_PROCESS, thread, os.getpriority(os.PRIO_PROCESS, thread) + WORKER_NICENESS
        )


@dataclass
class _Warm:
    """The pre-warm task: import torch and torch._dynamo, find the device."""

    device_choice: str


class GpuWorker(QThread):
    #: list of (job id, event), oldest first.
    delivered = Signal(object)
    #: "idle", "warming", "running" — for the status bar.
    state_changed = Signal(str)
    #: the device's name and memory in use (studio.engine.device.devices.describe_device).
    device_changed = Signal(dict)
    #: (job id, title) when a job is queued.
    queued = Signal(int, str)

    def __init__(self, device_choice: str = "auto") -> None:
        super().__init__()
        self.device_choice = device_choice
        self.buffer = EventBuffer()
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        # Signalled when the device queue gains a job or the worker is asked to stop.
        self._wake = threading.Condition(self._lock)
        self._waiting: list[tuple[int, Job | _Warm]] = []  # the device queue, next first
        self._stopping = False
        self._deliver_lock = threading.Lock()
        self._jobs: dict[int, Job] = {}
        self._current: int | None = None
        # The lanes beside the device, by name: a queue and the thread that empties it.
        self._lanes: dict[str, tuple[queue.Queue[tuple[int, Job] | None], threading.Thread]] = {}
        self._started = False
        self.warm_seconds: float | None = None
        self.native_id: int | None = None  # the operating system's id of the worker's thread
        # Flushes what the worker left pending (a slow step); runs on the UI thread.
        self._flush_timer = QTimer()
        self._flush_timer.setInterval(int(INTERVAL * 1000))
        self._flush_timer.timeout.connect(self.flush_stale)

    # -- UI-thread API -------------------------------------------------------------------------

    def start(self, *args: Any) -> None:  # type: ignore[override]
        super().start(*args)
        with self._lock:
            self._started = True
            lanes = [thread for _queue, thread in self._lanes.values()]
        for thread in lanes:  # jobs submitted before the start waited in their lanes
            thread.start()
        self._flush_timer.start()

    def submit(self, job: Job) -> int:
        job_id = next(self._ids)
        with self._lock:
            self._jobs[job_id] = job
            if job.needs_device:
                self._waiting.append((job_id, job))
                self._wake.notify()
        if not job.needs_device:
            self._lane(job.lane).put((job_id, job))
        self.queued.emit(job_id, job.title)
        return job_id

    def prewarm(self) -> None:
        """Import torch on the worker now, so the one-off stall lands before the user acts."""
        with self._lock:
            self._waiting.insert(0, (0, _Warm(self.device_choice)))
            self._wake.notify()

    def waiting(self) -> list[int]:
        """The device queue's job ids, next first (the running job is not in it)."""
        with self._lock:
            return [job_id for job_id, task in self._waiting if not isinstance(task, _Warm)]

    def move(self, job_id: int, position: int) -> bool:
        """Put a waiting device job at ``position`` in the queue (0: next); False if not waiting."""
        with self._lock:
            index = next((i for i, (j, _) in enumerate(self._waiting) if j == job_id), None)
            if index is None:
                return False
            item = self._waiting.pop(index)
            warm = sum(1 for _, task in self._waiting if isinstance(task, _Warm))
            self._waiting.insert(warm + max(0, position), item)
            return True

    def cancel(self, job_id: int) -> None:
        with self._lock:
            job = self._jobs.get(job_id)
            if job is None:
                return
            job.cancel()
            index = next((i for i, (j, _) in enumerate(self._waiting) if j == job_id), None)
            if index is not None:
                # Still waiting: it leaves the queue now instead of when it would have started.
                del self._waiting[index]
                del self._jobs[job_id]
        if index is not None:
            self._emit(job_id, Cancelled())

    def cancel_all(self) -> None:
        with self._lock:
            ids = list(self._jobs)
        for job_id in ids:
            self.cancel(job_id)

    @property
    def busy(self) -> bool:
        with self._lock:
            return bool(self._jobs)

    def held_kinds(self) -> list[str]:
        """The kinds of the jobs the worker still holds: waiting, running, or ending."""
        with self._lock:
            return [job.kind for job in self._jobs.values()]

    def stop(self, timeout_ms: int = 60_000) -> bool:
        """Cancel everything and end the thread; True when it ended in time.

        Cancelling a training run saves a checkpoint first, and a torch import cannot be cut
        short, so the wait is generous.
        """
        self.cancel_all()
        with self._lock:
            self._stopping = True
            self._wake.notify()
        with self._lock:
            lanes = list(self._lanes.values())
        for jobs, _thread in lanes:
            jobs.put(None)
        self._flush_timer.stop()
        ended = self.wait(timeout_ms)
        for _jobs, thread in lanes:
            if thread.ident is not None:  # started (a worker never started has none)
                thread.join(timeout_ms / 1000)
                ended = ended and not thread.is_alive()
        self.flush_stale(force=True)
        return ended

    def flush_stale(self, force: bool = False) -> None:
        # The timer follows the buffer's pace (2 Hz while a model trains): each tick takes the
        # GIL from the training thread, and ticks faster than deliveries can find nothing due.
        interval = int(self.buffer.interval * 1000)
        if self._flush_timer.interval() != interval:
            self._flush_timer.setInterval(interval)
        self._deliver(only_if_stale=not force)

    def _deliver(self, *, only_if_stale: bool) -> None:
        """Take what is pending and post it, atomically: batches reach the UI in order.

        Both the worker and the UI timer deliver; the lock makes take + post one step, and
        ``delivered`` is connected queued (even from the UI thread), so posting order is
        delivery order. Posting is cheap: the worker never waits for the UI to draw.
        """
        with self._deliver_lock:
            taken = self.buffer.take(only_if_stale=only_if_stale)
            if taken:
                self.delivered.emit(taken)

    # -- worker thread --------------------------------------------------------------------------

    def run(self) -> None:
        self.native_id = threading.get_native_id()
        lower_own_priority()
        while True:
            with self._lock:
                while not self._waiting and not self._stopping:
                    self._wake.wait()
                if self._stopping:
                    return
                job_id, task = self._waiting.pop(0)
                if not isinstance(task, _Warm):
                    self._current = job_id
            if isinstance(task, _Warm):
                self._warm(task)
                continue
            self._run_job(job_id, task)

    def _lane(self, name: str) -> queue.Queue[tuple[int, Job] | None]:
        """The queue of the lane ``name``, made (and its thread started) on its first job."""
        with self._lock:
            if name not in self._lanes:
                jobs: queue.Queue[tuple[int, Job] | None] = queue.Queue()
                thread = threading.Thread(
                    target=self._run_lane, args=(jobs,), name=f"{name}-lane", daemon=True
                )
                self._lanes[name] = (jobs, thread)
                if self._started:
                    thread.start()
            return self._lanes[name][0]

    def _run_lane(self, jobs: queue.Queue[tuple[int, Job] | None]) -> None:
        """A lane beside the device: its jobs (no device needed) one after another."""
        while True:
            item = jobs.get()
            if item is None:
                return
            job_id, job = item
            try:
                if job.cancel_token.cancelled:  # cancelled while it waited its turn
                    self._emit(job_id, Cancelled())
                else:
                    self._drive(job_id, job)
            finally:
                with self._lock:
                    self._jobs.pop(job_id, None)
                    idle = not self._jobs
                if idle:
                    self.state_changed.emit("idle")

    def _drive(self, job_id: int, job: Job) -> None:
        try:
            for event in job.run():
                self._emit(job_id, event)
        except BaseException as error:  # Job.run never raises; this is belt and braces
            self._emit(job_id, describe_failure(error))

    def _run_job(self, job_id: int, job: Job) -> None:
        try:
            self.state_changed.emit("running")
            self.buffer.interval = TRAINING_INTERVAL if job.kind == "train" else INTERVAL
            try:
                reported = time.monotonic()
                for event in job.run():
                    self._emit(job_id, event)
                    if time.monotonic() - reported >= DEVICE_REPORT_S:
                        # The status bar's memory figure follows the job as it runs.
                        reported = time.monotonic()
                        self._report_device()
            except BaseException as error:  # Job.run never raises; this is belt and braces
                self._emit(job_id, describe_failure(error))
        finally:
            self.buffer.interval = INTERVAL
            with self._lock:
                self._current = None
                self._jobs.pop(job_id, None)
                idle = not self._jobs
            self._report_device()
            if idle:
                self.state_changed.emit("idle")

    def _emit(self, job_id: int, event: Any) -> None:
        if self.buffer.add(job_id, event):
            self._deliver(only_if_stale=False)

    def _warm(self, task: _Warm) -> None:
        self.state_changed.emit("warming")
        began = time.perf_counter()
        try:
            prewarm_torch()
            self.warm_seconds = time.perf_counter() - began
            self._report_device()
        except Exception as error:  # a broken torch install: say so, keep the window
            self._emit(0, Failed(f"could not start torch: {error}"))
        with self._lock:
            idle = not self._jobs
        if idle:
            self.state_changed.emit("idle")

    def _report_device(self) -> None:
        if "torch" not in sys.modules:
            return
        from studio.engine import describe_device, resolve_device

        try:
            info = describe_device(resolve_device(self.device_choice))
        except Exception as error:
            info = {"name": f"unavailable ({error})", "memory_used": None}
        # Several GPUs: the Train view offers "Use all GPUs" (one torchrun rank each).
        info["gpus"] = sys.modules["torch"].cuda.device_count()
        self.device_changed.emit(info)
