"""The status bar: the device (name, memory in use) and the worker's state."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QStatusBar

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
        self.addPermanentWidget(self.device)
        self.addPermanentWidget(self.state)
        session.device_changed.connect(self.show_device)
        session.worker_state.connect(self.show_state)
        session.problem.connect(self.show_problem)
        if session.host.safe_mode:
            self.showMessage("Safe mode: third-party plugins are not loaded")

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
        self.state.setText(STATES.get(state, state))

    def show_problem(self, message: str) -> None:
        self.showMessage(message, 15000)
