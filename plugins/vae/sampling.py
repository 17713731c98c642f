"""VAE generation: samples, reconstructions, variations and interpolations."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import torch

from plugins.imagekit.params import image_spec
from plugins.imagekit.tensors import (
    animation,
    lerp,
    positions,
    read_inputs,
    seeded_normal,
    slerp,
    to_pixels,
)
from studio.api import DataError, GenerateRequest, ImageSample, ModelHandle, RunContext


def decode(model: ModelHandle, z: torch.Tensor, device: torch.device) -> torch.Tensor:
    """One image from one latent, alone in its batch, so a seed remakes it bit for bit."""
    return torch.sigmoid(model.module.decode(z.to(device)[None]))[0]


@torch.no_grad()
def decode_batch(model: ModelHandle, seed: int, count: int, device: torch.device) -> torch.Tensor:
    """``count`` images in [0, 1] from seeded prior noise, decoded in batches (for KID)."""
    noise = seeded_normal(seed, (count, model.config["latent"]))
    was_training = model.module.training
    model.module.eval()
    try:
        parts = [model.module.decode(noise[i : i + 64].to(device)) for i in range(0, count, 64)]
    finally:
        model.module.train(was_training)
    return torch.sigmoid(torch.cat(parts))


def encode(model: ModelHandle, paths: list[Path], device: torch.device) -> torch.Tensor:
    """Posterior means of the input images, read through Studio's image gate."""
    spec = image_spec(model.config, model.config)
    means = [model.module.encode(read_inputs([p], spec, device))[0][0].cpu() for p in paths]
    return torch.stack(means)


def generate(
    model: ModelHandle, request: GenerateRequest, context: RunContext
) -> Iterator[ImageSample]:
    mode = request.mode
    needed = {"reconstruct": 1, "variations": 1, "interpolate": 0, "sample": 0}[mode]
    if len(request.inputs) < needed:
        raise DataError(f"mode '{mode}' needs an input image (--input PATH)")
    if mode == "reconstruct":
        yield from reconstruct(model, request, context)
    elif mode == "variations":
        yield from variations(model, request, context)
    elif mode == "interpolate":
        yield from interpolate(model, request, context)
    else:
        for index in range(request.count):
            seed = request.seed + index
            z = seeded_normal(seed, (model.config["latent"],))
            context.progress(index + 1, request.count)
            yield ImageSample(to_pixels(decode(model, z, context.device)), index, seed)


def reconstruct(
    model: ModelHandle, request: GenerateRequest, context: RunContext
) -> Iterator[ImageSample]:
    """Each input through the encoder's mean and back: what the model keeps of it."""
    for index, path in enumerate(request.inputs):
        mean = encode(model, [path], context.device)[0]
        image = decode(model, mean, context.device)
        context.progress(index + 1, len(request.inputs))
        extra = {"source": str(path)}
        yield ImageSample(to_pixels(image), index, request.seed, label=path.name, extra=extra)


def variations(
    model: ModelHandle, request: GenerateRequest, context: RunContext
) -> Iterator[ImageSample]:
    """``count`` images near each input: its latent plus seeded noise of spread sigma."""
    spread = float(request.params["spread"])
    index = 0
    for path in request.inputs:
        mean = encode(model, [path], context.device)[0]
        for number in range(request.count):
            seed = request.seed + number
            z = mean + spread * seeded_normal(seed, mean.shape)
            image = decode(model, z, context.device)
            extra: dict[str, Any] = {"source": str(path), "spread": spread}
            index += 1
            context.progress(index, request.count * len(request.inputs))
            yield ImageSample(to_pixels(image), index - 1, seed, label=path.name, extra=extra)


def interpolate(
    model: ModelHandle, request: GenerateRequest, context: RunContext
) -> Iterator[ImageSample]:
    """Between two input images (their encoded means), or else two seeds' latents."""
    params = request.params
    if len(request.inputs) >= 2:
        a, b = encode(model, request.inputs[:2], context.device)
        ends: dict[str, Any] = {"from": str(request.inputs[0]), "to": str(request.inputs[1])}
        mix = lerp  # encoded means are not prior samples: a straight line between them
    elif len(request.inputs) == 1:
        raise DataError("interpolation needs two input images, or none (then two seeds)")
    else:
        end = params["to_seed"] if params["to_seed"] is not None else request.seed + 1
        a = seeded_normal(request.seed, (model.config["latent"],))
        b = seeded_normal(end, (model.config["latent"],))
        ends = {"from_seed": request.seed, "to_seed": end}
        mix = slerp
    frames = []
    total = params["frames"]
    for index, t in enumerate(positions(total)):
        image = decode(model, mix(a, b, t), context.device)
        extra = {**ends, "t": t, "frame": index}
        frame = ImageSample(to_pixels(image), index, request.seed, label=f"t={t:.3f}", extra=extra)
        frames.append(frame)
        context.progress(index + 1, total + 1)
        yield frame
    yield animation(frames, params, ends)
    context.progress(total + 1, total + 1)
