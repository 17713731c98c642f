"""Parameter pieces common to image generators, and the dataset spec they imply. No torch here."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from studio.api import DataReport, Param, ParamError, Schema

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

# What the window shows for the parameters every image generator has (each adds its own).
IMAGE_LABELS = {
    "resolution": "Resolution (px)",
    "latent": "Latent dimensions",
    "lr": "Learning rate",
    "preview_count": "Preview images",
    "channels_last": "Channels-last layout",
    "augment": "Augmentation",
    "augment_policy": "Augmentations",
}


def learning_rate_param(default: float) -> Param:
    """The ``lr`` parameter (Adam's learning rate), with a generator's own default."""
    return Param(
        "lr", "float", default, "Adam learning rate", minimum=1e-7, maximum=1.0, log_scale=True
    )


def channels_last_param(
    help_prefix: str = "", only_when: tuple[str, tuple[Any, ...]] | None = None
) -> Param:
    """The ``channels_last`` parameter; ``only_when`` for a generator where only some
    architectures convolve (``help_prefix`` names them)."""
    return Param(
        "channels_last",
        "bool",
        True,
        f"{help_prefix}channels-last memory layout (faster convolutions on most devices)",
        advanced=True,
        only_when=only_when,
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
        report.note(
            f"pictures fitted as the model was trained: {config['resolution']} px "
            f"{config['colour']}"
        )
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


# -- augmentation and the generator's moving average (GANs) -----------------------------------

#: ``augment=auto`` turns augmentation on below this many pictures. ADA's experiments show a
#: discriminator overfitting at tens of thousands of images; the adaptive probability then keeps
#: augmentation near 0 wherever it is not needed, so the limit is generous.
AUTO_AUGMENT_BELOW = 10_000

#: The augmentations of ``imagekit.augment``, by name.
POLICY_NAMES = ("colour", "translation", "cutout", "flip")


def policy_param(default: str) -> Param:
    """The ``augment_policy`` parameter, with a generator's own default."""
    return Param(
        "augment_policy",
        "str",
        default,
        "augmentations, comma-separated: " + ", ".join(POLICY_NAMES),
        advanced=True,
    )


GAN_AUGMENT_PARAMS = Schema(
    [
        Param(
            "augment",
            "choice",
            "auto",
            "differentiable augmentation with an adaptive probability; auto: on for folders "
            f"under {AUTO_AUGMENT_BELOW:,} pictures",
            choices=("auto", "on", "off"),
        ),
        policy_param("colour,translation,cutout"),
        Param(
            "augment_target",
            "float",
            0.6,
            "adaptive probability's target for E[sign D(real)] (ADA's r_t)",
            minimum=0.0,
            maximum=1.0,
            advanced=True,
        ),
        Param(
            "augment_ramp",
            "int",
            20_000,
            "images over which the probability can go from 0 to 1",
            minimum=1,
            advanced=True,
        ),
        Param(
            "ema",
            "float",
            0.999,
            "decay of the generator's moving average, used by previews and generation (0: off)",
            minimum=0.0,
            maximum=0.99999,
        ),
    ]
)


def augmentation_choice(setting: str, pictures: int) -> tuple[bool, str]:
    """Whether ``augment=setting`` augments a folder of ``pictures``, and why (for the report)."""
    if setting == "on":
        return True, "augmentation on (augment=on)"
    if setting == "off":
        return False, "augmentation off (augment=off)"
    if pictures < AUTO_AUGMENT_BELOW:
        return True, (
            f"augmentation on: {pictures} pictures is a small folder (under "
            f"{AUTO_AUGMENT_BELOW:,}), where a discriminator memorises its data (augment=auto)"
        )
    return False, (
        f"augmentation off: {pictures} pictures is enough for the discriminator (augment=auto)"
    )


def check_policy(text: str) -> tuple[str, ...]:
    """The policy names of ``augment_policy``, or a ParamError."""
    names = tuple(part.strip() for part in text.split(",") if part.strip())
    for name in names:
        if name not in POLICY_NAMES:
            choices = ", ".join(POLICY_NAMES)
            raise ParamError("augment_policy", f"unknown {name!r} (choose from {choices})")
    return names


# -- evaluation -------------------------------------------------------------------------------

EVALUATE_PARAMS = Schema(
    [
        Param(
            "count",
            "int",
            0,
            "images to generate (0: as many as the folder has, at least 100)",
            minimum=0,
            maximum=10_000,
        ),
        Param("subsets", "int", 50, "random subsets KID is averaged over", minimum=1, maximum=1000),
        Param(
            "subset_size",
            "int",
            1000,
            "images per subset (fewer when the folder or the samples are fewer)",
            minimum=2,
            maximum=10_000,
        ),
        Param("pairs", "int", 16, "images in the memorisation view", minimum=0, maximum=256),
        Param("seed", "int", 0, "seed of the generated images and the subsets", minimum=0),
    ]
)

#: Training measures KID on the evaluation cadence with at most this many images a side.
TRAINING_KID_IMAGES = 256
