"""The torch side shared by the image generators: seeded noise, pixels, grids, interpolation."""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from studio.api import ImageSample


def seeded_normal(seed: int, shape: Sequence[int]) -> torch.Tensor:
    """Standard normal noise from ``seed`` alone, drawn on the CPU so every device agrees."""
    generator = torch.Generator().manual_seed(int(seed))
    return torch.randn(*shape, generator=generator)


def slerp(a: torch.Tensor, b: torch.Tensor, t: float) -> torch.Tensor:
    """Spherical interpolation: Gaussian latents keep their typical norm along the path.

    The end points are returned exactly (t = 0 gives ``a``, t = 1 gives ``b``), so an
    interpolation's first and last frames equal the two images made alone.
    """
    if t <= 0.0:
        return a.clone()
    if t >= 1.0:
        return b.clone()
    cos = torch.nn.functional.cosine_similarity(a.flatten(), b.flatten(), dim=0).clamp(-1, 1)
    omega = float(torch.arccos(cos))
    if abs(math.sin(omega)) < 1e-6:
        return (1 - t) * a + t * b
    return (math.sin((1 - t) * omega) * a + math.sin(t * omega) * b) / math.sin(omega)


def lerp(a: torch.Tensor, b: torch.Tensor, t: float) -> torch.Tensor:
    if t <= 0.0:
        return a.clone()
    if t >= 1.0:
        return b.clone()
    return (1 - t) * a + t * b


def positions(frames: int) -> list[float]:
    return [i / (frames - 1) for i in range(frames)]


def to_pixels(image: torch.Tensor) -> np.ndarray:
    """One image in [0, 1], channels x height x width, as uint8 height x width x channels."""
    return (image.detach().clamp(0, 1) * 255).round().to(torch.uint8).permute(1, 2, 0).cpu().numpy()


def grid(images: Sequence[np.ndarray], columns: int | None = None, gap: int = 2) -> np.ndarray:
    """Images of one size tiled in rows, with a thin dark gap between them."""
    count = len(images)
    columns = columns or math.ceil(math.sqrt(count))
    rows = math.ceil(count / columns)
    height, width, depth = images[0].shape
    sheet = np.zeros(
        (rows * height + (rows - 1) * gap, columns * width + (columns - 1) * gap, depth), np.uint8
    )
    for index, image in enumerate(images):
        top, left = divmod(index, columns)
        y, x = top * (height + gap), left * (width + gap)
        sheet[y : y + height, x : x + width] = image
    return sheet


def animation(
    frames: list[ImageSample], params: dict[str, Any], extra: dict[str, Any]
) -> ImageSample:
    """One sample holding an interpolation's frames: a contact sheet still plus the animation."""
    pixels = [f.pixels for f in frames]
    return ImageSample(
        grid(pixels, columns=min(len(pixels), 8)),
        index=len(frames),
        seed=frames[0].seed,
        label="animation",
        extra={**extra, "frames": len(frames)},
        frames=tuple(pixels),
        frame_ms=int(params["frame_ms"]),
        animation_format=params["animation"],
    )


def read_inputs(paths: Sequence[Path], spec: Any, device: torch.device) -> torch.Tensor:
    """Input images through Studio's image gate, as a float batch in [0, 1]."""
    from studio.api.images import load_image

    arrays = [load_image(p, spec) for p in paths]
    batch = torch.from_numpy(np.stack(arrays)).permute(0, 3, 1, 2).float() / 255.0
    return batch.to(device)
