"""Studio's exporter writes an ImageSample's frames as an animated GIF or WebP with metadata."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from studio.api import ImageSample
from studio.engine.plugins.exporters import export


@pytest.mark.parametrize("kind", ["gif", "webp"])
def test_frames_become_an_animation_beside_the_png(host, tmp_path, kind: str) -> None:
    frames = tuple(np.full((6, 6, 3), value, np.uint8) for value in (0, 120, 240))
    sample = ImageSample(frames[0], frames=frames, frame_ms=70, animation_format=kind)
    meta = {"generator": "tinypix", "seed": 3}
    written = export(host, sample, tmp_path, "walk", meta)
    assert [p.name for p in written] == ["walk.png", f"walk.{kind}", "walk.json"]
    with Image.open(tmp_path / f"walk.{kind}") as animation:
        assert animation.n_frames == 3
        if kind == "gif":
            embedded = animation.info["comment"].decode("utf-8")
        else:
            embedded = animation.getexif()[0x010E]
        assert json.loads(embedded) == meta
        shown = []
        for index in range(3):
            animation.seek(index)
            shown.append(int(np.asarray(animation.convert("L")).mean()))
            assert animation.info.get("duration") == 70
    assert shown == [0, 120, 240]
    assert json.loads((tmp_path / "walk.json").read_text())["animation"] == f"walk.{kind}"


def test_a_still_image_writes_no_animation(host, tmp_path) -> None:
    written = export(host, ImageSample(np.zeros((4, 4, 1), np.uint8)), tmp_path, "still", {})
    assert [p.name for p in written] == ["still.png", "still.json"]
