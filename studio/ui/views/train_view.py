"""Train: dataset, parameters, start / cancel / resume / fine-tune; live curves, previews,
progress with ETA, and the run's checkpoints."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from studio.api import ImageSample, ParamError, StudioError, TextChunk
from studio.engine import (
    Cancelled,
    CheckpointSaved,
    Event,
    Failed,
    Finished,
    Log,
    Metric,
    Progress,
    SampleEvent,
    Started,
    find_run,
    newest_valid,
    read_metrics,
    resume_problem,
    training_schema,
)

from ..eta import format_eta
from ..models.curves import CurveStore
from ..session import Session
from .confirm import offer_resume
from .curves import CurvesView
from .dataset_picker import DatasetPicker
from .gallery import Gallery, GalleryItem, to_qimage
from .job_binding import JobView
from .nearest_view import NearestView
from .param_form import FormSlot, ParamForm


class TrainView(JobView):
    run_started = Signal(str)

    def __init__(self, session: Session, theme: str | None = None, parent=None) -> None:
        super().__init__(session, parent)
        self.store = CurveStore()
        self.form: ParamForm | None = None
        self.waiting_jobs: list[int] = []  # trainings queued here behind the one shown
        self.run_dir: Path | None = None
        self.dataset = DatasetPicker(session)
        self.train_button = QPushButton("Train")
        self.train_button.setObjectName("primary")
        self.train_button.setToolTip("Train a new model on the dataset (Ctrl+T)")
        self.train_button.clicked.connect(self.train)
        self.finetune_button = QPushButton("Fine-tune selected model")
        self.finetune_button.setToolTip("Continue training the model chosen in the model picker")
        self.finetune_button.clicked.connect(self.fine_tune)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancel)
        self.resume_button = QPushButton("Resume")
        self.resume_button.setToolTip("Continue the last cancelled or interrupted run")
        self.resume_button.setEnabled(False)
        self.resume_button.clicked.connect(lambda: self.resume(str(self.run_dir)))
        # Shown only when the worker reports several GPUs: trains one torchrun rank per GPU.
        self.all_gpus = QCheckBox("Use all GPUs")
        self.all_gpus.setToolTip("Train on every GPU at once, in processes of its own (torchrun)")
        self.all_gpus.setVisible(False)
        self.gpus = 0
        session.device_changed.connect(self._show_gpus)
        self.progress = QProgressBar()
        self.progress.setObjectName("trainProgress")
        self.progress.setTextVisible(True)
        # The label says how a run started or ended; while it runs, "step N of M, ETA" is the
        # progress bar's own text. A label whose text changes 10 times a second asks for a new
        # layout each time, and that repainted every curve (measured: 114 curve repaints in a
        # 300-step run instead of 33); the bar's text only repaints the bar.
        self.eta = QLabel("No run yet")
        self.eta.setObjectName("hint")
        self.curves = CurvesView(self.store, theme)
        self.previews = Gallery()
        self.previews.set_zoom(72)
        self.text_previews = QPlainTextEdit()
        self.text_previews.setReadOnly(True)
        self.text_previews.setPlaceholderText("Preview samples appear here as training goes.")
        self.nearest = NearestView()
        self.checkpoints = QListWidget()
        self.checkpoints.setObjectName("checkpoints")
        self.log = QPlainTextEdit()
        self.log.setReadOnly(True)
        self.log.setMaximumBlockCount(500)

        self.form_holder = QVBoxLayout()
        self.forms = FormSlot(self.form_holder)
        params_box = QGroupBox("Training parameters")
        params_box.setLayout(self.form_holder)
        buttons = QHBoxLayout()
        for button in (self.train_button, self.cancel_button, self.resume_button):
            buttons.addWidget(button)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.addWidget(self.dataset)
        left_layout.addWidget(params_box)
        left_layout.addWidget(self.all_gpus)
        left_layout.addLayout(buttons)
        left_layout.addWidget(self.finetune_button)
        left_layout.addWidget(self.failure_line)
        left_layout.addStretch()
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(left)
        scroll.setMinimumWidth(310)
        scroll.setMaximumWidth(420)

        samples = QSplitter(Qt.Orientation.Horizontal)
        for title, widget in (
            ("Previews", self._stack_previews()),
            ("Nearest training images", self.nearest),
            ("Checkpoints", self.checkpoints),
            ("Log", self.log),
        ):
            box = QGroupBox(title)
            QVBoxLayout(box).addWidget(widget)
            samples.addWidget(box)
            if widget is self.nearest:
                self.nearest_box = box  # images only: hidden for text generators
        samples.setSizes([360, 300, 160, 200])
        top = QHBoxLayout()
        top.addWidget(self.progress, 1)
        top.addWidget(self.eta)
        right_split = QSplitter(Qt.Orientation.Vertical)
        right_split.addWidget(self.curves)
        right_split.addWidget(samples)
        right_split.setSizes([420, 220])
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addLayout(top)
        right_layout.addWidget(right_split, 1)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(scroll)
        layout.addWidget(right, 1)
        session.generator_changed.connect(self.bind_generator)
        session.model_changed.connect(self._update_buttons)
        self.bind_generator()

    def _stack_previews(self) -> QWidget:
        holder = QWidget()
        layout = QVBoxLayout(holder)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.previews)
        layout.addWidget(self.text_previews)
        return holder

    def bind_generator(self, *_args) -> None:
        generator = self.session.generator
        self.form = self.forms.bind(
            generator.id if generator else "", training_schema(generator) if generator else None
        )
        if generator is not None:
            image = generator.modality == "image"
            self.previews.setVisible(image)
            self.text_previews.setVisible(not image)
            self.nearest_box.setVisible(image)
        self._update_buttons()

    def _update_buttons(self, *_args) -> None:
        idle = self.job_id is None
        ready = self.form is not None
        chosen = bool(self.session.model_ref)
        scratch = not self.session.fine_tunes_only
        # While a run trains, Train queues the next one on the device. A generator that only
        # fine-tunes (lm) has one action: Train fine-tunes the chosen model.
        self.train_button.setText(
            ("Train" if scratch else "Fine-tune") if idle else "Queue training"
        )
        self.train_button.setEnabled(ready and (scratch or chosen))
        self.train_button.setToolTip(
            "Train a new model on the dataset (Ctrl+T)"
            if scratch
            else "Fine-tune the model chosen in the model picker on the dataset (Ctrl+T)"
            if chosen
            else "Choose or import a model first (Model → Add a model…)"
        )
        self.finetune_button.setVisible(scratch)
        self.finetune_button.setEnabled(ready and chosen)
        self.cancel_button.setEnabled(not idle)
        problem = "no run yet"
        if not idle:
            problem = "a run is training"
        elif self.run_dir is not None:
            try:
                problem = resume_problem(find_run(self.session.home.runs, str(self.run_dir)))
            except StudioError as error:
                problem = str(error)
        offer_resume(self.resume_button, problem)

    # -- starting -------------------------------------------------------------------------------

    def _reset(self) -> None:
        self.store.clear()
        self.curves.set_store(self.store)
        self.previews.clear()
        self.nearest.clear()
        self.text_previews.clear()
        self.checkpoints.clear()
        self.log.clear()
        self.progress.setValue(0)

    def train(self, *, fine_tune: bool = False) -> int | None:
        data = self.dataset.value()
        if self.form is None:
            return None
        if data is None:
            self.eta.setText("Choose a dataset first")
            return None
        try:
            params = self.form.values()
        except ParamError:
            # Never silent: the fields are outlined, and a closed Advanced group opens.
            self.form.reveal_errors()
            self.eta.setText("Fix the parameters marked in red")
            return None
        if self.session.fine_tunes_only:
            if not self.session.model_ref:
                self.eta.setText("Choose or import a model to fine-tune first")
                return None
            fine_tune = True
        processes = self.gpus if self.gpus > 1 and self.all_gpus.isChecked() else 1
        job_id = self.session.train(data, params, fine_tune=fine_tune, processes=processes)
        if self.job_id is not None:
            self.waiting_jobs.append(job_id)
            self.eta.setText(f"{len(self.waiting_jobs)} more queued")
        else:
            self._reset()
            self.follow(job_id)
        return job_id

    def _show_gpus(self, info: dict) -> None:
        self.gpus = int(info.get("gpus") or 0)
        self.all_gpus.setVisible(self.gpus > 1)

    def _follow_next(self) -> None:
        """The next of this view's queued trainings, in the device queue's current order."""
        queued = [r.id for r in self.session.jobs if r.id in self.waiting_jobs and not r.ended]
        order = [r.id for r in self.session.jobs.waiting()]
        queued.sort(key=lambda i: order.index(i) if i in order else -1)  # a started one first
        self.waiting_jobs = queued
        if queued:
            self._reset()
            self.follow(self.waiting_jobs.pop(0))

    def fine_tune(self) -> int | None:
        return self.train(fine_tune=True)

    def resume(self, run: str) -> int | None:
        """Continue a run; the curves start with what it logged up to its last checkpoint."""
        if self.job_id is not None:
            return None
        record = find_run(self.session.home.runs, run)
        # The form shows the run being resumed: its generator and the parameters it runs with.
        generator_id = record.info.get("generator", "")
        if generator_id in self.session.host.generators:
            self.session.set_generator(generator_id)
            if self.form is not None:
                self.form.set_values(record.info.get("params", {}))
        if record.info.get("data"):
            self.dataset.path.setText(str(record.info["data"]))
        self._reset()
        start = newest_valid(record.checkpoints_dir)
        last = start.step if start else 0
        self.store.extend(
            (r["step"], r["values"]) for r in read_metrics(record.metrics_file) if r["step"] <= last
        )
        job_id = self.session.resume(str(record.path))
        self.follow(job_id)
        return job_id

    # -- events ---------------------------------------------------------------------------------

    def handle(self, event: Event) -> None:
        if isinstance(event, Metric):
            self.store.add(event.step, event.values)
        elif isinstance(event, Progress) and event.total:
            self.curves.set_total_steps(event.total)
            self.progress.setMaximum(event.total)
            self.progress.setValue(event.done)
            eta = f"  {format_eta(event.eta_seconds)} left" if event.eta_seconds else ""
            self.progress.setFormat(f"step %v of %m{eta}")
            if self.eta.text() != "Training":
                self.eta.setText("Training")
        elif isinstance(event, SampleEvent):
            self._preview(event)
        elif isinstance(event, CheckpointSaved):
            self.checkpoints.insertItem(0, f"step {event.step}  ·  {event.reason}")
        elif isinstance(event, Log):
            self.log.appendPlainText(event.message)
        elif isinstance(event, Started) and event.run_dir is not None:
            self.run_dir = event.run_dir
            self.run_started.emit(str(event.run_dir))

    def _preview(self, event: SampleEvent) -> None:
        sample = event.sample
        if isinstance(sample, ImageSample) and sample.extra.get("view") == "nearest":
            self.nearest.show_image(to_qimage(sample.pixels), sample.label)
        elif isinstance(sample, ImageSample):
            png = next((p for p in event.paths if p.suffix == ".png"), None)
            self.previews.add(
                GalleryItem(to_qimage(sample.pixels), png, sample.seed, f"step {event.step}")
            )
            self.previews.scrollToBottom()
        elif isinstance(sample, TextChunk) and event.final:
            self.text_previews.appendPlainText(f"step {event.step}: {sample.text}")

    def ended(self, event: Event) -> None:
        self.curves.force_redraw()  # the last points, now, not at the next tick
        # The bar says how it ended, in full (it is wide); no time left is shown once it stops.
        if isinstance(event, Finished):
            self.progress.setFormat("Finished at step %v of %m")
            self.eta.setText("Finished")
        elif isinstance(event, Cancelled):
            self.progress.setFormat("Cancelled at step %v of %m: Resume continues it")
            self.eta.setText("Cancelled")
        elif isinstance(event, Failed):
            self.progress.setFormat("Failed at step %v of %m")
            self.eta.setText("Failed")
        self._follow_next()

    def job_state_changed(self, running: bool) -> None:
        self._update_buttons()
