"""Model → Add a model… and drag-and-drop: the window submits the import and picks the model."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, QPoint, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication, QFileDialog
from support import tiny_lm
from ui_support import wait_job

from studio.engine.events import Failed, Finished


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
