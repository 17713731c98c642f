"""Snapshots of the plugin set, taken before every install, uninstall or rollback.

A snapshot is a copy of the plugin site (hard links where the filesystem allows: pip and Python
replace files rather than rewrite them, so a linked file never changes under a snapshot) plus the
settings' plugin lists (disabled, approved). ``rollback`` restores the newest snapshot exactly and
drops it, so rolling back again goes one change further back.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path
from typing import Any

from studio.api import StudioError
from studio.engine.home import Home
from studio.engine.settings import Settings
from studio.engine.store.atomic import read_json, write_json

KEEP = 10
PLUGIN_KEYS = ("disabled_plugins", "approved_plugins")


def snapshots_folder(home_root: Path) -> Path:
    return Home(Path(home_root)).plugin_snapshots


def _link_or_copy(source: str, target: str) -> None:
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


def _copy_tree(source: Path, target: Path) -> None:
    if source.is_dir():
        shutil.copytree(source, target, copy_function=_link_or_copy, symlinks=True)
    else:
        target.mkdir(parents=True)


def take(home_root: Path, site: Path, settings: Settings, reason: str) -> Path:
    """Snapshot the plugin set before a change described by ``reason``; returns its folder."""
    folder = snapshots_folder(home_root)
    folder.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    taken = sorted(folder.iterdir())
    target = folder / f"{_next_index(taken):04d}-{stamp}"
    partial = target.with_name(f".{target.name}.partial")
    shutil.rmtree(partial, ignore_errors=True)
    _copy_tree(site, partial / "site")
    state = {key: settings.get(key) for key in PLUGIN_KEYS}
    write_json(partial / "snapshot.json", {"reason": reason, "created": stamp, "settings": state})
    # A snapshot is complete or absent: it only gets its name once fully written.
    partial.rename(target)
    for old in sorted(p for p in folder.iterdir() if not p.name.startswith("."))[:-KEEP]:
        shutil.rmtree(old, ignore_errors=True)
    return target


def _next_index(taken: list[Path]) -> int:
    numbers = [int(p.name.split("-", 1)[0]) for p in taken if p.name[:4].isdigit()]
    return max(numbers, default=-1) + 1


def list_snapshots(home_root: Path) -> list[dict[str, Any]]:
    """Snapshots, newest first: name, reason, created."""
    folder = snapshots_folder(home_root)
    if not folder.is_dir():
        return []
    found = []
    for path in sorted(folder.iterdir(), reverse=True):
        info = read_json(path / "snapshot.json")
        if path.name.startswith(".") or not isinstance(info, dict):
            continue
        found.append({"name": path.name, "path": path, **info})
    return found


def restore_latest(home_root: Path, site: Path, settings: Settings) -> dict[str, Any]:
    """Put back the newest snapshot's site and plugin lists; the snapshot is used up."""
    snapshots = list_snapshots(home_root)
    if not snapshots:
        raise StudioError("no plugin snapshot to roll back to (one is taken before each change)")
    latest = snapshots[0]
    staged = site.with_name(".site.restoring")
    shutil.rmtree(staged, ignore_errors=True)
    _copy_tree(latest["path"] / "site", staged)
    # Swap folders with renames, so a crash leaves either the old or the restored site in place.
    retired = site.with_name(".site.retired")
    shutil.rmtree(retired, ignore_errors=True)
    if site.exists():
        site.rename(retired)
    staged.rename(site)
    shutil.rmtree(retired, ignore_errors=True)
    settings.update(dict(latest["settings"]))
    shutil.rmtree(latest["path"])
    return latest
