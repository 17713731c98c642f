"""DCGAN: a generative adversarial network that learns a folder of the user's pictures.

Resolution 32, 64 or 128, greyscale or colour, non-saturating or hinge loss, a fixed-noise preview
grid while training, seeded generation (one seed per image) and latent interpolation between two
seeds written as PNG frames plus an animated GIF or WebP. Torch is imported inside methods only.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

from plugins.imagekit.params import (
    ANIMATION_PARAMS,
    DATA_KEYS,
    DATA_PARAMS,
    IMAGE_LOOP_DEFAULTS,
    channels,
    load_pictures,
)
from studio.api import (
    DataReport,
    GenerateRequest,
    Generator,
    ImageSample,
    ModelHandle,
    Param,
    RunContext,
    Schema,
    TrainData,
    Trainer,
    hookimpl,
)

STUDIO_API_VERSION = 1

RESOLUTIONS = (32, 64, 128)
# Kept in the model, so fine-tuning on a new folder prepares its pictures the same way.


class DCGAN(Generator):
    id = "dcgan"
    name = "DCGAN"
    modality = "image"
    version = "1.0"
    description = (
        "A deep convolutional GAN: learns to make new pictures like a folder of yours "
        "(textures, icons, sketches) at 32, 64 or 128 pixels."
    )
    # sample: new images, one seed each; interpolate: a walk from seed to to_seed.
    modes = ("sample", "interpolate")
    generate_params = (
        Schema(
            [
                Param(
                    "to_seed",
                    "int",
                    None,
                    "the interpolation's end seed (default: seed + 1)",
                    minimum=0,
                    optional=True,
                ),
                Param(
                    "path",
                    "choice",
                    "slerp",
                    "interpolate along the sphere (slerp) or a straight line (linear)",
                    choices=("slerp", "linear"),
                    advanced=True,
                ),
            ]
        )
        + ANIMATION_PARAMS
    ).with_labels(
        {
            "to_seed": "End seed",
            "path": "Interpolation path",
        }
    )
    train_params = (
        Schema(
            [
                Param(
                    "resolution",
                    "int",
                    64,
                    "image side in pixels: 32, 64 or 128",
                    choices=RESOLUTIONS,
                ),
                Param("latent", "int", 100, "noise dimensions (nz)", minimum=1, maximum=4096),
                Param("g_width", "int", 64, "generator width (ngf)", minimum=1, maximum=1024),
                Param("d_width", "int", 64, "discriminator width (ndf)", minimum=1, maximum=1024),
                Param(
                    "lr",
                    "float",
                    2e-4,
                    "Adam learning rate",
                    minimum=1e-7,
                    maximum=1.0,
                    log_scale=True,
                ),
                Param(
                    "beta1", "float", 0.5, "Adam beta1", minimum=0.0, maximum=0.999, advanced=True
                ),
                Param(
                    "beta2",
                    "float",
                    0.999,
                    "Adam beta2",
                    minimum=0.0,
                    maximum=0.9999,
                    advanced=True,
                ),
                Param(
                    "loss",
                    "choice",
                    "nonsaturating",
                    "adversarial loss",
                    choices=("nonsaturating", "hinge"),
                ),
                Param(
                    "preview_count", "int", 16, "images in the preview grid", minimum=1, maximum=256
                ),
                Param(
                    "channels_last",
                    "bool",
                    True,
                    "channels-last memory layout (faster convolutions on most devices)",
                    advanced=True,
                ),
            ]
        )
        + DATA_PARAMS
    ).with_labels(
        {
            "resolution": "Resolution (px)",
            "latent": "Noise dimensions",
            "g_width": "Generator width",
            "d_width": "Discriminator width",
            "lr": "Learning rate",
            "beta1": "Adam beta1",
            "beta2": "Adam beta2",
            "loss": "Loss",
            "preview_count": "Preview images",
            "channels_last": "Channels-last layout",
        }
    )
    loop_defaults: ClassVar[dict[str, Any]] = IMAGE_LOOP_DEFAULTS

    def load_data(
        self, source: Path, params: dict[str, Any], model: ModelHandle | None, report: DataReport
    ) -> TrainData:
        config = model.config if model else self._config(params)
        images = load_pictures(source, params, config, model is not None, report)
        return TrainData(train=images, report=report)

    def _config(self, params: dict[str, Any]) -> dict[str, Any]:
        return {
            "resolution": params["resolution"],
            "channels": channels(params["colour"]),
            "latent": params["latent"],
            "g_width": params["g_width"],
            "d_width": params["d_width"],
            **{key: params[key] for key in DATA_KEYS},
        }

    def create_model(self, params: dict[str, Any], data: TrainData | None) -> ModelHandle:
        return self.load_model(self._config(params), {})

    def load_model(self, config: dict[str, Any], assets: dict[str, bytes]) -> ModelHandle:
        from .model import GAN

        return ModelHandle(GAN(config), dict(config))

    def create_trainer(
        self, model: ModelHandle, data: TrainData, params: dict[str, Any], context: RunContext
    ) -> Trainer:
        from .trainer import GANTrainer

        return GANTrainer(model, params, context)

    def generate(
        self, model: ModelHandle, request: GenerateRequest, context: RunContext
    ) -> Iterator[ImageSample]:
        from .sampling import generate

        yield from generate(model, request, context)


@hookimpl
def register_generators() -> list[Generator]:
    return [DCGAN()]
