"""The window closed and opened again: what it keeps, and the runs it resumes, driven through
real widgets on the offscreen platform with real test generators."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox
from ui_support import answer_next_question, ready_to_train, reopen_window, train_slowly, wait_job

from studio.engine.events import Finished
from studio.engine.store.runs import find_run

# Not about isolation: the test plugin's jobs run in-process here (see conftest).
pytestmark = pytest.mark.usefixtures("in_process_jobs")


def test_close_mid_training_then_reopen_and_resume(qtbot, window, corpus: Path, home) -> None:
    view = train_slowly(qtbot, window, corpus, steps=200, until=5)
    run_dir = view.run_dir
    asked = answer_next_question(QMessageBox.StandardButton.Yes)
    window.close()  # asks, then cancels the job, which saves a checkpoint
    assert asked and "is running" in asked[0]
    run = find_run(home.runs, str(run_dir))
    assert run.status == "cancelled" and run.info["step"] >= 5

    again = reopen_window(qtbot, home)
    try:
        runs = again.runs_view
        runs.select(run.name)
        assert runs.resume_button.isEnabled()
        qtbot.mouseClick(runs.resume_button, Qt.MouseButton.LeftButton)
        assert again.tabs.currentWidget() is again.train_view
        job = again.train_view.job_id
        qtbot.waitUntil(lambda: job in again.ended, timeout=60_000)
        assert isinstance(again.ended[job], Finished)
        assert again.ended[job].result["step"] == 200
        assert again.train_view.store.count("loss/train") == 200
    finally:
        again.session.shutdown()


def test_layout_and_last_choices_persist(qtbot, window, home, corpus: Path) -> None:
    window.session.set_generator("tinypix")
    window.tabs.setCurrentIndex(2)
    window.train_view.dataset.path.setText(str(corpus))
    window.close()
    again = reopen_window(qtbot, home)
    try:
        assert again.session.generator_id == "tinypix"
        assert again.generators.currentItem().text(0) == "Tiny pixel model (test)"
        assert again.tabs.currentIndex() == 2
        assert again.train_view.dataset.path.text() == str(corpus)
        # ... and checked again: its report shows, not an empty box under the path.
        report = again.train_view.dataset.report_view
        qtbot.waitUntil(lambda: report.toPlainText() not in ("", "Checking…"), timeout=30_000)
        # (a text file for a pixel model: the check says so, as it did before the restart)
        assert report.toPlainText().startswith("Not usable: no readable images in")
    finally:
        again.session.shutdown()


def test_an_interrupted_run_is_offered_at_start_and_resumes(qtbot, window, corpus, home) -> None:
    """A run whose process died (kill -9: run.json still says running) is offered on start."""
    assert window.banner.isHidden()  # nothing interrupted yet
    view = ready_to_train(window, corpus, {"steps": 30, "checkpoint_every": 10})
    assert isinstance(wait_job(qtbot, window, view.train()), Finished)
    run = find_run(home.runs, str(view.run_dir))
    run.save(status="running", pid=2**22 + 12345, step=20)  # as a killed process leaves it
    (run.checkpoints_dir / "step-0000030").rename(run.path / "gone")  # died before step 30
    again = reopen_window(qtbot, home)
    try:
        again.show()
        qtbot.waitExposed(again)
        assert again.banner.isVisible()
        assert run.name in again.banner.label.text() and "step 20" in again.banner.label.text()
        qtbot.mouseClick(again.banner.resume_button, Qt.MouseButton.LeftButton)
        assert again.banner.isHidden()
        assert again.tabs.currentWidget() is again.train_view
        job = again.train_view.job_id
        qtbot.waitUntil(lambda: job in again.ended, timeout=60_000)
        assert isinstance(again.ended[job], Finished) and again.ended[job].result.step == 30
    finally:
        again.session.shutdown()
