"""The model picker as a user meets it: a trained model is chosen, an untrained one warns."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from ui_support import wait_job

from studio.engine.events import Cancelled, Finished
from studio.ui.views.model_picker import NEW_MODEL


def _train(qtbot, window, corpus: Path, steps: int = 5) -> Finished:
    view = window.train_view
    view.dataset.path.setText(str(corpus))
    view.form.set_values({"steps": steps})
    event = wait_job(qtbot, window, view.train())
    assert isinstance(event, Finished), event
    return event


def test_a_trained_model_is_chosen_and_an_untrained_one_warns(qtbot, window, corpus) -> None:
    picker = window.models
    window.session.set_generator("tinychar")
    assert picker.currentText() == NEW_MODEL and picker.hint.isVisible()
    event = _train(qtbot, window, corpus)
    # The model the training made is chosen at once.
    assert window.session.model_ref == Path(event.result.model).name
    assert not picker.hint.isVisible()
    # Coming back to the generator chooses its newest model, not an untrained one.
    window.session.set_generator("tinypix")
    assert picker.currentText() == NEW_MODEL
    window.session.set_generator("tinychar")
    assert window.session.model_ref == Path(event.result.model).name
    # "New untrained model" chosen by the user stays chosen, as the library changes.
    picker.setCurrentIndex(0)
    picker.activated.emit(0)
    assert window.session.model_ref == "" and picker.hint.isVisible()
    picker.refresh()
    assert window.session.model_ref == ""


def test_history_restores_the_model_and_keeps_stopped_text(qtbot, window, corpus) -> None:
    window.session.set_generator("tinychar")
    trained = Path(_train(qtbot, window, corpus).result.model).name
    view = window.create_view.text
    view.prompt.setPlainText("To be")
    view.form.set_values({"max_new_chars": 400, "delay_ms": 20})
    job = window.generate()
    qtbot.waitUntil(lambda: len(view.output.toPlainText()) > len("To be") + 3, timeout=30_000)
    qtbot.mouseClick(view.stop_button, Qt.MouseButton.LeftButton)
    assert isinstance(wait_job(qtbot, window, job), Cancelled)
    # What was written before Stop is in History.
    assert view.history_list.count() == 1
    window.models.setCurrentIndex(0)  # the user looks at an untrained model meanwhile
    assert window.session.model_ref == ""
    view.restore(view.history_list.item(0))
    assert window.session.model_ref == trained
    assert window.models.currentData() == trained


def test_the_text_pane_saves_and_continues_a_text(qtbot, window, tmp_path, monkeypatch) -> None:
    from PySide6.QtWidgets import QFileDialog

    window.session.set_generator("tinychar")
    view = window.create_view.text
    view.prompt.setPlainText("To be")
    view.form.set_values({"max_new_chars": 10})
    assert isinstance(wait_job(qtbot, window, window.generate()), Finished)
    first = view.output.toPlainText()
    assert len(first) == len("To be") + 10
    job = view.continue_text()
    assert isinstance(wait_job(qtbot, window, job), Finished)
    longer = view.output.toPlainText()
    assert longer.startswith(first) and len(longer) == len(first) + 10
    target = tmp_path / "draft.txt"
    offered: list[str] = []

    def dialog(parent, title, start, filters):  # the OS dialog cannot run offscreen
        offered.append(start)
        return str(target), filters

    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(dialog))
    assert view.save_text() == target
    assert target.read_text(encoding="utf-8") == longer
    assert offered[0].endswith(".txt") and view.save_folder == tmp_path


def test_the_model_library_shows_lineage_and_renames_and_removes(qtbot, window, corpus) -> None:
    from PySide6.QtWidgets import QMessageBox
    from ui_support import answer_next_question

    window.session.set_generator("tinychar")
    parent = _train(qtbot, window, corpus)
    window.train_view.form.set_values({"steps": 3})
    child = wait_job(qtbot, window, window.train_view.fine_tune())
    assert isinstance(child, Finished)
    library = window.open_library()
    qtbot.addWidget(library)
    parent_name, child_name = Path(parent.result.model).name, Path(child.result.model).name
    assert set(library.names()) == {parent_name, child_name}
    row = library.names().index(child_name)
    cells = [library.table.item(row, c).text() for c in range(library.table.columnCount())]
    assert cells[1] == "tinychar" and cells[2] == "3"
    assert cells[5] == parent_name and cells[6] == child.result.run.name
    assert cells[3].endswith(("B", "KiB", "MiB"))
    library.select(child_name)
    assert library.rename_selected("my voice") is False  # a name with a space is refused
    assert "cannot name a model" in library.message.text()
    assert library.rename_selected("my-voice")
    assert "my-voice" in library.names()
    assert window.models.findData("my-voice") >= 0  # the picker follows
    library.select("my-voice")
    answer_next_question(QMessageBox.StandardButton.Yes)
    assert library.remove_selected()
    assert library.names() == [parent_name]


def test_a_generator_that_only_fine_tunes_asks_for_a_model(qtbot, window, corpus, tmp_path) -> None:
    from support import tiny_lm

    from studio.ui.views.dataset_picker import NEEDS_A_MODEL
    from studio.ui.views.model_picker import BRING_A_MODEL_HINT, NO_MODEL

    picker, data = window.models, window.train_view.dataset
    window.session.set_generator("lm")
    # lm cannot start from nothing: no "New untrained model", but how to add one.
    assert [picker.itemText(i) for i in range(picker.count())] == [NO_MODEL]
    assert picker.hint.isVisible() and picker.hint.text() == BRING_A_MODEL_HINT
    assert "Add a model" in BRING_A_MODEL_HINT  # the Model menu's own words
    assert window.model_import.action.text().startswith("Add a model")
    # Its data check needs the model's tokenizer: none runs, and the report says why.
    assert data.set_path(corpus) is None
    assert data.report_view.toPlainText() == NEEDS_A_MODEL
    assert not [r for r in window.session.jobs if r.kind == "datacheck"]
    # Once a model is added it is chosen, and the data is checked with it.
    job = window.model_import.submit(tiny_lm.llama_folder(tmp_path / "tiny-llama"), "voice")
    assert isinstance(wait_job(qtbot, window, job), Finished)
    qtbot.waitUntil(lambda: window.session.model_ref == "voice")
    assert [picker.itemText(i) for i in range(picker.count())] == ["voice  ·  step 0"]
    assert not picker.hint.isVisible()
    qtbot.waitUntil(lambda: data.report is not None, timeout=30_000)
    assert len(data.report["used"]) == 1
    checks = [r for r in window.session.jobs if r.kind == "datacheck"]
    # A fine-tune of it has the same base, so the same tokenizer: when it finishes and is chosen,
    # the data is not checked again.
    window.train_view.form.set_values({"steps": 2})
    tuned = wait_job(qtbot, window, window.train_view.train())
    assert isinstance(tuned, Finished), tuned
    assert window.session.model_ref == Path(tuned.result.model).name
    assert [r for r in window.session.jobs if r.kind == "datacheck"] == checks
    # Another base model has its own tokenizer: the data is checked again, with it.
    job = window.model_import.submit(tiny_lm.gpt2_folder(tmp_path / "tiny-gpt2"), "other")
    assert isinstance(wait_job(qtbot, window, job), Finished)
    picker.choose("other")
    assert window.session.model_ref == "other"
    qtbot.waitUntil(lambda: data.report is not None, timeout=30_000)
    assert len([r for r in window.session.jobs if r.kind == "datacheck"]) == len(checks) + 1
