"""Seeding and capturing every random state a training step can touch.

Resume is exact only if the random streams continue where they stopped: torch's (CPU and each
CUDA device), Python's and numpy's. They are captured with each checkpoint and restored on resume.
"""

from __future__ import annotations

import random
from typing import Any


def seed_everything(seed: int) -> None:
    import numpy as np
    import torch

    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def capture_rng() -> dict[str, Any]:
    import numpy as np
    import torch

    state: dict[str, Any] = {
        "torch": torch.get_rng_state(),
        "python": random.getstate(),
        "numpy": np.random.get_state(legacy=False),
    }
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    # numpy's state holds an array; keep it as plain integers so it saves as JSON.
    numpy_state = dict(state["numpy"])
    numpy_state["state"] = {k: _plain(v) for k, v in numpy_state["state"].items()}
    state["numpy"] = numpy_state
    return state


def _plain(value: Any) -> Any:
    return value.tolist() if hasattr(value, "tolist") else value


def restore_rng(state: dict[str, Any]) -> None:
    import numpy as np
    import torch

    torch.set_rng_state(state["torch"])
    random.setstate(_as_tuples(state["python"]))
    numpy_state = dict(state["numpy"])
    inner = dict(numpy_state["state"])
    inner["key"] = np.asarray(inner["key"], dtype=np.uint32)
    numpy_state["state"] = inner
    np.random.set_state(numpy_state)
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def _as_tuples(value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        return tuple(_as_tuples(v) for v in value)
    return value


class preserved_rng:
    """Run a block (a preview, an evaluation) without moving any random stream of training."""

    def __enter__(self) -> None:
        import numpy as np
        import torch

        self._torch = torch.get_rng_state()
        self._cuda = torch.cuda.get_rng_state_all() if torch.cuda.is_available() else None
        self._python = random.getstate()
        self._numpy = np.random.get_state()

    def __exit__(self, *exc: object) -> None:
        import numpy as np
        import torch

        torch.set_rng_state(self._torch)
        if self._cuda is not None:
            torch.cuda.set_rng_state_all(self._cuda)
        random.setstate(self._python)
        np.random.set_state(self._numpy)
