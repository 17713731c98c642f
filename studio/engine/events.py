"""The events a job yields. One small vocabulary for the window, the command line and the tests.

Events carry plain values (numbers, text, numpy images, paths), never tensors, so they cross from
the worker thread to the window safely.
"""

from __future__ import annotations

from dataclasses import dataclass, field
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
class Finished:
    result: dict[str, Any] = field(default_factory=dict)


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
