"""DCGAN: a generative adversarial network that learns a folder of the user's pictures.

Resolution 32, 64 or 128, greyscale or colour, non-saturating or hinge loss, differentiable
augmentation with an adaptive probability for small folders, a moving average of the generator
that previews and generation use, a fixed-noise preview grid while training, seeded generation
(one seed per image) and latent interpolation between two seeds written as PNG frames plus an
animated GIF or WebP. Torch is imported inside methods only.
"""

from __future__ import annotations

from typing import Any

from plugins.imagekit.gan_generator import GanGenerator
from plugins.imagekit.params import (
    DATA_KEYS,
    DATA_PARAMS,
    GAN_AUGMENT_PARAMS,
    channels,
)
from studio.api import (
    Generator,
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


class DCGAN(GanGenerator):
    id = "dcgan"
    name = "DCGAN"
    # 1.1: augmentation and the generator's moving average; 1.0 checkpoints still load.
    version = "1.1"
    description = (
        "A deep convolutional GAN: learns to make new pictures like a folder of yours "
        "(textures, icons, sketches) at 32, 64 or 128 pixels."
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
        + GAN_AUGMENT_PARAMS
        + DATA_PARAMS
    )

    def _config(self, params: dict[str, Any]) -> dict[str, Any]:
        return {
            "resolution": params["resolution"],
            "channels": channels(params["colour"]),
            "latent": params["latent"],
            "g_width": params["g_width"],
            "d_width": params["d_width"],
            # Checkpoints of version 1.0 have no "ema" and no moving-average weights.
            "ema": params["ema"] > 0,
            **{key: params[key] for key in DATA_KEYS},
        }

    def load_model(self, config: dict[str, Any], assets: dict[str, bytes]) -> ModelHandle:
        from .model import GAN

        return ModelHandle(GAN(config), dict(config))

    def create_trainer(
        self, model: ModelHandle, data: TrainData, params: dict[str, Any], context: RunContext
    ) -> Trainer:
        from .trainer import GANTrainer

        return GANTrainer(model, data, params, context)


@hookimpl
def register_generators() -> list[Generator]:
    return [DCGAN()]
