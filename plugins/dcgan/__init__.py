"""DCGAN: a generative adversarial network that learns a folder of the user's pictures.

Resolution 32, 64 or 128, greyscale or colour, non-saturating or hinge loss, differentiable
augmentation with an adaptive probability for small folders, a moving average of the generator
that previews and generation use, a fixed-noise preview grid while training, seeded generation
(one seed per image) and latent interpolation between two seeds written as PNG frames plus an
animated GIF or WebP. Torch is imported inside methods only.
"""

from __future__ import annotations

from plugins.imagekit.gan_generator import GanGenerator, gan_train_params
from studio.api import Generator, Param, hookimpl

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
    train_params = gan_train_params(
        RESOLUTIONS,
        [
            Param("latent", "int", 100, "noise dimensions (nz)", minimum=1, maximum=4096),
            Param("g_width", "int", 64, "generator width (ngf)", minimum=1, maximum=1024),
            Param("d_width", "int", 64, "discriminator width (ndf)", minimum=1, maximum=1024),
            Param(
                "loss",
                "choice",
                "nonsaturating",
                "adversarial loss",
                choices=("nonsaturating", "hinge"),
            ),
        ],
        {"loss": "Adversarial loss"},
    )
    networks = "plugins.dcgan.model:GAN"
    trainer = "plugins.dcgan.trainer:GANTrainer"


@hookimpl
def register_generators() -> list[Generator]:
    return [DCGAN()]
