"""What every view that starts jobs shares: follow its own job's events, show its failure inline."""

from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QWidget

from studio.engine import TERMINAL, Event, Failed

from ..session import Session
from .details import failure_box


class FailureLine(QWidget):
    """ "failed: <message>  [Details…]" — the message inline, the traceback on demand."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.failure: Failed | None = None
        self.label = QLabel()
        self.label.setObjectName("error")
        self.label.setWordWrap(True)
        self.button = QPushButton("Details…")
        self.button.clicked.connect(self.show_details)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.button)
        self.hide()

    def show_failure(self, failure: Failed) -> None:
        self.failure = failure
        hint = f" — try: {failure.hint}" if failure.hint else ""
        self.label.setText(f"Failed: {failure.message}{hint}")
        self.button.setVisible(bool(failure.traceback))
        self.show()

    def show_details(self) -> None:
        if self.failure is not None:
            failure_box(self, "Job failed", self.failure).exec()


class JobView(QWidget):
    """Base for views that start a job: ``job_id`` is theirs; ``handle`` sees its events."""

    def __init__(self, session: Session, parent=None) -> None:
        super().__init__(parent)
        self.session = session
        self.job_id: int | None = None
        self.failure_line = FailureLine()
        session.events.connect(self._on_events)

    def build_run_buttons(self) -> None:
        """The Generate / Stop pair of every creating view, wired to its generate() and cancel()."""
        self.generate_button = QPushButton("Generate")
        self.generate_button.setObjectName("primary")
        self.generate_button.clicked.connect(self.generate)
        self.stop_button = QPushButton("Stop")
        self.stop_button.setEnabled(False)
        self.stop_button.clicked.connect(self.cancel)

    def follow(self, job_id: int) -> None:
        self.job_id = job_id
        self.failure_line.hide()
        self.job_state_changed(True)

    def cancel(self) -> None:
        if self.job_id is not None:
            self.session.cancel(self.job_id)

    def _on_events(self, job_id: int, events: list[Event]) -> None:
        if job_id != self.job_id:
            return
        for event in events:
            self.handle(event)
            if isinstance(event, Failed):
                self.failure_line.show_failure(event)
            if isinstance(event, TERMINAL):
                self.job_id = None
                self.job_state_changed(False)
                self.ended(event)

    def handle(self, event: Event) -> None:
        """One event of this view's job, in order, on the UI thread."""

    def ended(self, event: Event) -> None:
        """The job is over."""

    def job_state_changed(self, running: bool) -> None:
        """Enable / disable the view's buttons."""
