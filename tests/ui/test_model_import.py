"""Model → Add a model… and drag-and-drop: the window submits the import and picks the model;
an import runs beside a training, and leaves it alone."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, QPoint, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication, QFileDialog
from support import tiny_lm
from ui_support import train_slowly, wait_job

from studio.engine import list_models
from studio.engine.events import Cancelled, Failed, Finished


@pytest.fixture(scope="module")
def model_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tiny_lm.gpt2_folder(tmp_path_factory.mktemp("pretrained") / "my-gpt2")


def _drop(window, path: Path) -> bool:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    where, actions = QPoint(400, 300), Qt.DropAction.CopyAction
    buttons, keys = Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier
    enter = QDragEnterEvent(where, actions, mime, buttons, keys)
    QApplication.sendEvent(window, enter)
    if not enter.isAccepted():
        return False
    QApplication.sendEvent(window, QDropEvent(where, actions, mime, buttons, keys))
    return True


def test_dropping_a_model_folder_imports_and_chooses_it(qtbot, window, model_folder) -> None:
    before = set(window.ended)
    assert _drop(window, model_folder)
    qtbot.waitUntil(lambda: bool(set(window.ended) - before), timeout=60_000)
    job_id = max(set(window.ended) - before)
    event = wait_job(qtbot, window, job_id)
    assert isinstance(event, Finished), getattr(event, "traceback", event)
    assert window.session.generator_id == event.result["generator"]
    assert window.models.currentData() == "my-gpt2"
    index = window.models.currentIndex()
    assert "gpt2" in window.models.itemData(index, Qt.ItemDataRole.ToolTipRole)


def test_a_drop_of_something_else_is_not_taken(window, tmp_path) -> None:
    note = tmp_path / "notes.txt"
    note.write_text("not a model")
    assert not _drop(window, note)


def test_add_a_model_menu_imports_the_folder_of_a_config(qtbot, window, model_folder, monkeypatch):
    monkeypatch.setattr(
        QFileDialog, "getOpenFileName", lambda *a, **k: (str(model_folder / "config.json"), "")
    )
    assert window.model_import.action.text() == "Add a model…"
    job_id = window.model_import.ask()
    event = wait_job(qtbot, window, job_id)
    assert isinstance(event, Finished) and event.result["name"] == "my-gpt2"


def test_a_refused_model_is_reported(qtbot, window, tmp_path) -> None:
    folder = tmp_path / "pickled"
    folder.mkdir()
    (folder / "config.json").write_text('{"model_type": "llama"}')
    (folder / "pytorch_model.bin").write_bytes(b"not opened")
    job_id = window.model_import.submit(folder)
    event = wait_job(qtbot, window, job_id)
    assert isinstance(event, Failed) and "pickle" in event.message


def test_the_create_view_writes_with_an_imported_model(qtbot, window, model_folder) -> None:
    """The generic form, the streaming view and the history work with lm unchanged."""
    event = wait_job(qtbot, window, window.model_import.submit(model_folder))
    assert isinstance(event, Finished)
    view = window.create_view.text
    assert window.create_view.currentWidget() is view
    view.prompt.setPlainText("The cat")
    view.form.set_values({"max_new_tokens": 12, "temperature": 0.0})
    job_id = window.generate()
    done = wait_job(qtbot, window, job_id)
    assert isinstance(done, Finished), getattr(done, "traceback", done)
    assert view.output.toPlainText().startswith("The cat")
    assert len(view.output.toPlainText()) > len("The cat")
    assert view.history_list.count() == 1


def _still_training(qtbot, window, view, training: int, form) -> None:
    """The run goes on as before: running, followed by its view, beside its own form."""
    record = window.session.jobs.get(training)
    assert record.state == "running" and view.job_id == training
    assert window.session.generator_id == "tinychar" and view.form is form
    step = view.progress.value()
    qtbot.waitUntil(lambda: view.progress.value() >= step + 5, timeout=30_000)


def _stop(qtbot, window, view, training: int) -> None:
    view.cancel()
    assert isinstance(wait_job(qtbot, window, training), Cancelled)


@pytest.mark.usefixtures("in_process_jobs")
def test_an_import_of_its_generator_runs_beside_a_training_and_is_chosen(
    qtbot, window, corpus, tmp_path
) -> None:
    view = train_slowly(qtbot, window, corpus, steps=100_000, until=3)
    training, form = view.job_id, view.form
    source = tmp_path / "slow.tinychar"  # the test generator's import, taking a second
    source.write_text(json.dumps({"name": "beside", "seconds": 1.0}))
    job_id = window.model_import.submit(source)
    assert not window.session.jobs.get(job_id).device  # not in the device's queue
    event = wait_job(qtbot, window, job_id, timeout=60_000)
    assert isinstance(event, Finished), getattr(event, "traceback", event)
    assert window.session.jobs.get(training).state == "running"  # it ended first
    # The same generator's model: chosen in the picker at once, the run untouched.
    assert window.models.currentData() == "beside"
    _still_training(qtbot, window, view, training, form)
    _stop(qtbot, window, view, training)


@pytest.mark.usefixtures("in_process_jobs")
def test_a_model_imported_while_another_generator_trains_is_listed_not_switched_to(
    qtbot, window, corpus, model_folder
) -> None:
    library = window.open_library()
    qtbot.addWidget(library)
    view = train_slowly(qtbot, window, corpus, steps=100_000, until=3)
    training, form = view.job_id, view.form
    job_id = window.model_import.submit(model_folder)  # the built-in lm's, on the CPU
    event = wait_job(qtbot, window, job_id, timeout=120_000)
    assert isinstance(event, Finished), getattr(event, "traceback", event)
    assert event.result["generator"] == "lm"
    # Listed in the library at once; the pickers stay on the training's generator.
    assert "my-gpt2" in library.names()
    assert "my-gpt2" in [m["name"] for m in list_models(window.session.home)]
    _still_training(qtbot, window, view, training, form)
    _stop(qtbot, window, view, training)
    window.session.set_generator("lm")  # where the user finds it
    assert window.models.findData("my-gpt2") >= 0


@pytest.mark.usefixtures("in_process_jobs")
def test_a_long_import_holds_up_no_data_check(qtbot, window, corpus, tmp_path) -> None:
    """Imports have a lane of their own beside the device: a data check never waits for one."""
    source = tmp_path / "long.tinychar"
    source.write_text(json.dumps({"name": "long", "seconds": 4.0}))
    importing = window.model_import.submit(source)
    qtbot.waitUntil(lambda: window.session.jobs.get(importing).state == "running")
    tree = window.jobs.tree  # the Jobs panel says so, in full
    (row,) = [tree.topLevelItem(i) for i in range(tree.topLevelItemCount())]
    assert row.text(1) == "running beside"
    assert tree.columnWidth(1) > tree.fontMetrics().horizontalAdvance("running beside")
    window.session.set_generator("tinychar")
    check = window.session.check_data(corpus)
    assert isinstance(wait_job(qtbot, window, check), Finished)
    assert window.session.jobs.get(importing).state == "running"
    assert isinstance(wait_job(qtbot, window, importing), Finished)
