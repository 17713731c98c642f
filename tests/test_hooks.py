"""Each hook, called for real through the plugin manager."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from PIL import Image

from studio.api import Generator, ImageSample, TextChunk, hookimpl
from studio.engine.plugins.exporters import export
from studio.engine.plugins.host import call_startup, load_plugins


def test_register_generators_collects_every_plugins_generators(host) -> None:
    results = host.manager.hook.register_generators()
    ids = {g.id for batch in results for g in batch}
    assert {"tinychar", "tinypix"} <= ids


class _Exporter:
    """A plugin that writes text samples as Markdown, ahead of Studio's own exporter."""

    STUDIO_API_VERSION = 1

    @hookimpl
    def export_sample(self, sample, folder: Path, stem: str, metadata):
        if not isinstance(sample, TextChunk):
            return None
        path = folder / f"{stem}.md"
        path.write_text(f"# {metadata['generator']}\n\n{sample.text}\n", encoding="utf-8")
        return [path]


def test_export_sample_first_plugin_wins_and_fallback_handles_the_rest(plugin_site, tmp_path):
    host = load_plugins(extra=[("markdown", _Exporter())])
    meta = {"generator": "tinychar", "seed": 4}
    written = export(host, TextChunk("Hello"), tmp_path, "a", meta)
    assert [p.name for p in written] == ["a.md"]
    assert (tmp_path / "a.md").read_text(encoding="utf-8").endswith("Hello\n")
    pixels = np.arange(48, dtype=np.uint8).reshape(4, 4, 3)
    written = export(host, ImageSample(pixels, seed=9), tmp_path, "b", meta)
    assert [p.name for p in written] == ["b.png", "b.json"]
    with Image.open(tmp_path / "b.png") as image:
        assert json.loads(image.text["studio"]) == meta  # metadata travels inside the PNG
        assert np.array_equal(np.asarray(image), pixels)
    assert json.loads((tmp_path / "b.json").read_text())["file"] == "b.png"
    # A second export with the same stem never overwrites the first.
    again = export(host, ImageSample(pixels, seed=9), tmp_path, "b", meta)
    assert again[0].name == "b-2.png"


class _StartupRecorder:
    STUDIO_API_VERSION = 1

    def __init__(self) -> None:
        self.homes: list[Path] = []

    @hookimpl
    def startup(self, home: Path) -> None:
        self.homes.append(home)

    @hookimpl
    def register_generators(self) -> list[Generator]:
        return []


def test_startup_is_called_once_with_the_home(plugin_site, tmp_path) -> None:
    recorder = _StartupRecorder()
    host = load_plugins(extra=[("recorder", recorder)])
    call_startup(host, tmp_path)
    assert recorder.homes == [tmp_path]
    assert host.records["recorder"].status == "loaded"
