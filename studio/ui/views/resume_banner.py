"""A banner over the views when Studio opens after a crash: the runs it interrupted, to resume."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton

from studio.engine import Run


class ResumeBanner(QFrame):
    resume_requested = Signal(str)  # the run's folder

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("banner")
        self.runs: list[Run] = []
        self.label = QLabel()
        self.label.setWordWrap(True)
        self.resume_button = QPushButton("Resume")
        self.resume_button.setObjectName("primary")
        self.resume_button.clicked.connect(self._resume)
        dismiss = QPushButton("Not now")
        dismiss.clicked.connect(self.hide)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 6, 10, 6)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.resume_button)
        layout.addWidget(dismiss)
        self.hide()

    def offer(self, runs: list[Run]) -> None:
        """Offer the newest of ``runs`` (interrupted, each with a checkpoint); hide if none."""
        self.runs = runs
        if not runs:
            self.hide()
            return
        run = runs[-1]
        others = f" ({len(runs) - 1} more in Runs)" if len(runs) > 1 else ""
        self.label.setText(
            f"Training of “{run.name}” was interrupted at step {run.info.get('step', 0)} "
            f"when Studio stopped. Resume it from its last checkpoint?{others}"
        )
        self.show()

    def _resume(self) -> None:
        if self.runs:
            self.resume_requested.emit(str(self.runs[-1].path))
        self.hide()
