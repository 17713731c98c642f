"""The searchable history of prompts and outputs, persisted in the library home. Qt-free."""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from studio.engine import Home, read_json, write_json

# Enough to be useful, small enough to rewrite atomically after every generation.
MAX_ENTRIES = 500


@dataclass
class HistoryEntry:
    generator: str
    prompt: str
    output: str = ""
    seed: int | None = None
    model: str = ""
    params: dict[str, Any] = field(default_factory=dict)
    created: str = field(default_factory=lambda: time.strftime("%Y-%m-%d %H:%M"))

    def matches(self, query: str) -> bool:
        query = query.lower().strip()
        return not query or query in self.prompt.lower() or query in self.output.lower()


class PromptHistory:
    def __init__(self, path: Path) -> None:
        self.path = path
        raw = read_json(path, default=[])
        self.entries: list[HistoryEntry] = []
        for item in raw if isinstance(raw, list) else []:
            try:
                self.entries.append(HistoryEntry(**item))
            except TypeError:
                continue  # an entry from another version: skip it, keep the rest

    @classmethod
    def in_home(cls, home: Home) -> PromptHistory:
        return cls(home.history_file)

    def add(self, entry: HistoryEntry) -> None:
        self.entries.insert(0, entry)
        del self.entries[MAX_ENTRIES:]
        write_json(self.path, [asdict(e) for e in self.entries])

    def search(self, query: str, generator: str | None = None) -> list[HistoryEntry]:
        return [
            e
            for e in self.entries
            if e.matches(query) and (generator is None or e.generator == generator)
        ]
