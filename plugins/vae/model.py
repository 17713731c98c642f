"""Variational autoencoders: a convolutional one (the default) and pytorch/examples' MLP.

Both map images in [0, 1] to a diagonal Gaussian posterior (mean, log-variance) and decode a
latent to per-pixel logits; the loss is the summed binary cross-entropy per image plus beta x KL.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import nn


def conv_stages(resolution: int) -> int:
    """Stride-2 stages: halve the side while it stays even and above 8 (28 -> 14 -> 7)."""
    stages, side = 0, resolution
    while side % 2 == 0 and side > 8:
        side //= 2
        stages += 1
    return stages


# The conv model's nonlinearity. SiLU lowered the test loss after a minute of CPU training on
# Fashion-MNIST from 244.8 to 241.9 (two runs) for the same time per step; ReLU is the first
# version's, and a checkpoint whose config has no ``activation`` key was trained with it.
ACTIVATIONS: dict[str, type[nn.Module]] = {"silu": nn.SiLU, "relu": nn.ReLU}


def _dense(inputs: int, hidden: int, outputs: int, act: type[nn.Module]) -> nn.Module:
    """One linear layer, or two with the nonlinearity between when ``hidden`` units are wanted."""
    if not hidden:
        return nn.Linear(inputs, outputs)
    return nn.Sequential(nn.Linear(inputs, hidden), act(), nn.Linear(hidden, outputs))


class ConvVAE(nn.Module):
    """Strided convolutions down, a dense bottleneck, transposed convolutions up.

    ``dense`` > 0 puts a hidden layer of that many units on each side of the latent (flat
    features -> dense -> posterior, latent -> dense -> flat features). On Fashion-MNIST in a
    minute of CPU training it lowers the test loss more than wider convolutions do, for less
    time per step. ``dense=0`` is the first version's model (checkpoints without the key).
    ``activation`` is the nonlinearity after every layer but the last of each side.
    """

    def __init__(
        self,
        channels: int,
        resolution: int,
        latent: int,
        width: int,
        dense: int = 0,
        activation: str = "relu",
    ) -> None:
        super().__init__()
        act = ACTIVATIONS[activation]
        stages = conv_stages(resolution)
        side = resolution >> stages
        down: list[nn.Module] = []
        wide, inputs = width, channels
        for _ in range(stages):  # 4x4 stride-2 convolutions, doubling the width each time
            down += [nn.Conv2d(inputs, wide, 4, 2, 1), act()]
            inputs, wide = wide, wide * 2
        self.encoder = nn.Sequential(*down, nn.Flatten())
        self.features = (inputs, side, side)
        flat = inputs * side * side
        self.posterior = _dense(flat, dense, 2 * latent, act)
        self.expand = _dense(latent, dense, flat, act)
        # Kept apart from ``expand`` (it has no weights) so that weight names stay those of
        # checkpoints written before ``activation`` existed.
        self.expand_act = act()
        up: list[nn.Module] = []
        for stage in range(stages):
            last = stage == stages - 1
            outputs = channels if last else inputs // 2
            up.append(nn.ConvTranspose2d(inputs, outputs, 4, 2, 1))
            if not last:
                up.append(act())
            inputs = outputs
        self.decoder = nn.Sequential(*up)

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        mean, logvar = self.posterior(self.encoder(x)).chunk(2, dim=1)
        return mean, logvar

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """Per-pixel logits; ``torch.sigmoid`` of them is the image."""
        hidden = self.expand_act(self.expand(z)).view(-1, *self.features)
        return self.decoder(hidden)


class MLPVAE(nn.Module):
    """pytorch/examples' VAE (784-400-20 on MNIST), for any resolution and channel count."""

    def __init__(self, channels: int, resolution: int, latent: int, hidden: int) -> None:
        super().__init__()
        self.shape = (channels, resolution, resolution)
        pixels = channels * resolution * resolution
        self.fc1 = nn.Linear(pixels, hidden)
        self.posterior = nn.Linear(hidden, 2 * latent)
        self.fc3 = nn.Linear(latent, hidden)
        self.fc4 = nn.Linear(hidden, pixels)

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        mean, logvar = self.posterior(F.relu(self.fc1(x.flatten(1)))).chunk(2, dim=1)
        return mean, logvar

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        return self.fc4(F.relu(self.fc3(z))).view(-1, *self.shape)


def build(config: dict[str, Any]) -> nn.Module:
    channels, resolution = int(config["channels"]), int(config["resolution"])
    if config["architecture"] == "mlp":
        return MLPVAE(channels, resolution, config["latent"], config["hidden"])
    # Checkpoints written before ``dense`` or ``activation`` existed have no key: their model
    # had no dense layers, and ReLU.
    dense = int(config.get("dense", 0))
    activation = str(config.get("activation", "relu"))
    return ConvVAE(channels, resolution, config["latent"], config["width"], dense, activation)


def elbo_terms(
    module: nn.Module, x: torch.Tensor, noise: torch.Tensor | None = None
) -> tuple[torch.Tensor, torch.Tensor]:
    """Summed reconstruction BCE and KL, each averaged over the batch (images in [0, 1])."""
    mean, logvar = module.encode(x)
    eps = torch.randn_like(mean) if noise is None else noise
    z = mean + eps * torch.exp(0.5 * logvar)  # the reparameterisation trick
    logits = module.decode(z)
    recon = F.binary_cross_entropy_with_logits(logits, x, reduction="sum") / x.shape[0]
    kl = -0.5 * torch.sum(1 + logvar - mean.pow(2) - logvar.exp()) / x.shape[0]
    return recon, kl
