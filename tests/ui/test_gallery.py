"""The gallery on its own: an interpolation walk plays in its cell, and goes out as its file."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from studio.ui.views.gallery import Gallery, GalleryItem, to_qimage


def frames(count: int) -> tuple:
    # Each frame a different flat grey, so any two frames differ.
    return tuple(to_qimage(np.full((8, 8, 1), 40 * i, np.uint8)) for i in range(count))


def test_an_animation_plays_while_the_gallery_is_shown(qtbot, tmp_path: Path) -> None:
    gallery = Gallery()
    qtbot.addWidget(gallery)
    walk = tmp_path / "walk.gif"
    walk.write_bytes(b"GIF89a")
    still = gallery.add(GalleryItem(frames(1)[0], tmp_path / "still.png", seed=3))
    walk_item = GalleryItem(
        frames(1)[0], tmp_path / "walk.png", seed=3, frames=frames(4), frame_ms=30, animation=walk
    )
    animated = gallery.add(walk_item)
    assert gallery.shown_frame(still) is None
    assert gallery.shown_frame(animated) == 0

    gallery.show()
    seen = set()
    qtbot.waitUntil(lambda: seen.add(gallery.shown_frame(animated)) or len(seen) == 4, timeout=5000)
    assert seen == {0, 1, 2, 3}

    gallery.hide()
    assert not gallery._player.isActive()  # nothing plays off screen
    gallery.show()
    assert gallery._player.isActive()

    # Dragged out, the walk is its animated file and the still its PNG.
    mime = gallery.mimeData([still, animated])
    assert [url.toLocalFile() for url in mime.urls()] == [
        str(tmp_path / "still.png"),
        str(walk),
    ]

    gallery.set_zoom(64)  # new icons at the new size; still playing
    assert gallery.shown_frame(animated) == 0
    gallery.clear()
    assert not gallery._player.isActive()
