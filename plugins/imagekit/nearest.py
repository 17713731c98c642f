"""The memorisation view: each generated image beside its nearest training image.

A designer wants to know whether a model invents or copies. The distance is the root mean square
difference of the pixels in [0, 1] (0: an exact copy; two unrelated pictures are typically 0.2 to
0.5 apart). It is taken in pixel space so that a copy reads as a copy, whatever the features say.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from PIL import Image, ImageDraw

from plugins.imagekit.tensors import grid


def stack(dataset: Sequence[torch.Tensor], limit: int | None = None) -> torch.Tensor:
    """Up to ``limit`` uint8 images (C, H, W) of a dataset, evenly spread, as one batch."""
    count = len(dataset) if limit is None else min(limit, len(dataset))
    picks = np.linspace(0, len(dataset) - 1, count).round().astype(int) if count else []
    return torch.stack([dataset[int(i)] for i in picks])


@torch.no_grad()
def nearest(generated: torch.Tensor, training: torch.Tensor) -> tuple[np.ndarray, np.ndarray]:
    """(index, distance) of each generated image's nearest training image.

    ``generated`` in [0, 1] and ``training`` uint8, both (N, C, H, W) at the same size.
    """
    flat_gen = generated.flatten(1).double().cpu()
    flat_train = (training.flatten(1).double() / 255).cpu()
    # |a - b|^2 = |a|^2 + |b|^2 - 2 a.b, for every pair at once.
    sq = (
        (flat_gen**2).sum(1, keepdim=True)
        + (flat_train**2).sum(1)[None, :]
        - 2 * flat_gen @ flat_train.T
    ).clamp_min(0)
    distance, index = sq.min(dim=1)
    return index.numpy(), (distance / flat_gen.shape[1]).sqrt().numpy()


def sheet(
    generated: np.ndarray, matches: np.ndarray, distances: np.ndarray, columns: int = 4
) -> np.ndarray:
    """Pairs (generated | nearest training image) with the distance written under each pair.

    ``generated`` and ``matches`` are uint8 (N, H, W, C) arrays of the same images' pixels.
    """
    height, width, depth = generated[0].shape
    label = 12
    tiles = []
    for image, match, distance in zip(generated, matches, distances, strict=True):
        pair = np.zeros((height + label, 2 * width + 2, depth), np.uint8)
        pair[:height, :width] = image
        pair[:height, width + 2 :] = match
        canvas = Image.fromarray(pair if depth == 3 else pair[:, :, 0])
        ImageDraw.Draw(canvas).text(
            (2, height), f"d={distance:.3f}", fill=255 if depth == 1 else (255, 255, 255)
        )
        tile = np.asarray(canvas)
        tiles.append(tile if tile.ndim == 3 else tile[:, :, None])
    return grid(tiles, columns=min(columns, len(tiles)), gap=6)
