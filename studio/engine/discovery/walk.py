"""Listing a model store safely: read-only, bounded, and never leaving the store through a link.

Stores are full of symbolic links (the Hugging Face cache is made of them). A link is followed
only when its target exists and lies inside the store's own root; a broken link, or one pointing
elsewhere on the disk, is skipped. Names that downloaders give to unfinished files are skipped
too, so a half-downloaded model never shows up as a model.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from pathlib import Path

from .found import Budget

#: How downloaders mark an unfinished file: the HF hub, Ollama, GPT4All, browsers, curl.
PARTIAL_SUFFIXES = (".incomplete", ".part", ".partial", ".tmp", ".download", ".crdownload")
PARTIAL_PREFIXES = ("incomplete-", ".")


def user_data_dirs(env: Mapping[str, str], home: Path, windows_variable: str) -> list[Path]:
    """Where desktop apps keep their data: XDG (Linux), Application Support (macOS), and the
    Windows folder named by ``windows_variable`` (``APPDATA`` or ``LOCALAPPDATA``) when set."""
    xdg = Path(env["XDG_DATA_HOME"]) if env.get("XDG_DATA_HOME") else home / ".local" / "share"
    found = [xdg, home / "Library" / "Application Support"]
    if env.get(windows_variable):
        found.append(Path(env[windows_variable]))
    return found


def is_partial(name: str) -> bool:
    lowered = name.lower()
    return (
        lowered.endswith(PARTIAL_SUFFIXES)
        or "-partial" in lowered
        or lowered.startswith(PARTIAL_PREFIXES)
    )


def inside(path: Path, root: Path) -> Path | None:
    """``path`` resolved, if it exists and stays inside ``root`` (resolved); else None."""
    try:
        target = path.resolve(strict=True)
    except (OSError, RuntimeError):  # broken link, loop, permission
        return None
    return target if target.is_relative_to(root.resolve()) else None


def entries(folder: Path, root: Path, budget: Budget) -> Iterator[tuple[Path, bool]]:
    """``(path, is_dir)`` for each usable entry of ``folder``: complete, inside ``root``."""
    if budget.spent():
        return
    try:
        listing = sorted(os.scandir(folder), key=lambda e: e.name)
    except OSError:
        return
    for entry in listing:
        if is_partial(entry.name):
            continue
        path = Path(entry.path)
        if entry.is_symlink():
            target = inside(path, root)
            if target is None:
                continue
            yield path, target.is_dir()
        else:
            try:
                yield path, entry.is_dir(follow_symlinks=False)
            except OSError:
                continue


def files_below(
    folder: Path, root: Path, budget: Budget, suffix: str, depth: int
) -> Iterator[Path]:
    """Files ending in ``suffix`` at most ``depth`` folders below ``folder``."""
    for path, is_dir in entries(folder, root, budget):
        if is_dir and depth > 0:
            yield from files_below(path, root, budget, suffix, depth - 1)
        elif not is_dir and path.name.lower().endswith(suffix):
            yield path


def folders_with(
    folder: Path, root: Path, budget: Budget, marker: str, depth: int
) -> Iterator[Path]:
    """Folders at most ``depth`` below ``folder`` (itself included) holding a file ``marker``."""
    subfolders = []
    has_marker = False
    for path, is_dir in entries(folder, root, budget):
        if is_dir:
            subfolders.append(path)
        elif path.name == marker:
            has_marker = True
    if has_marker:
        yield folder
        return
    if depth > 0:
        for sub in subfolders:
            yield from folders_with(sub, root, budget, marker, depth - 1)
