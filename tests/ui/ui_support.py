"""Helpers for the window tests."""

from __future__ import annotations


def wait_job(qtbot, window, job_id: int, timeout: int = 60_000):
    """Wait for ``job_id`` to end (a GUI-thread signal) and return its terminal event."""
    qtbot.waitUntil(lambda: job_id in window.ended, timeout=timeout)
    return window.ended[job_id]


def shown_curves(qtbot, width: int = 800, height: int = 400):
    """A curves view on screen (exposed), of the given size."""
    from studio.ui.views.curves import CurvesView

    view = CurvesView()
    qtbot.addWidget(view)
    view.resize(width, height)
    view.show()
    qtbot.waitExposed(view)
    return view


def answer_next_question(button) -> list[str]:
    """Click ``button`` (a QMessageBox.StandardButton) on the next modal question once it shows;
    the returned list receives the question's text."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QMessageBox

    seen: list[str] = []

    def click() -> None:
        box = QApplication.activeModalWidget()
        if not isinstance(box, QMessageBox):
            QTimer.singleShot(20, click)
            return
        seen.append(box.text())
        box.button(button).click()

    QTimer.singleShot(20, click)
    return seen


def ready_to_train(window, corpus, params: dict):
    """The train view with tinychar picked, ``corpus`` as its data and ``params`` set."""
    window.session.set_generator("tinychar")
    view = window.train_view
    view.dataset.path.setText(str(corpus))
    view.form.set_values(params)
    return view


def train_slowly(qtbot, window, corpus, steps: int, until: int):
    """Start a slow tinychar run in the window (no scheduled checkpoint); wait ``until`` steps."""
    params = {"steps": steps, "step_delay_ms": 20, "checkpoint_every": 1000}
    view = ready_to_train(window, corpus, params)
    view.train()
    qtbot.waitUntil(lambda: view.progress.value() >= until, timeout=30_000)
    return view


def reopen_window(qtbot, home):
    """A second window on ``home``, as the app opens it after the first closed; like the
    ``window`` fixture it records every job's terminal event in ``.ended``. Shut its session
    down at the end of the test."""
    from studio.engine.settings import Settings
    from studio.ui.app import build_window

    again = build_window(home, Settings.load(home.settings_file))
    qtbot.addWidget(again)
    again.ended = {}
    again.session.job_ended.connect(again.ended.__setitem__)
    return again
