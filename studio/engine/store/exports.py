"""Samples the user generated, read back from the exports folder by their JSON sidecars, so a
gallery can show them again after a restart."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from studio.engine.home import Home
from studio.engine.store.atomic import read_json


def recent_samples(home: Home, generator_id: str, limit: int = 48) -> list[dict[str, Any]]:
    """The newest ``limit`` image samples of ``generator_id``, oldest first: each sidecar's
    metadata (seed, model, params, ...) with ``path`` (the PNG) and ``animation`` (or None)."""
    found = []
    folder = home.exports
    if not folder.is_dir():
        return []
    for sidecar in folder.glob(f"{generator_id}-*.json"):
        meta = read_json(sidecar)
        if not isinstance(meta, dict) or meta.get("generator") != generator_id:
            continue
        image = folder / str(meta.get("file", ""))
        if image.suffix.lower() != ".png" or not image.is_file():
            continue  # a text sample, or a file the user removed
        animation = folder / str(meta["animation"]) if meta.get("animation") else None
        found.append({**meta, "path": image, "animation": animation, "_mtime": _mtime(image)})
    found.sort(key=lambda m: m["_mtime"])
    return [{k: v for k, v in m.items() if k != "_mtime"} for m in found[-limit:]]


def _mtime(path: Path) -> float:
    return path.stat().st_mtime
