"""One question before something cannot be undone (or ends a long run): Yes or No, No default;
and a Resume button that says why it is off."""

from __future__ import annotations

from PySide6.QtWidgets import QMessageBox, QPushButton, QWidget


def confirm(parent: QWidget, title: str, text: str) -> bool:
    answer = QMessageBox.question(
        parent,
        title,
        text,
        QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
        QMessageBox.StandardButton.No,
    )
    return answer == QMessageBox.StandardButton.Yes


def offer_resume(button: QPushButton, problem: str | None) -> None:
    """Resume is on only when the run can resume; otherwise its tooltip says why not."""
    button.setEnabled(problem is None)
    button.setToolTip(
        "Continue the run from its newest checkpoint"
        if problem is None
        else f"Cannot resume: {problem}"
    )
