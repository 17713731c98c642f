"""The window's session: the plugin host, the library, the worker, and the user's selection.

One GUI-thread QObject that views listen to; it is the only place jobs are created. It makes
engine jobs (Qt-free objects) and hands them to the worker; the worker's coalesced events come
back through :meth:`_on_delivered`, are folded into the job table (``self.jobs``, the window's
one record of every job) and re-emitted per job on the UI thread.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal

from studio.api import Generator, StudioError
from studio.engine import TERMINAL, CalibrationJob, Event, Job
from studio.engine import Session as EngineSession

from .models.jobs import JobRecord, JobTable
from .worker import GpuWorker

#: Job kinds that only read the library folder: changing the folder cancels them, never waits.
LIBRARY_READERS = frozenset({"datacheck", "find-models"})
#: Job kinds that never touch it (a calibration trains in a temporary library of its own): they
#: go on through a change of folder.
LIBRARY_FREE = frozenset({"calibrate"})


class Session(QObject):
    #: (job id, events of that job in order) — every view filters by the job ids it started.
    events = Signal(int, object)
    job_queued = Signal(int, str, str)  # id, title, kind
    job_ended = Signal(int, object)  # id, the terminal event
    #: a job's record in ``jobs`` changed (queued, started, progressed, ended, moved)
    job_changed = Signal(int)
    generator_changed = Signal(str)
    model_changed = Signal(str)
    library_changed = Signal()  # a run finished or was cancelled: runs and models changed
    #: the library folder itself changed (Settings): views reload what they read from it
    library_switched = Signal()
    device_changed = Signal(dict)
    worker_state = Signal(str)
    #: failures outside any job (the pre-warm), for the status bar
    problem = Signal(str)

    def __init__(self, engine: EngineSession) -> None:
        super().__init__()
        # The engine's session makes every job, each given the session's plugin health.
        self.engine = engine
        self.host, self.home, self.settings = engine.host, engine.home, engine.settings
        self.generator_id = ""
        self.model_ref = ""  # "" means a new, untrained model
        self.jobs = JobTable()
        self.jobs.subscribe(self._on_record)
        self.worker = GpuWorker(self.settings.get("device", "auto"))
        # Bound methods of this GUI-thread object: they run on the UI thread.
        self.worker.delivered.connect(self._on_delivered, Qt.ConnectionType.QueuedConnection)
        self.worker.device_changed.connect(self._on_device)
        self.worker.state_changed.connect(self._on_state)

    # -- selection ------------------------------------------------------------------------------

    @property
    def generator(self) -> Generator | None:
        """The selected generator, or None when none is selected or its plugin was switched off."""
        try:
            return self.host.generator(self.generator_id) if self.generator_id else None
        except StudioError:
            return None

    @property
    def fine_tunes_only(self) -> bool:
        """Whether the selected generator only fine-tunes a model the user brings (lm): it has
        no untrained model, and reads training data with the chosen model's tokenizer."""
        generator = self.generator
        return generator is not None and not getattr(generator, "trains_from_scratch", True)

    def set_generator(self, generator_id: str) -> None:
        if generator_id != self.generator_id:
            self.generator_id = generator_id
            self.model_ref = ""
            self.settings.set("ui", {**(self.settings.get("ui") or {}), "generator": generator_id})
            self.generator_changed.emit(generator_id)

    def set_model(self, reference: str) -> None:
        if reference != self.model_ref:
            self.model_ref = reference
            self.model_changed.emit(reference)

    # -- jobs -----------------------------------------------------------------------------------

    def start(self) -> None:
        self.worker.start()

    def prewarm(self) -> None:
        self.worker.prewarm()

    def submit(self, job: Job) -> int:
        job_id = self.worker.submit(job)
        # Deliveries reach this thread's event loop later, so the record exists before them.
        self.jobs.add(job_id, job.kind, job.title, device=job.needs_device, lane=job.lane)
        self.job_queued.emit(job_id, job.title, job.kind)
        return job_id

    def move(self, job_id: int, position: int) -> bool:
        """Move a waiting device job to ``position`` in the queue (0: next)."""
        moved = self.worker.move(job_id, position)
        if moved:
            self.jobs.reorder(self.worker.waiting())
        return moved

    def training(self) -> bool:
        """Whether a training runs or waits for the device."""
        return any(r.kind == "train" and not r.ended for r in self.jobs)

    def generate(
        self,
        *,
        prompt: str = "",
        seed: int | None = None,
        count: int = 1,
        params: dict[str, Any] | None = None,
        inputs: list[Path] | None = None,
        model: str | None = None,
        mode: str = "sample",
    ) -> int:
        job = self.engine.generate_job(
            self.generator_id,
            mode=mode,
            model=(self.model_ref if model is None else model) or None,
            prompt=prompt,
            seed=seed,
            count=count,
            params=params,
            inputs=inputs,
            out_dir=self.home.exports,
            device=self.settings.get("device", "auto"),
        )
        return self.submit(job)

    def train(
        self, data: Path, params: dict[str, Any], *, fine_tune: bool = False, processes: int = 1
    ) -> int:
        """``processes`` > 1: one rank per GPU under torchrun, isolated ("Use all GPUs")."""
        params = {**params}
        params.setdefault("device", self.settings.get("device", "auto"))
        job = self.engine.train_job(
            self.generator_id,
            processes=processes,
            data=data,
            params=params,
            from_checkpoint=self.model_ref if fine_tune and self.model_ref else None,
        )
        return self.submit(job)

    def resume(self, run: str, extra_steps: int | None = None) -> int:
        return self.submit(self.engine.resume_job(run, extra_steps=extra_steps))

    def import_model(self, path: Path, name: str | None = None) -> int:
        """Import a model folder or file the user has into the library (beside the device, in
        the imports' own lane: it never waits for a training, nor a data check for it)."""
        return self.submit(self.engine.import_job(path, name=name))

    def export(self, source: str, out: str, fmt: str, gguf_type: str = "f16") -> int:
        """Export a model; its exporter's failures count against its plugin, as for any job."""
        return self.submit(self.engine.export_job(source, out, fmt, gguf_type))

    def find_models(self, seconds: float | None = None) -> int:
        """Look for the models other apps keep on this machine (a side-lane job: no device)."""
        options = {} if seconds is None else {"seconds": seconds}
        return self.submit(self.engine.find_models_job(**options))

    def calibrate(self, generator_id: str) -> int:
        """Time a few real steps of ``generator_id`` here, for the welcome panel's estimate."""
        device = self.settings.get("device", "auto")
        return self.submit(CalibrationJob(self.host, generator_id, device))

    def check_data(self, source: Path, params: dict[str, Any] | None = None) -> int:
        # A generator that only fine-tunes reads the data with the chosen model (lm's tokenizer).
        model = (self.model_ref or None) if self.fine_tunes_only else None
        return self.submit(self.engine.data_check_job(self.generator_id, source, params, model))

    # -- the library folder ---------------------------------------------------------------------

    def _library_writers(self) -> list[str]:
        """Titles of the unfinished jobs that write into the library, or hold it while they end."""
        free = LIBRARY_READERS | LIBRARY_FREE
        titles = [r.title for r in self.jobs if not r.ended and r.kind not in free]
        ending = [kind for kind in self.worker.held_kinds() if kind not in free]
        return titles or (["a job that is ending"] if ending else [])

    def switch_library(self, root: Path) -> None:
        """Use the library folder ``root`` from now on, at once: models, runs, samples, history
        and settings are read from it (the plugins stay loaded as they are).

        Refused (StudioError, the current folder kept) while a job that writes waits or runs: a
        training writes its run into the library it started in, and an import its model. Jobs
        that only read it (a data check, a search for models) are cancelled: the views run them
        again against the new library. A calibration, which uses no library of the user's, goes
        on.
        """
        root = Path(root).expanduser()
        if root == self.home.root:
            return
        busy = self._library_writers()
        if busy:
            raise StudioError(
                f"the library folder stays {self.home.root} while jobs run "
                f"({', '.join(busy)}); let them finish or cancel them, then change it again"
            )
        for record in self.jobs:
            if not record.ended and record.kind in LIBRARY_READERS:
                self.cancel(record.id)
        self.engine = self.engine.moved_to(root)
        self.home, self.settings = self.engine.home, self.engine.settings
        self.worker.device_choice = self.settings.get("device", "auto")
        self.model_ref = ""  # a model of the old library: the picker chooses again
        self.library_switched.emit()
        self.library_changed.emit()

    def cancel(self, job_id: int) -> None:
        self.worker.cancel(job_id)

    def shutdown(self) -> bool:
        return self.worker.stop()

    # -- worker signals (UI thread) -------------------------------------------------------------

    def _on_delivered(self, batch: list[tuple[int, Event]]) -> None:
        grouped: dict[int, list[Event]] = {}
        for job_id, event in batch:
            grouped.setdefault(job_id, []).append(event)
        for job_id, events in grouped.items():
            if job_id == 0:  # the pre-warm
                for event in events:
                    self.problem.emit(getattr(event, "message", str(event)))
                continue
            record = self.jobs.apply(job_id, events)
            self.events.emit(job_id, events)
            for event in events:
                if isinstance(event, TERMINAL):
                    self.job_ended.emit(job_id, event)
                    if record is not None and record.kind in ("train", "import"):
                        self.library_changed.emit()

    def _on_record(self, record: JobRecord) -> None:
        self.job_changed.emit(record.id)

    def _on_device(self, info: dict) -> None:
        self.device_changed.emit(info)

    def _on_state(self, state: str) -> None:
        self.worker_state.emit(state)
