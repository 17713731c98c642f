"""What a generator hands the engine to train on, and the report the user sees about their data."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class SkippedFile:
    path: str
    reason: str


@dataclass
class DataReport:
    """Which of the user's files were used, which were skipped and why.

    Shown by ``studio train`` and the window's dataset picker before training starts, so a user
    learns that three scans were corrupt instead of wondering why the model looks odd.
    """

    source: str = ""
    used: list[str] = field(default_factory=list)
    skipped: list[SkippedFile] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    # Plugin-specific figures: characters, tokens, image sizes, classes...
    stats: dict[str, Any] = field(default_factory=dict)

    def use(self, path: Path | str) -> None:
        self.used.append(str(path))

    def skip(self, path: Path | str, reason: str) -> None:
        self.skipped.append(SkippedFile(str(path), reason))

    def note(self, message: str) -> None:
        self.notes.append(message)

    def summary(self) -> str:
        line = f"{len(self.used)} file(s) used, {len(self.skipped)} skipped"
        details = [f"  skipped {s.path}: {s.reason}" for s in self.skipped]
        details += [f"  {n}" for n in self.notes]
        return "\n".join([line, *details])

    def to_json(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "used": self.used,
            "skipped": [{"path": s.path, "reason": s.reason} for s in self.skipped],
            "notes": self.notes,
            "stats": self.stats,
        }


@dataclass
class TrainData:
    """Training examples, indexable so the engine owns shuffling, batching and the data position.

    ``train[i]`` returns a tensor, or a tuple of tensors; the engine draws a seeded permutation
    each epoch, gathers ``batch_size`` items and stacks them (or calls ``collate``).
    """

    train: Sequence[Any]
    report: DataReport
    validation: Sequence[Any] | None = None
    collate: Callable[[list[Any]], Any] | None = None
    #: What the data hands the model made for it, e.g. the tokenizer its tokens were made with;
    #: ``create_model`` reads it. Never saved: whatever the model needs later goes in its assets.
    metadata: dict[str, Any] = field(default_factory=dict)
