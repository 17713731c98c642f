"""Kernel Inception Distance on features Studio makes itself, with no download.

KID (Binkowski et al. 2018) is the unbiased squared MMD between two sets of features under the
cubic polynomial kernel k(x, y) = (x.y / d + 1)^3, averaged over random subsets; its spread over
the subsets is reported beside it. Unlike FID it is unbiased at the few hundred images a
designer's folder holds. The features come from a convolutional network with fixed-seed random
weights, which ranks generative models much as a trained one does (arXiv 2208.09218) and is the
same on every machine: the figures of two runs, or two generators, compare.
"""

from __future__ import annotations

import functools
import itertools

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

#: Every image is resized to this side before the features, so any resolution compares.
FEATURE_SIDE = 64
_WIDTHS = (3, 64, 128, 256, 512)
_SEED = 20260101


class RandomFeatures(nn.Module):
    """Four stride-2 3x3 convolutions with ReLU; the mean and spread of every block's maps.

    He-normal weights keep each block's activations at the scale of its input, so the blocks
    weigh alike in the kernel.
    """

    def __init__(self) -> None:
        super().__init__()
        generator = torch.Generator().manual_seed(_SEED)
        self.weights = nn.ParameterList()
        for c_in, c_out in itertools.pairwise(_WIDTHS):
            std = (2.0 / (c_in * 9)) ** 0.5
            weight = torch.randn(c_out, c_in, 3, 3, generator=generator) * std
            self.weights.append(nn.Parameter(weight, requires_grad=False))

    @property
    def dim(self) -> int:
        return 2 * sum(_WIDTHS[1:])

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """Images in [0, 1] (N, 1 or 3, H, W) to features (N, dim)."""
        x = images.float()
        if x.shape[1] == 1:
            x = x.expand(-1, 3, -1, -1)
        if x.shape[-1] != FEATURE_SIDE or x.shape[-2] != FEATURE_SIDE:
            x = F.interpolate(x, size=(FEATURE_SIDE, FEATURE_SIDE), mode="area")
        x = x * 2 - 1
        pooled = []
        for weight in self.weights:
            x = F.relu(F.conv2d(x, weight, stride=2, padding=1))
            pooled += [x.mean(dim=(2, 3)), x.std(dim=(2, 3))]
        return torch.cat(pooled, dim=1)


@functools.cache
def _network(device: str) -> RandomFeatures:
    return RandomFeatures().to(device).eval()


@torch.no_grad()
def features(images: torch.Tensor, batch: int = 128) -> np.ndarray:
    """Features of images in [0, 1], in batches (float64 numpy, for the kernel sums)."""
    net = _network(str(images.device))
    parts = [
        net(images[i : i + batch]).double().cpu().numpy() for i in range(0, len(images), batch)
    ]
    return np.concatenate(parts) if parts else np.zeros((0, net.dim))


def kid(
    real: np.ndarray,
    fake: np.ndarray,
    subsets: int = 50,
    subset_size: int = 1000,
    seed: int = 0,
) -> tuple[float, float]:
    """(mean, standard deviation) of the unbiased MMD^2 over ``subsets`` random subsets."""
    m = min(len(real), len(fake), subset_size)
    if m < 2:
        raise ValueError("KID needs at least two images on each side")
    d = real.shape[1]
    rng = np.random.default_rng(seed)
    values = []
    for _ in range(subsets):
        x = real[rng.choice(len(real), m, replace=False)]
        y = fake[rng.choice(len(fake), m, replace=False)]
        k_xx = (x @ x.T / d + 1) ** 3
        k_yy = (y @ y.T / d + 1) ** 3
        k_xy = (x @ y.T / d + 1) ** 3
        # Unbiased: a point's kernel with itself is left out of the within-set means.
        within = (k_xx.sum() - np.trace(k_xx) + k_yy.sum() - np.trace(k_yy)) / (m * (m - 1))
        values.append(within - 2 * k_xy.mean())
    return float(np.mean(values)), float(np.std(values))
