"""File → Settings: a new library folder applies at once, and never under a running job."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, QTimer
from PySide6.QtWidgets import QApplication, QDialogButtonBox, QMessageBox
from support import tiny_lm
from ui_support import answer_next_question, train_slowly, wait_job

from studio.engine import Finished, Home, ImportJob
from studio.ui.models.history import HistoryEntry, PromptHistory
from studio.ui.views.settings_dialog import LIBRARY_KEY, SettingsDialog


@pytest.fixture
def app_settings(tmp_path: Path) -> Iterator[None]:
    """The app's own QSettings (where the next start's library folder is kept) in tmp_path."""
    for kind in (QSettings.Format.NativeFormat, QSettings.Format.IniFormat):
        QSettings.setPath(kind, QSettings.Scope.UserScope, str(tmp_path / "qsettings"))
    QSettings().remove(LIBRARY_KEY)
    yield
    QSettings().remove(LIBRARY_KEY)


def _answer_settings(change: Callable[[SettingsDialog], object]) -> None:
    """Change the Settings dialog once it shows, then press OK (as a user would)."""

    def fill() -> None:
        dialog = QApplication.activeModalWidget()
        if not isinstance(dialog, SettingsDialog):
            QTimer.singleShot(20, fill)
            return
        change(dialog)
        dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).click()

    QTimer.singleShot(20, fill)


def _choose_library(window, folder: Path, **also: str) -> None:
    def change(dialog: SettingsDialog) -> None:
        assert dialog.library.text() == str(window.session.home.root)
        dialog.library.setText(str(folder))
        if "device" in also:
            dialog.device.setCurrentText(also["device"])

    _answer_settings(change)
    window.open_settings()


def _history(window) -> list[str]:
    view = window.create_view.text
    return [view.history_list.item(i).text() for i in range(view.history_list.count())]


def test_a_new_library_folder_applies_at_once(
    qtbot, window, corpus, tmp_path, app_settings
) -> None:
    # The library in use: a trained model and its run.
    window.session.set_generator("tinychar")
    view = window.train_view
    view.dataset.path.setText(str(corpus))
    view.form.set_values({"steps": 3})
    trained = wait_job(qtbot, window, view.train())
    assert isinstance(trained, Finished)
    first = window.session.home.root
    window.session.set_generator("tinypix")  # and two images in its gallery
    gallery = window.create_view.image.gallery
    window.create_view.image.count.setValue(2)
    assert isinstance(wait_job(qtbot, window, window.create_view.image.generate()), Finished)
    qtbot.waitUntil(lambda: gallery.count() == 2)
    window.tabs.setCurrentWidget(window.runs_view)
    assert window.runs_view.table.rowCount() == 1
    # Another library: an imported model and a prompt in its history, no runs, no settings.
    other = Home.open(tmp_path / "other library")
    source = tiny_lm.llama_folder(tmp_path / "tiny-llama")
    events = list(ImportJob(window.session.host, other, source, name="other-voice").run())
    assert isinstance(events[-1], Finished), events[-1]
    PromptHistory.in_home(other).add(HistoryEntry("lm", "Once upon", " a time", model="x"))
    library = window.open_library()
    qtbot.addWidget(library)

    _choose_library(window, other.root, device="cpu")
    assert window.session.home.root == other.root
    assert QSettings().value(LIBRARY_KEY) == str(other.root)  # and so the next start opens it
    assert library.names() == ["other-voice"]  # the open library dialog followed
    assert window.runs_view.table.rowCount() == 0
    assert gallery.count() == 0  # the gallery shows the new library's images: none
    assert not window.banner.isVisible()
    window.session.set_generator("lm")
    assert window.models.currentData() == "other-voice"  # the picker, without a restart
    assert any(item.startswith("Once upon") for item in _history(window))
    assert window.qsettings.fileName() == str(other.window_state)
    # The dialog's choices land in the new library's settings, beside the old library's others.
    saved = json.loads(other.settings_file.read_text())
    assert saved["device"] == "cpu" and window.session.worker.device_choice == "cpu"
    old = json.loads((first / "settings.json").read_text())
    assert saved["approved_plugins"] == old["approved_plugins"]

    # And back: the first library's model and run are there again.
    _choose_library(window, first)
    window.session.set_generator("tinypix")
    assert gallery.count() == 2
    window.session.set_generator("tinychar")
    assert window.models.currentData() == Path(trained.result.model).name
    assert window.runs_view.table.rowCount() == 1
    assert not _history(window)


def test_the_library_folder_is_kept_while_a_job_runs(
    qtbot, window, corpus, tmp_path, app_settings
) -> None:
    view = train_slowly(qtbot, window, corpus, steps=2000, until=2)
    first = window.session.home.root
    seen = answer_next_question(QMessageBox.StandardButton.Ok)
    _choose_library(window, tmp_path / "elsewhere", device="cpu")
    assert seen and "while jobs run (Train tinychar)" in seen[0], seen
    assert window.session.home.root == first
    assert not (tmp_path / "elsewhere").exists()
    assert QSettings().value(LIBRARY_KEY) is None
    # The dialog's other choices still apply, to the library in use.
    assert window.session.settings.get("device") == "cpu"
    job_id = view.job_id
    view.cancel()
    wait_job(qtbot, window, job_id)
    qtbot.waitUntil(lambda: not window.session.worker.busy, timeout=30_000)
    _choose_library(window, tmp_path / "elsewhere")  # once the job ended, the switch is made
    assert window.session.home.root == tmp_path / "elsewhere"


def test_a_data_check_in_flight_never_holds_the_library_folder(
    qtbot, window, corpus, tmp_path, app_settings
) -> None:
    # A data check only reads the library (the chosen model's tokenizer): the user who changes
    # the folder while one runs gets the new folder at once, and the check runs again there.
    window.session.set_generator("tinychar")
    picker = window.train_view.dataset
    first_check = picker.set_path(corpus)
    assert first_check is not None
    record = window.session.jobs.get(first_check)
    assert record is not None and not record.ended  # no event loop has run since it was queued
    window.session.switch_library(tmp_path / "elsewhere")
    assert window.session.home.root == tmp_path / "elsewhere"
    assert picker.job_id not in (None, first_check)  # checked again, against the new folder
    wait_job(qtbot, window, first_check)
    assert isinstance(wait_job(qtbot, window, picker.job_id), Finished)
    qtbot.waitUntil(lambda: picker.report is not None)
    assert "Checking" not in picker.report_view.toPlainText()


def test_a_calibration_goes_on_through_a_change_of_library(qtbot, window, tmp_path) -> None:
    # The welcome panel's estimate trains a few steps in a temporary library of its own.
    job = window.session.calibrate("tinychar")
    window.session.switch_library(tmp_path / "elsewhere")
    assert window.session.home.root == tmp_path / "elsewhere"
    assert isinstance(wait_job(qtbot, window, job), Finished)
