"""The first-run panel: an empty library opens on two paths, each with a time for this machine.

"Train on a folder of your own" shows how long a training with the chosen generator's defaults
takes here, from a few real steps timed on the worker (studio.engine.train.calibrate), never a
guess. "Add a model you already have" opens the models found on this computer, where a file or
folder of one's own can be chosen too (``set_add_model``).
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from studio.engine import CalibrationResult, Event, Failed, Finished, list_models, list_runs

from ..eta import format_eta
from ..session import Session
from .job_binding import JobView


def library_is_empty(session: Session) -> bool:
    return not list_models(session.home) and not list_runs(session.home.runs)


class WelcomePanel(JobView):
    train_requested = Signal()
    dismissed = Signal()

    def __init__(self, session: Session, parent=None) -> None:
        super().__init__(session, parent)
        self.setObjectName("welcome")
        self.estimates: dict[str, CalibrationResult] = {}
        title = QLabel("Welcome to Studio")
        title.setObjectName("welcomeTitle")
        intro = QLabel("Your library is empty. Start in one of two ways:")
        self.add_button = QPushButton("Add a model you already have…")
        self.add_button.setEnabled(False)
        self.add_button.clicked.connect(self._on_add)
        self.add_button.setToolTip("The models found on this computer, each a click from here")
        self.add_hint = QLabel(
            "The models LM Studio, Ollama, GPT4All, Jan or the Hugging Face cache keep on this "
            "computer, or a model file or folder of your own, used as it is."
        )
        self.train_button = QPushButton("Train on a folder of your own…")
        self.train_button.setObjectName("primary")
        self.train_button.clicked.connect(self.train_requested)
        self.estimate = QLabel("Measuring how long that takes on this computer…")
        self.estimate.setObjectName("hint")
        self.estimate.setWordWrap(True)
        cards = QHBoxLayout()
        cards.addWidget(_card(self.add_button, self.add_hint))
        cards.addWidget(_card(self.train_button, self.estimate))
        layout = QVBoxLayout(self)
        layout.addStretch()
        for widget in (title, intro):
            widget.setAlignment(Qt.AlignmentFlag.AlignCenter)
            layout.addWidget(widget)
        layout.addLayout(cards)
        later = QPushButton("Look around first")
        later.setToolTip("Show the Create view; models you make later replace this panel")
        later.clicked.connect(self.dismissed)
        row = QHBoxLayout()
        row.addStretch()
        row.addWidget(later)
        row.addStretch()
        layout.addLayout(row)
        layout.addWidget(self.failure_line)
        layout.addStretch()
        self._add: Callable[[], None] | None = None
        session.generator_changed.connect(self.measure)
        # Measuring imports torch: it waits for the worker's pre-warm, which the app starts
        # right after the window shows (showing the window never imports torch).
        session.worker_state.connect(self._on_worker_state)

    def set_add_model(self, action: Callable[[], None]) -> None:
        """What "Add a model you already have" does (the model import, where the window has it)."""
        self._add = action
        self.add_button.setEnabled(True)

    def _on_add(self) -> None:
        if self._add is not None:
            self._add()

    def measure(self, *_args) -> int | None:
        """Time the chosen generator's defaults here (once per generator), if not yet known."""
        generator = self.session.generator
        if generator is None or not self.isVisible() or self.session.worker.warm_seconds is None:
            return None
        known = self.estimates.get(generator.id)
        if known is not None:
            self._show(known)
            return None
        if self.job_id is not None:
            self.session.cancel(self.job_id)
        self.estimate.setText(f"Measuring how long {generator.name} takes on this computer…")
        job_id = self.session.calibrate(generator.id)
        self.follow(job_id)
        return job_id

    def showEvent(self, event) -> None:
        super().showEvent(event)
        self.measure()

    def _on_worker_state(self, state: str) -> None:
        if state == "idle" and self.job_id is None:
            self.measure()

    def handle(self, event: Event) -> None:
        if isinstance(event, Finished) and isinstance(event.result, CalibrationResult):
            self.estimates[event.result.generator] = event.result
            self._show(event.result)
        elif isinstance(event, Failed):
            self.estimate.setText(f"Could not measure it here: {event.message}")

    def _show(self, result: CalibrationResult) -> None:
        generator = self.session.host.generators.get(result.generator)
        name = generator.name if generator is not None else result.generator
        self.estimate.setText(
            f"{name} with its defaults ({result.default_steps} steps): about "
            f"{format_eta(result.estimate_seconds)} on this computer, measured just now "
            f"({result.seconds_per_step:.2f} s a step). Fewer steps take less."
        )


def _card(button: QPushButton, text: QLabel) -> QWidget:
    card = QFrame()
    card.setObjectName("card")
    text.setWordWrap(True)
    layout = QVBoxLayout(card)
    layout.addWidget(button)
    layout.addWidget(text)
    card.setMaximumWidth(380)
    return card
