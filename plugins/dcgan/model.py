"""DCGAN (Radford et al. 2015) as pytorch/examples builds it, for 32, 64 or 128 pixel squares.

At 64 px with widths 64 and latent 100 this is exactly that example's pair of networks, except
that the discriminator returns logits: its final sigmoid lives in the loss, where it is stabler.
"""

from __future__ import annotations

import torch
from torch import nn

from plugins.dcgan.convgrad import Conv2d, ConvTranspose2d
from plugins.imagekit.gan import GanNetworks

RESOLUTIONS = (32, 64, 128)


def _stages(resolution: int) -> int:
    """Stride-2 layers between 4x4 and the full resolution, minus the outermost one."""
    return {32: 2, 64: 3, 128: 4}[resolution]


class Generator(nn.Module):
    def __init__(self, latent: int, width: int, channels: int, resolution: int) -> None:
        super().__init__()
        stages = _stages(resolution)
        wide = width * 2**stages  # 512 for the example's 64 px
        layers: list[nn.Module] = [
            ConvTranspose2d(latent, wide, 4, 1, 0, bias=False),  # 1x1 -> 4x4
            nn.BatchNorm2d(wide),
            nn.ReLU(True),
        ]
        for _ in range(stages):  # each doubles the side and halves the width
            layers += [
                ConvTranspose2d(wide, wide // 2, 4, 2, 1, bias=False),
                nn.BatchNorm2d(wide // 2),
                nn.ReLU(True),
            ]
            wide //= 2
        layers += [ConvTranspose2d(wide, channels, 4, 2, 1, bias=False), nn.Tanh()]
        self.main = nn.Sequential(*layers)
        self.latent = latent

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        """Noise (N, latent, 1, 1) to images (N, channels, side, side) in [-1, 1]."""
        return self.main(z)


class Discriminator(nn.Module):
    def __init__(self, width: int, channels: int, resolution: int) -> None:
        super().__init__()
        stages = _stages(resolution)
        # The first layer has no batch norm, as in the paper.
        layers: list[nn.Module] = [
            Conv2d(channels, width, 4, 2, 1, bias=False),
            nn.LeakyReLU(0.2, True),
        ]
        wide = width
        for _ in range(stages):
            layers += [
                Conv2d(wide, wide * 2, 4, 2, 1, bias=False),
                nn.BatchNorm2d(wide * 2),
                nn.LeakyReLU(0.2, True),
            ]
            wide *= 2
        layers.append(Conv2d(wide, 1, 4, 1, 0, bias=False))  # 4x4 -> one logit
        self.main = nn.Sequential(*layers)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.main(images).flatten()


class GAN(GanNetworks):
    """DCGAN's pair of networks, with the generator's moving average."""

    generator_class = Generator
    discriminator_class = Discriminator
