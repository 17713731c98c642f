"""Evaluation mode around a trainer's ``evaluate`` and ``preview``, switched by the engine.

Dropout and batch norm must be in evaluation mode while held-out metrics and previews are made,
and back in training mode after, exactly as they were (a frozen sub-module stays frozen). The
engine does it once here for every generator, so trainers do not each toggle it themselves.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


@contextmanager
def evaluating(module: Any) -> Iterator[None]:
    """``module`` and every sub-module in eval mode inside the block, restored after it."""
    modes = [(sub, sub.training) for sub in module.modules()]
    module.eval()
    try:
        yield
    finally:
        for sub, training in modes:
            sub.training = training
