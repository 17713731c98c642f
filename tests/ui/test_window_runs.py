"""The window's Runs view: a run in training, exporting metrics, removing a run, driven through
real widgets on the offscreen platform with real test generators."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QMessageBox
from ui_support import answer_next_question, ready_to_train, wait_job

# Not about isolation: the test plugin's jobs run in-process here (see conftest).
pytestmark = pytest.mark.usefixtures("in_process_jobs")


def test_the_run_that_is_training_is_in_runs(qtbot, window, corpus) -> None:
    view = ready_to_train(window, corpus, {"steps": 400, "step_delay_ms": 20})
    job = view.train()
    qtbot.waitUntil(lambda: view.progress.value() >= 2, timeout=30_000)
    runs = window.runs_view
    window.tabs.setCurrentWidget(runs)
    name = view.run_dir.name
    assert name in runs.run_names()
    row = runs.run_names().index(name)
    assert runs.table.item(row, 2).text() == "running"
    # Its step moves on while the view is open.
    first = runs.table.item(row, 3).text()
    qtbot.waitUntil(lambda: runs.table.item(row, 3).text() != first, timeout=10_000)
    window.session.cancel(job)
    wait_job(qtbot, window, job)


def test_runs_export_their_metrics_and_are_removed_after_asking(
    qtbot, window, corpus, tmp_path, monkeypatch
) -> None:
    import csv

    from PySide6.QtWidgets import QFileDialog

    view = ready_to_train(window, corpus, {"steps": 6})
    event = wait_job(qtbot, window, view.train())
    runs = window.runs_view
    window.tabs.setCurrentWidget(runs)
    name = event.result.run.name
    runs.select(name)
    target = tmp_path / "metrics.csv"
    monkeypatch.setattr(  # the OS dialog cannot run offscreen: the user's answer
        QFileDialog, "getSaveFileName", staticmethod(lambda *a: (str(target), "CSV (*.csv)"))
    )
    assert runs.export_selected() == target
    rows = list(csv.DictReader(target.open(encoding="utf-8")))
    assert [int(r["step"]) for r in rows] == list(range(1, 7))
    answer_next_question(QMessageBox.StandardButton.No)
    assert not runs.remove_selected() and name in runs.run_names()
    asked = answer_next_question(QMessageBox.StandardButton.Yes)
    assert runs.remove_selected()
    assert name in asked[0] and name not in runs.run_names()
    assert not event.result.run.exists() and event.result.model.exists()
