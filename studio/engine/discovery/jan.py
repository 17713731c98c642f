"""Rule: Jan's models folder.

Where: ``~/jan/models`` (Jan before 0.5), and the data folder of later versions,
``$XDG_DATA_HOME/Jan/data`` (default ``~/.local/share/Jan/data``), ``~/Library/Application
Support/Jan/data`` on macOS, ``%APPDATA%\\Jan\\data`` on Windows, under ``models/`` or
``llamacpp/models/``.

Layout: one folder per model, ``MODEL_ID/``, holding its ``.gguf`` (and a ``model.json`` or
``model.yml`` Jan writes); downloads in progress carry a temporary suffix until done.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path

from .found import Budget, FoundModel
from .walk import files_below, user_data_dirs

NAME = "jan"


def roots(env: Mapping[str, str], home: Path) -> list[Path]:
    found = [home / "jan" / "models"]
    for base in user_data_dirs(env, home, "APPDATA"):
        found += [base / "Jan" / "data" / "models", base / "Jan" / "data" / "llamacpp" / "models"]
    return found


def scan(root: Path, budget: Budget) -> Iterator[FoundModel]:
    for file in files_below(root, root, budget, ".gguf", 3):
        yield FoundModel(NAME, str(file.relative_to(root).parent / file.stem), file, "gguf")
