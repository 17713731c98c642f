"""Image quality for every image generator: KID against the folder, and the memorisation view."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch

from plugins.imagekit.nearest import nearest, sheet, stack
from plugins.imagekit.params import TRAINING_KID_IMAGES
from plugins.imagekit.quality import features, kid
from plugins.imagekit.tensors import to_pixels
from studio.api import Evaluation, ImageSample

#: Makes ``count`` images in [0, 1] (N, C, H, W) from the seed; a generator's sampler.
Sampler = Callable[[int, int], torch.Tensor]


def _pixels(images: torch.Tensor) -> np.ndarray:
    return np.stack([to_pixels(image) for image in images])


def _train_spacing(training: torch.Tensor) -> float:
    """Median distance from each training image to its nearest other training image."""
    if len(training) < 2:
        return float("nan")
    flat = (training.flatten(1).double() / 255).cpu()
    distances = torch.cdist(flat, flat) / flat.shape[1] ** 0.5
    distances.fill_diagonal_(float("inf"))  # each image's nearest other image
    return float(distances.min(dim=1).values.median())


def evaluate_images(
    sampler: Sampler, training: Sequence[torch.Tensor], params: dict[str, Any], device: Any
) -> Evaluation:
    """KID of the sampler's images against the training images, and their nearest neighbours."""
    # Up to 5,000 training pictures, evenly spread: KID's subsets hold 1,000 at most, and the
    # nearest-neighbour search stays a few seconds.
    real = stack(training, 5000).to(device)
    count = params["count"] or max(100, len(real))
    generated = sampler(count, params["seed"])
    size = min(params["subset_size"], count, len(real))
    kid_mean, kid_std = kid(
        features(real.float() / 255), features(generated), params["subsets"], size, params["seed"]
    )
    index, distance = nearest(generated, real)
    figures = {
        "kid": kid_mean,
        "kid_std": kid_std,
        "images": float(count),
        "training_images": float(len(real)),
        "nearest_median": float(np.median(distance)),
        "training_spacing": _train_spacing(real[:: max(1, len(real) // 1000)]),
    }
    shown = min(params["pairs"], count)
    samples = []
    if shown:
        matches = _pixels(real[index[:shown]].float() / 255)
        view = sheet(_pixels(generated[:shown]), matches, distance[:shown])
        label = "nearest training images"
        samples.append(ImageSample(view, 0, params["seed"], label=label, extra={"view": "nearest"}))
    details = {
        "nearest": [
            {"generated": i, "training": int(j), "distance": float(d)}
            for i, (j, d) in enumerate(zip(index[:shown], distance[:shown], strict=True))
        ]
    }
    return Evaluation(figures, samples, details)


class TrainingQuality:
    """KID during training, against features of the training images computed once."""

    def __init__(
        self, training: Sequence[torch.Tensor], device: Any, limit: int = TRAINING_KID_IMAGES
    ) -> None:
        self.real = stack(training, limit).to(device)
        self.real_features = features(self.real.float() / 255)
        # The memorisation view looks through the whole folder (up to a few thousand pictures).
        self.folder = stack(training, 4096)

    def figures(self, generated: torch.Tensor) -> dict[str, float]:
        size = min(len(generated), len(self.real))
        kid_mean, kid_std = kid(self.real_features, features(generated), 20, size, seed=0)
        return {"KID/kid": kid_mean, "KID/kid_std": kid_std}

    def nearest_view(self, generated: torch.Tensor, step: int, seed: int) -> ImageSample:
        index, distance = nearest(generated, self.folder)
        pixels = sheet(_pixels(generated), _pixels(self.folder[index].float() / 255), distance)
        return ImageSample(
            pixels,
            1,
            seed,
            label=f"step {step}: nearest training images",
            extra={"view": "nearest"},
        )
