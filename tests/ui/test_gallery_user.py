"""The gallery as a user meets it: new images in view, labelled by seed, kept across restarts,
saved where pictures go, enlarged on a double-click."""

from __future__ import annotations

from pathlib import Path

from ui_support import reopen_window, wait_job

from studio.engine.events import Finished


def test_new_images_scroll_into_view_and_survive_a_restart(qtbot, window, home) -> None:
    window.session.set_generator("tinypix")
    view = window.create_view.image
    view.resize(600, 400)
    view.gallery.set_zoom(256)
    view.seed.setValue(10)
    view.count.setValue(12)
    assert isinstance(wait_job(qtbot, window, view.generate()), Finished)
    gallery = view.gallery
    qtbot.waitUntil(lambda: gallery.count() == 12)
    last = gallery.item(gallery.count() - 1)
    assert gallery.viewport().rect().intersects(gallery.visualItemRect(last))
    assert [gallery.item(i).text() for i in range(3)] == ["seed 10", "seed 11", "seed 12"]

    again = reopen_window(qtbot, home)
    try:
        again.session.set_generator("tinypix")
        restored = again.create_view.image.gallery
        assert restored.count() == 12
        assert [e.seed for e in restored.entries()] == list(range(10, 22))
        assert all(e.path is not None and e.path.is_file() for e in restored.entries())
        # A restored image re-runs exactly, as before the restart.
        first = restored.entries()[2]
        job = again.create_view.image.rerun(first)
        assert isinstance(wait_job(qtbot, again, job), Finished)
        assert restored.entries()[-1].image == first.image
    finally:
        again.session.shutdown()


def test_save_as_opens_in_pictures_and_an_image_enlarges(qtbot, window, monkeypatch) -> None:
    from PySide6.QtWidgets import QFileDialog

    window.session.set_generator("tinypix")
    view = window.create_view.image
    view.count.setValue(1)
    assert isinstance(wait_job(qtbot, window, view.generate()), Finished)
    qtbot.waitUntil(lambda: view.gallery.count() == 1)
    gallery = view.gallery
    item = gallery.item(0)
    viewer = gallery.enlarge(item)
    qtbot.addWidget(viewer)
    pixmap = viewer.findChild(type(viewer.layout().itemAt(0).widget())).pixmap()
    assert pixmap.width() >= 256  # the 8 px test image, shown large
    asked: list[str] = []
    target = Path(gallery.save_folder)

    def fake_dialog(parent, title, start, filters):  # the OS dialog cannot run offscreen
        asked.append(start)
        return "", ""

    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(fake_dialog))
    item.setSelected(True)
    gallery.save_selected()
    assert asked and Path(asked[0]).parent == target and target != Path.cwd()
