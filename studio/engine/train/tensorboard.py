"""TensorBoard event files beside a run's metrics.jsonl, when the user turns them on.

Optional: the ``tensorboard`` package is the ``studio[tensorboard]`` extra. Whether it is there
is checked before a run folder is made, so asking without it leaves nothing behind.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

from studio.api import ParamError

FOLDER = "tensorboard"


def check_available(params: dict[str, Any]) -> None:
    if params.get("tensorboard") and importlib.util.find_spec("tensorboard") is None:
        raise ParamError(
            "tensorboard",
            "TensorBoard files need the tensorboard package: pip install 'studio[tensorboard]'",
        )


class EventWriter:
    """Every logged metric as a TensorBoard scalar; does nothing when turned off."""

    def __init__(self, run_path: Path, enabled: bool) -> None:
        self._writer = None
        if enabled:
            from torch.utils.tensorboard import SummaryWriter

            self._writer = SummaryWriter(log_dir=str(run_path / FOLDER))

    def add(self, step: int, values: dict[str, float]) -> None:
        if self._writer is not None:
            for name, value in values.items():
                self._writer.add_scalar(name, value, step)

    def flush(self) -> None:
        if self._writer is not None:
            self._writer.flush()

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
