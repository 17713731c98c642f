"""FastGAN: a GAN built to learn from a small folder (tens to a few hundred pictures).

A skip-layer-excitation generator and a discriminator that must also reconstruct what it sees
(Liu et al. 2021), hinge loss, Adam 2e-4 with betas (0.5, 0.999), the shared differentiable
augmentation with its adaptive probability, and a moving average of the generator that previews
and generation use. Like ``dcgan``: one seed per image, preview grids, interpolation walks,
fine-tuning with lineage, metadata in every PNG. Torch is imported inside methods only.
"""

from __future__ import annotations

from typing import Any, ClassVar

from plugins.imagekit.gan_generator import GanGenerator, gan_train_params
from studio.api import Generator, Param, hookimpl

STUDIO_API_VERSION = 1

RESOLUTIONS = (64, 128, 256)


class FastGAN(GanGenerator):
    id = "fastgan"
    name = "FastGAN"
    version = "1.0"
    description = (
        "A GAN for small folders (a logo set, icons, textures): skip-layer excitation and a "
        "self-supervised discriminator, at 64, 128 or 256 pixels."
    )
    train_params = gan_train_params(
        RESOLUTIONS,
        [
            Param("latent", "int", 128, "noise dimensions", minimum=1, maximum=4096),
            Param(
                "g_width",
                "int",
                16,
                "generator width (channels at 64 px; 8x at 4 px)",
                minimum=4,
                maximum=1024,
            ),
            Param(
                "d_width",
                "int",
                16,
                "discriminator width (channels at 64 px; 8x at 8 px)",
                minimum=4,
                maximum=1024,
            ),
            Param(
                "recon_loss",
                "choice",
                "mse",
                "the discriminator's reconstruction loss",
                choices=("mse", "l1"),
                advanced=True,
            ),
        ],
        {"recon_loss": "Reconstruction loss"},
    )
    # FastGAN trains with small batches; on a CPU they also keep each step short. The widths
    # are a quarter of the paper's (ngf 64 at 64 px there): a designer's CPU, not a GPU.
    loop_defaults: ClassVar[dict[str, Any]] = {**GanGenerator.loop_defaults, "batch_size": 16}
    networks = "plugins.fastgan.model:FastGAN"
    trainer = "plugins.fastgan.trainer:FastGANTrainer"


@hookimpl
def register_generators() -> list[Generator]:
    return [FastGAN()]
