"""Parameter pieces common to image generators, and the dataset spec they imply. No torch here."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from studio.api import DataReport, Param, Schema

COLOURS = ("colour", "greyscale")

# How the user's pictures become training images; recorded in the model so fine-tuning reuses it.
DATA_PARAMS = Schema(
    [
        Param("colour", "choice", "colour", "train in colour or greyscale", choices=COLOURS),
        Param(
            "fit",
            "choice",
            "crop",
            "make pictures square by cropping the centre, or by padding with the background",
            choices=("crop", "pad"),
        ),
        Param(
            "background",
            "str",
            "white",
            "colour behind transparent pixels and padding (white, #202020, 0,0,0)",
        ),
        Param(
            "cache_mb",
            "int",
            2048,
            "memory for decoded images; beyond it images are decoded on every use",
            minimum=0,
            maximum=1_000_000,
            advanced=True,
        ),
    ]
).with_labels(
    {
        "colour": "Colour",
        "fit": "Fit to square",
        "background": "Background",
        "cache_mb": "Image cache (MB)",
    }
)

# Training-loop defaults for image generators: bigger batches, rarer checkpoints than text.
IMAGE_LOOP_DEFAULTS = {
    "steps": 5000,
    "batch_size": 64,
    "preview_every": 250,
    "checkpoint_every": 1000,
}

# Interpolation output, shared by every image generator that walks a latent space.
ANIMATION_PARAMS = Schema(
    [
        Param("frames", "int", 16, "frames in an interpolation", minimum=2, maximum=600),
        Param(
            "animation",
            "choice",
            "gif",
            "animated file written with an interpolation's PNG frames",
            choices=("gif", "webp"),
        ),
        Param(
            "frame_ms", "int", 100, "milliseconds per animation frame", minimum=10, maximum=10_000
        ),
    ]
).with_labels({"frames": "Frames", "animation": "Animation format", "frame_ms": "Frame time (ms)"})


def channels(colour: str) -> int:
    return 1 if colour == "greyscale" else 3


def image_spec(config: dict[str, Any], params: dict[str, Any]) -> Any:
    """The dataset spec for a model ``config`` (its resolution and channels) and data params."""
    from studio.api.images import ImageSpec, parse_colour

    return ImageSpec(
        size=int(config["resolution"]),
        channels=int(config["channels"]),
        fit=params.get("fit", "crop"),
        background=parse_colour(params.get("background", "white")),
    )


def load_folder(
    source: Path, config: dict[str, Any], params: dict[str, Any], report: DataReport
) -> Any:
    """The user's folder through Studio's image gate, cached as uint8 tensors."""
    from studio.api.images import load_image_folder

    spec = image_spec(config, params)
    return load_image_folder(source, spec, report, cache_bytes=int(params["cache_mb"]) << 20)


# The data params a model remembers: fine-tuning fits new pictures the way the model was trained.
DATA_KEYS = ("colour", "fit", "background")


def load_pictures(
    source: Path,
    params: dict[str, Any],
    config: dict[str, Any],
    fine_tuning: bool,
    report: DataReport,
) -> Any:
    """The user's pictures for a model with ``config``; fine-tuning keeps the model's fit."""
    if fine_tuning:
        params = {**params, **{key: config[key] for key in DATA_KEYS}}
        report.note(f"the model's {config['resolution']} px {config['colour']} images are kept")
    return load_folder(source, config, params, report)


class Subset:
    """Some items of a dataset, by index: a held-out split that costs no copy."""

    def __init__(self, data: Any, indices: list[int]) -> None:
        self.data = data
        self.indices = indices

    def __len__(self) -> int:
        return len(self.indices)

    def __getitem__(self, index: int) -> Any:
        return self.data[self.indices[index]]


def split(data: Any, fraction: float, seed: int) -> tuple[Any, Any | None]:
    """(train, validation): a seeded ``fraction`` held out, at least one image on each side."""
    import random

    held = round(len(data) * fraction)
    if fraction <= 0 or held < 1 or len(data) - held < 1:
        return data, None
    order = list(range(len(data)))
    random.Random(seed).shuffle(order)
    return Subset(data, sorted(order[held:])), Subset(data, sorted(order[:held]))
