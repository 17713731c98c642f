"""The status bar: the device (name, memory in use), the worker's state and, read from the job
table, what runs on the device and how many jobs wait for it; safe mode, when on."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QStatusBar

from ..eta import format_eta
from ..session import Session

STATES = {
    "idle": "Worker idle",
    "warming": "Worker starting torch…",
    "running": "Worker busy",
}


def format_bytes(count: int) -> str:
    value = float(count)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} GiB"


class StatusBar(QStatusBar):
    def __init__(self, session: Session, parent=None) -> None:
        super().__init__(parent)
        self.device = QLabel("Device: not started")
        self.device.setObjectName("deviceLabel")
        self.state = QLabel("Worker idle")
        self.state.setObjectName("workerState")
        self.session = session
        self.worker_state = "idle"
        self.safe_mode = QLabel("Safe mode")
        self.safe_mode.setObjectName("safeMode")
        self.safe_mode.setToolTip(
            "Only the built-in plugins are loaded. Restart Studio normally to load the others."
        )
        self.addPermanentWidget(self.safe_mode)
        self.safe_mode.setVisible(bool(session.host.safe_mode))
        self.addPermanentWidget(self.device)
        self.addPermanentWidget(self.state)
        session.device_changed.connect(self.show_device)
        session.worker_state.connect(self.show_state)
        session.job_changed.connect(self.show_jobs)
        session.problem.connect(self.show_problem)

    def show_device(self, info: dict) -> None:
        text = f"Device: {info.get('name', '?')}"
        used = info.get("memory_used")
        if used is not None:
            text += f"  ·  {format_bytes(used)} in use"
            total = info.get("memory_total")
            if total:
                text += f" of {format_bytes(total)}"
        self.device.setText(text)

    def show_state(self, state: str) -> None:
        self.worker_state = state
        self.show_jobs()

    def show_jobs(self, *_args) -> None:
        """The device's job and its queue, from the session's job table."""
        jobs = self.session.jobs
        running = [r for r in jobs.running() if r.device]
        waiting = len(jobs.waiting())
        if running and self.worker_state != "warming":
            job = running[0]
            text = job.title
            if job.total:
                text += f"  ·  {job.done}/{job.total}"
                if job.eta_seconds is not None and job.done < job.total:
                    text += f", {format_eta(job.eta_seconds)} left"
        else:
            text = STATES.get(self.worker_state, self.worker_state)
        if waiting:
            text += f"  ·  {waiting} waiting"
        if self.state.text() != text:
            self.state.setText(text)

    def show_problem(self, message: str) -> None:
        self.showMessage(message, 15000)
