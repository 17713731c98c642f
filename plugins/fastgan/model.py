"""A FastGAN-style pair of networks (Liu et al. 2021) for 64, 128 or 256 pixel squares.

The generator upsamples a 4x4 map with nearest-neighbour doubling, 3x3 convolutions, batch norm
and gated linear units; skip-layer excitation (SLE) lets a coarse map rescale the channels of a
map eight times finer, a cheap long skip that carries the layout to the detail. The
discriminator is spectrally normalised and, besides its real/fake logits, decodes its 8x8
features back into a small picture that must match its input: a self-supervised task that keeps
its features about the pictures, not about the few it has seen. No pretrained network is used.
Simplified from the paper: one decoder on the whole 8x8 map (no second decoder on a random crop),
and no noise injection.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm

from plugins.imagekit.gan import GanNetworks

RESOLUTIONS = (64, 128, 256)
DECODED = 64  # the side of the discriminator's reconstruction


def _channels(width: int) -> dict[int, int]:
    """Channels per side: wide at 4x4, narrowing towards the full resolution."""
    factors = {4: 8, 8: 8, 16: 4, 32: 2, 64: 1, 128: 0.5, 256: 0.25}
    return {side: max(4, int(width * f)) for side, f in factors.items()}


def _up(c_in: int, c_out: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Upsample(scale_factor=2, mode="nearest"),
        nn.Conv2d(c_in, 2 * c_out, 3, 1, 1, bias=False),
        nn.BatchNorm2d(2 * c_out),
        nn.GLU(dim=1),
    )


class SkipExcitation(nn.Module):
    """Channel gates for a fine map, computed from a coarse one (SLE)."""

    def __init__(self, coarse: int, fine: int) -> None:
        super().__init__()
        self.gate = nn.Sequential(
            nn.AdaptiveAvgPool2d(4),
            nn.Conv2d(coarse, fine, 4, 1, 0, bias=False),
            nn.LeakyReLU(0.1),
            nn.Conv2d(fine, fine, 1, 1, 0, bias=False),
            nn.Sigmoid(),
        )

    def forward(self, coarse: torch.Tensor, fine: torch.Tensor) -> torch.Tensor:
        return fine * self.gate(coarse)


class Generator(nn.Module):
    def __init__(self, latent: int, width: int, channels: int, resolution: int) -> None:
        super().__init__()
        ch = _channels(width)
        self.latent = latent
        self.sides = [4 * 2**i for i in range(resolution.bit_length() - 2)]  # 4 .. resolution
        self.start = nn.Sequential(
            nn.ConvTranspose2d(latent, 2 * ch[4], 4, 1, 0, bias=False),  # 1x1 -> 4x4
            nn.BatchNorm2d(2 * ch[4]),
            nn.GLU(dim=1),
        )
        self.ups = nn.ModuleList(_up(ch[s], ch[2 * s]) for s in self.sides[:-1])
        # Every map from 32x32 up is excited by the one eight times coarser.
        self.excite = nn.ModuleDict(
            {str(s): SkipExcitation(ch[s // 8], ch[s]) for s in self.sides if s >= 32}
        )
        self.to_image = nn.Sequential(nn.Conv2d(ch[resolution], channels, 3, 1, 1), nn.Tanh())

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        """Noise (N, latent, 1, 1) to images (N, channels, side, side) in [-1, 1]."""
        maps = {4: self.start(z)}
        x = maps[4]
        for side, up in zip(self.sides[1:], self.ups, strict=True):
            x = up(x)
            if str(side) in self.excite:
                x = self.excite[str(side)](maps[side // 8], x)
            maps[side] = x
        return self.to_image(x)


def _down(c_in: int, c_out: int) -> nn.Sequential:
    return nn.Sequential(
        spectral_norm(nn.Conv2d(c_in, c_out, 4, 2, 1, bias=False)),
        nn.BatchNorm2d(c_out),
        nn.LeakyReLU(0.2),
    )


class Discriminator(nn.Module):
    def __init__(self, width: int, channels: int, resolution: int) -> None:
        super().__init__()
        ch = _channels(width)
        sides = [resolution // 2**i for i in range(resolution.bit_length() - 3)]  # res .. 8
        self.stem = nn.Sequential(
            spectral_norm(nn.Conv2d(channels, ch[resolution], 3, 1, 1, bias=False)),
            nn.LeakyReLU(0.2),
        )
        self.downs = nn.Sequential(*(_down(ch[s], ch[s // 2]) for s in sides[:-1]))
        self.logits = spectral_norm(nn.Conv2d(ch[8], 1, 4, 1, 0))  # 8x8 -> 5x5 patch logits
        self.decoder = nn.Sequential(
            _up(ch[8], 64),  # 16
            _up(64, 32),  # 32
            _up(32, 16),  # 64 = DECODED
            nn.Conv2d(16, channels, 3, 1, 1),
            nn.Tanh(),
        )

    def forward(self, images: torch.Tensor, decode: bool = False) -> Any:
        """Logits (N, 25); with ``decode`` also the reconstruction (N, C, 64, 64)."""
        features = self.downs(self.stem(images))
        logits = self.logits(features).flatten(1)
        return (logits, self.decoder(features)) if decode else logits


class FastGAN(GanNetworks):
    """FastGAN's pair of networks, with the generator's moving average."""

    generator_class = Generator
    discriminator_class = Discriminator
