"""Rule: GPT4All's models folder.

Where: ``$XDG_DATA_HOME/nomic.ai/GPT4All`` (default ``~/.local/share/nomic.ai/GPT4All``) on
Linux, ``~/Library/Application Support/nomic.ai/GPT4All`` on macOS,
``%LOCALAPPDATA%\\nomic.ai\\GPT4All`` on Windows. A folder moved in GPT4All's settings is not
followed; import it by path instead.

Layout: ``.gguf`` files side by side; a download in progress is ``incomplete-NAME.gguf``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path

from .found import Budget, FoundModel
from .walk import files_below, user_data_dirs

NAME = "gpt4all"


def roots(env: Mapping[str, str], home: Path) -> list[Path]:
    return [base / "nomic.ai" / "GPT4All" for base in user_data_dirs(env, home, "LOCALAPPDATA")]


def scan(root: Path, budget: Budget) -> Iterator[FoundModel]:
    for file in files_below(root, root, budget, ".gguf", 1):
        yield FoundModel(NAME, file.name, file, "gguf")
