"""The window's generator list and Create views (text streaming, the image gallery), driven
through real widgets on the offscreen platform with real test generators."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from ui_support import wait_job

from studio.engine.events import Finished

# Not about isolation: the test plugin's jobs run in-process here (see conftest).
pytestmark = pytest.mark.usefixtures("in_process_jobs")


def test_generator_list_is_filled_from_the_registry(window) -> None:
    picker = window.generators
    ids = picker.generator_ids()
    assert set(window.session.host.generators) == set(ids)
    assert {"tinychar", "tinypix"} <= set(ids)
    item = picker.item_for("tinypix")
    assert item.parent().text(0) == "Images"
    assert item.text(1) == "testgen"  # the plugin that registered it
    assert item.text(2) == "1.0"
    picker.setCurrentItem(picker.item_for("tinychar"))
    assert window.session.generator_id == "tinychar"
    assert window.create_view.currentWidget() is window.create_view.text


def test_text_streams_into_the_view(qtbot, window, home) -> None:
    window.session.set_generator("tinychar")
    view = window.create_view.text
    deliveries: list[int] = []
    window.session.events.connect(lambda job, events: deliveries.append(job))
    view.prompt.setPlainText("To be")
    view.form.set_values({"max_new_chars": 40, "delay_ms": 10})
    job_id = window.generate()
    seen: list[int] = []
    qtbot.waitUntil(
        lambda: seen.append(len(view.output.toPlainText())) or job_id in window.ended,
        timeout=30_000,
    )
    assert isinstance(window.ended[job_id], Finished)
    text = view.output.toPlainText()
    assert text.startswith("To be") and len(text) == len("To be") + 40
    # It streamed: the output grew over several deliveries, not in one piece at the end.
    assert len({n for n in seen if 0 < n < len(text)}) >= 2
    assert 2 <= deliveries.count(job_id) < 40
    # The history persisted it in the library home, and search finds it.
    assert view.history_list.count() == 1
    view.search.setText("to be")
    assert view.history_list.count() == 1
    view.search.setText("zzz-not-there")
    assert view.history_list.count() == 0
    assert (home.root / "history.json").is_file()


def test_generation_fills_the_gallery_and_reruns_exactly(qtbot, window) -> None:
    window.session.set_generator("tinypix")
    view = window.create_view.image
    assert window.create_view.currentWidget() is view
    view.seed.setValue(100)
    view.count.setValue(4)
    queued: list[int] = []
    window.session.job_queued.connect(lambda job, title, kind: queued.append(job))
    qtbot.mouseClick(view.generate_button, Qt.MouseButton.LeftButton)
    assert len(queued) == 1
    assert isinstance(wait_job(qtbot, window, queued[0]), Finished)
    qtbot.waitUntil(lambda: view.gallery.count() == 4)
    entries = view.gallery.entries()
    assert [e.seed for e in entries] == [100, 101, 102, 103]
    assert all(e.path is not None and e.path.is_file() for e in entries)
    view.gallery.item(2).setSelected(True)
    rerun = view.rerun(entries[2])
    assert isinstance(wait_job(qtbot, window, rerun), Finished)
    again = view.gallery.entries()[-1]
    assert again.seed == 102
    assert again.image == entries[2].image
    mime = view.gallery.mimeData([view.gallery.item(0)])
    assert mime.urls()[0].toLocalFile() == str(entries[0].path)
