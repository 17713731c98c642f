"""DCGAN generation: seeded samples, and latent walks between two seeds."""

from __future__ import annotations

from collections.abc import Iterator

import torch

from plugins.imagekit.tensors import animation, lerp, positions, seeded_normal, slerp, to_pixels
from studio.api import GenerateRequest, ImageSample, ModelHandle, RunContext


def latent(model: ModelHandle, seed: int) -> torch.Tensor:
    return seeded_normal(seed, (model.config["latent"],))


def render(model: ModelHandle, z: torch.Tensor, device: torch.device) -> torch.Tensor:
    """One image from one latent, alone in its batch, so it is remade bit for bit by its seed."""
    image = model.module.generator(z.to(device)[None, :, None, None])[0]
    return (image + 1) / 2


def generate(
    model: ModelHandle, request: GenerateRequest, context: RunContext
) -> Iterator[ImageSample]:
    if request.mode == "interpolate":
        yield from interpolate(model, request, context)
        return
    for index in range(request.count):
        seed = request.seed + index
        image = render(model, latent(model, seed), context.device)
        context.progress(index + 1, request.count)
        yield ImageSample(to_pixels(image), index, seed)


def interpolate(
    model: ModelHandle, request: GenerateRequest, context: RunContext
) -> Iterator[ImageSample]:
    """A PNG per frame from ``seed`` to ``to_seed``, then the whole walk as one animation."""
    params = request.params
    start = request.seed
    end = params["to_seed"] if params["to_seed"] is not None else start + 1
    a, b = latent(model, start), latent(model, end)
    mix = slerp if params["path"] == "slerp" else lerp
    frames = []
    for index, t in enumerate(positions(params["frames"])):
        image = render(model, mix(a, b, t), context.device)
        extra = {"from_seed": start, "to_seed": end, "t": t, "frame": index, "path": params["path"]}
        frame = ImageSample(to_pixels(image), index, start, label=f"t={t:.3f}", extra=extra)
        frames.append(frame)
        context.progress(index + 1, params["frames"] + 1)
        yield frame
    yield animation(frames, params, {"from_seed": start, "to_seed": end, "path": params["path"]})
    context.progress(params["frames"] + 1, params["frames"] + 1)
