"""The training loop's own parameters, shared by every generator.

A generator may change their defaults (``Generator.loop_defaults``); its ``train_params`` add the
model's and optimiser's. Together they are the full training schema the window and CLI show.
"""

from __future__ import annotations

from studio.api import Generator, Param, Schema
from studio.engine.device.devices import DEVICE_CHOICES

LOOP_PARAMS = Schema(
    [
        Param("steps", "int", 1000, "optimisation steps in total", minimum=1, maximum=10_000_000),
        Param("batch_size", "int", 16, "examples per step", minimum=1, maximum=65_536),
        Param("seed", "int", 1337, "seed for initialisation, shuffling and dropout", minimum=0),
        Param("device", "choice", "auto", "where to train", choices=DEVICE_CHOICES),
        Param(
            "checkpoint_every",
            "int",
            500,
            "save a checkpoint every N steps",
            minimum=1,
            advanced=True,
        ),
        Param(
            "checkpoint_minutes",
            "float",
            5.0,
            "also save a checkpoint when this many minutes passed since the last (0: steps only),"
            " so a crash costs minutes, not the run",
            minimum=0.0,
            maximum=1440.0,
            advanced=True,
        ),
        Param(
            "preview_every",
            "int",
            200,
            "make preview samples every N steps (0: never)",
            minimum=0,
            advanced=True,
        ),
        Param(
            "eval_every",
            "int",
            200,
            "measure held-out metrics every N steps (0: never)",
            minimum=0,
            advanced=True,
        ),
        Param(
            "tensorboard",
            "bool",
            False,
            "also write TensorBoard event files to the run's tensorboard/ folder "
            "(needs the tensorboard extra)",
            advanced=True,
        ),
        Param(
            "keep_checkpoints",
            "int",
            3,
            "checkpoints kept per run, newest first",
            minimum=1,
            advanced=True,
        ),
    ]
).with_labels(
    {
        "steps": "Steps",
        "batch_size": "Batch size",
        "seed": "Seed",
        "device": "Device",
        "checkpoint_every": "Checkpoint every (steps)",
        "checkpoint_minutes": "Checkpoint every (minutes)",
        "preview_every": "Previews every (steps)",
        "eval_every": "Validation every (steps)",
        "keep_checkpoints": "Checkpoints kept",
        "tensorboard": "TensorBoard files",
    }
)


def training_schema(generator: Generator) -> Schema:
    """The loop's parameters with the generator's defaults, then the generator's own."""
    return LOOP_PARAMS.with_defaults(generator.loop_defaults) + generator.train_params
