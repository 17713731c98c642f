"""A failed job's message, with the traceback behind a "Show details" button."""

from __future__ import annotations

from PySide6.QtWidgets import QMessageBox, QWidget

from studio.engine import Failed


def failure_box(parent: QWidget | None, title: str, failure: Failed) -> QMessageBox:
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Warning)
    box.setWindowTitle(title)
    box.setText(failure.message)
    if failure.hint:
        box.setInformativeText(f"Try: {failure.hint}")
    if failure.traceback:
        box.setDetailedText(failure.traceback)
    return box
