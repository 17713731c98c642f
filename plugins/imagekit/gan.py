"""Generation for the GANs (``dcgan``, ``fastgan``): seeded samples and latent walks.

Both modules hold a ``generator`` taking noise (N, latent, 1, 1) to images in [-1, 1], and may hold
a ``generator_ema``, the moving average of its weights, which is the one that makes pictures.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import torch
from torch import nn

from plugins.imagekit.tensors import animation, lerp, positions, seeded_normal, slerp, to_pixels
from studio.api import GenerateRequest, ImageSample, ModelHandle, RunContext


def picture_maker(module: nn.Module) -> nn.Module:
    """The generator that makes pictures: the moving average when the model has one."""
    average = getattr(module, "generator_ema", None)
    return average if average is not None else module.generator


def moving_average(generator: nn.Module, config: dict[str, Any]) -> nn.Module | None:
    """A frozen copy of ``generator`` to hold its moving average, if ``config`` asks for one."""
    return copy.deepcopy(generator).requires_grad_(False) if config.get("ema") else None


def init_weights(module: nn.Module) -> None:
    """The DCGAN paper's initialisation, FastGAN's too: N(0, 0.02) for convolutions (the raw
    weight under spectral normalisation), N(1, 0.02) for batch-norm scales. ``net.apply`` it."""
    if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d)):
        normalised = getattr(module, "parametrizations", None)
        nn.init.normal_(normalised.weight.original if normalised else module.weight, 0.0, 0.02)
    elif isinstance(module, nn.BatchNorm2d):
        nn.init.normal_(module.weight, 1.0, 0.02)
        nn.init.zeros_(module.bias)


class GanNetworks(nn.Module):
    """Both networks in one module, so a checkpoint (and a fine-tune) keeps the discriminator,
    with the generator's moving average that makes the pictures (absent in dcgan 1.0 models).

    A subclass names its ``Generator(latent, g_width, channels, resolution)`` and its
    ``Discriminator(d_width, channels, resolution)``.
    """

    generator_class: type[nn.Module]
    discriminator_class: type[nn.Module]

    def __init__(self, config: dict[str, Any]) -> None:
        super().__init__()
        resolution, channels = int(config["resolution"]), int(config["channels"])
        self.generator = self.generator_class(
            config["latent"], config["g_width"], channels, resolution
        )
        self.discriminator = self.discriminator_class(config["d_width"], channels, resolution)
        self.apply(init_weights)
        self.generator_ema = moving_average(self.generator, config)


def latent(model: ModelHandle, seed: int) -> torch.Tensor:
    return seeded_normal(seed, (model.config["latent"],))


def render(model: ModelHandle, z: torch.Tensor, device: torch.device) -> torch.Tensor:
    """One image from one latent, alone in its batch, so it is remade bit for bit by its seed."""
    image = picture_maker(model.module)(z.to(device)[None, :, None, None])[0]
    return (image + 1) / 2


@torch.no_grad()
def render_batch(generator: nn.Module, noise: torch.Tensor, batch: int = 64) -> torch.Tensor:
    """Images in [0, 1] from noise (N, latent) in batches, the generator in eval mode."""
    was_training = generator.training
    generator.eval()
    device = next(generator.parameters()).device
    try:
        parts = [
            generator(noise[i : i + batch].to(device)[:, :, None, None])
            for i in range(0, len(noise), batch)
        ]
    finally:
        generator.train(was_training)
    return (torch.cat(parts).float() + 1) / 2


def sample_batch(model: ModelHandle, seed: int, count: int, device: torch.device) -> torch.Tensor:
    """``count`` images from seeded noise by the picture-making generator (for KID)."""
    return render_batch(
        picture_maker(model.module), seeded_normal(seed, (count, model.config["latent"]))
    )


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
