"""What one found model is, and the time budget every rule scans under."""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class FoundModel:
    """A model another app (or the Hugging Face cache) keeps on this machine.

    ``path`` is what an import reads: a model folder, or one GGUF file. Nothing here is ever
    written to or moved; an import copies what it needs into Studio's library.
    """

    source: str  # the rule that found it: "huggingface", "lmstudio", "ollama", "gpt4all", "jan"
    name: str  # as that app names it ("org/model", "llama3.2:1b", a file name)
    path: Path
    format: str  # "transformers" (config.json + safetensors), "gguf", or "pickle"
    architecture: str | None = None
    parameters: int | None = None
    precision: str | None = None  # dtype of a folder, or the GGUF file type (Q4_K_M, F16, ...)
    size_bytes: int = 0
    problem: str | None = None  # why this cannot be used whatever the generators say
    can_generate: bool = False
    can_fine_tune: bool = False
    generator: str | None = None  # the generator that would import it
    reason: str = ""  # one line: what Studio can do with it, or why not
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["path"] = str(self.path)
        return data


class Budget:
    """A wall-clock budget shared by all rules of one scan: a slow disk cannot hang the app."""

    def __init__(self, seconds: float) -> None:
        self.deadline = time.monotonic() + seconds
        self.exhausted = False

    def spent(self) -> bool:
        if time.monotonic() >= self.deadline:
            self.exhausted = True
        return self.exhausted
