"""The events a job yields. One small vocabulary for the window, the command line and the tests.

Events carry plain values (numbers, text, numpy images, paths), never tensors, so they cross from
the worker thread to the window safely.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from studio.api import Sample


@dataclass(frozen=True)
class Started:
    job: str
    title: str
    # A training run's folder, so a window can show it while it runs.
    run_dir: Path | None = None


@dataclass(frozen=True)
class Progress:
    done: int
    total: int
    eta_seconds: float | None = None


@dataclass(frozen=True)
class Metric:
    """Every metric logged at one step; names group by prefix (``loss/train``, ``loss/val``)."""

    step: int
    values: dict[str, float]


@dataclass(frozen=True)
class SampleEvent:
    """A sample. Streamed text arrives as ``final=False`` chunks, then once whole and final."""

    sample: Sample
    step: int | None = None
    final: bool = True
    # Where the finished sample was written, when it was.
    paths: tuple[Path, ...] = ()


@dataclass(frozen=True)
class Log:
    message: str
    level: str = "info"


@dataclass(frozen=True)
class CheckpointSaved:
    path: Path
    step: int
    reason: str = "scheduled"


@dataclass(frozen=True)
class Result:
    """What a finished job made. Each kind of job has its own typed result below.

    Read as attributes (``result.run``). Key access (``result["run"]``, ``.get``, ``.items``)
    keeps working for code written when results were dictionaries (plugin tests, the scaffold).
    """

    def __getitem__(self, key: str) -> Any:
        if key not in self.keys():
            raise KeyError(key)
        return getattr(self, key)

    def get(self, key: str, default: Any = None) -> Any:
        return getattr(self, key) if key in self.keys() else default

    def keys(self) -> list[str]:
        return [f.name for f in fields(self)]

    def items(self) -> list[tuple[str, Any]]:
        return [(name, getattr(self, name)) for name in self.keys()]


@dataclass(frozen=True)
class TrainResult(Result):
    """A training run that reached its last step: the run, its final checkpoint, the model."""

    run: Path
    checkpoint: Path
    model: Path | None  # None on a distributed run's other ranks: rank 0 publishes the model
    step: int


@dataclass(frozen=True)
class GenerateResult(Result):
    seed: int | None
    outputs: tuple[Path, ...] = ()


@dataclass(frozen=True)
class DataCheckResult(Result):
    """A dataset checked by the generator's own reader: ``DataReport.to_json()``."""

    report: dict[str, Any]


@dataclass(frozen=True)
class Finished:
    result: Result = field(default_factory=Result)


@dataclass(frozen=True)
class Failed:
    message: str
    traceback: str = ""
    # A hint the user can act on: a smaller batch, another device, a flag.
    hint: str = ""
    # True when the user's input was at fault (bad data, a bad parameter), not the code.
    user_error: bool = False


@dataclass(frozen=True)
class Cancelled:
    step: int | None = None


Event = (
    Started
    | Progress
    | Metric
    | SampleEvent
    | Log
    | CheckpointSaved
    | Finished
    | Failed
    | Cancelled
)
TERMINAL = (Finished, Failed, Cancelled)
