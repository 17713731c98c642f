"""File → Export model…: the dialog submits an export job; the file and Modelfile appear."""

from __future__ import annotations

from pathlib import Path

from support.tiny_lm import write_tiny_llama
from ui_support import wait_job

from studio.engine import Failed, Finished


def test_export_dialog_writes_a_gguf(qtbot, window, tmp_path: Path) -> None:
    folder = write_tiny_llama(tmp_path / "voice", layers=1)
    dialog = window.open_export()
    qtbot.addWidget(dialog)
    dialog.source.setText(str(folder))
    dialog.gguf_type.setCurrentIndex(1)  # Q8_0
    out = Path(dialog.out.text())
    assert out == window.session.home.exports / "voice-q8_0.gguf"
    dialog.accept()
    event = wait_job(qtbot, window, dialog.job_id)
    assert isinstance(event, Finished), event
    assert out.is_file() and (out.parent / "Modelfile").is_file()


def test_a_refused_export_says_why(qtbot, window, tmp_path: Path) -> None:
    dialog = window.open_export()
    qtbot.addWidget(dialog)
    dialog.source.setText(str(tmp_path))  # an empty folder, not a model
    dialog.accept()
    event = wait_job(qtbot, window, dialog.job_id)
    assert isinstance(event, Failed)
    assert event.message.endswith("is not a transformers model folder: no config.json")
