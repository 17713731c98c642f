"""Differentiable augmentation for GANs trained on a small folder (DiffAugment, ADA).

A discriminator that sees the same hundred pictures again and again memorises them, and its
gradients stop telling the generator anything. Showing it randomly altered pictures, both real and
generated, in both the discriminator's and the generator's steps, keeps it honest. Because the
generator's images pass through the same alterations on the way to the discriminator, and every
alteration here is differentiable, the generator still learns the un-altered distribution: the
alterations do not leak into what it makes, as long as each is applied with probability below 1
or is invertible in distribution (Karras et al. 2020, Zhao et al. 2020).

One function per policy. Each takes images in [-1, 1] (N, C, H, W) and a per-image boolean mask
(which images are altered) and returns a new batch; an image whose mask is False comes back
bit for bit. Randomness comes from torch's global generator, which the engine seeds.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

Policy = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


def _per_image(x: torch.Tensor, *shape: int) -> torch.Tensor:
    return torch.rand(x.shape[0], *shape, device=x.device, dtype=x.dtype)


def _pick(mask: torch.Tensor, altered: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    return torch.where(mask[:, None, None, None], altered, x)


def colour(x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Brightness (+-0.5), saturation (x0 to x2) and contrast (x0.5 to x1.5), each per image."""
    out = x + (_per_image(x, 1, 1, 1) - 0.5)
    if x.shape[1] > 1:  # saturation means nothing for greyscale
        grey = out.mean(dim=1, keepdim=True)
        out = (out - grey) * (_per_image(x, 1, 1, 1) * 2) + grey
    mean = out.mean(dim=(1, 2, 3), keepdim=True)
    out = (out - mean) * (_per_image(x, 1, 1, 1) + 0.5) + mean
    return _pick(mask, out, x)


def translation(x: torch.Tensor, mask: torch.Tensor, ratio: float = 0.125) -> torch.Tensor:
    """Shift each image by up to ``ratio`` of its side in x and y, filling with zeros (grey)."""
    n, _, h, w = x.shape
    limit_y, limit_x = int(h * ratio + 0.5), int(w * ratio + 0.5)
    dy = torch.randint(-limit_y, limit_y + 1, (n,), device=x.device)
    dx = torch.randint(-limit_x, limit_x + 1, (n,), device=x.device)
    rows = torch.arange(h, device=x.device)[None, :] - dy[:, None]  # source row per output row
    cols = torch.arange(w, device=x.device)[None, :] - dx[:, None]
    inside = ((rows >= 0) & (rows < h))[:, :, None] & ((cols >= 0) & (cols < w))[:, None, :]
    rows, cols = rows.clamp(0, h - 1), cols.clamp(0, w - 1)
    # Gathering by index is differentiable with respect to the pixels (the shifts are integers).
    batch = torch.arange(n, device=x.device)[:, None, None]
    shifted = x.permute(0, 2, 3, 1)[batch, rows[:, :, None], cols[:, None, :]].permute(0, 3, 1, 2)
    shifted = shifted * inside[:, None].to(x.dtype)
    return _pick(mask, shifted, x)


def cutout(x: torch.Tensor, mask: torch.Tensor, ratio: float = 0.5) -> torch.Tensor:
    """Blank one square of ``ratio`` times the side, at a random place in each image."""
    n, _, h, w = x.shape
    size_y, size_x = int(h * ratio + 0.5), int(w * ratio + 0.5)
    # The square's centre is anywhere in the image, so it may hang over an edge.
    top = torch.randint(0, h, (n,), device=x.device) - size_y // 2
    left = torch.randint(0, w, (n,), device=x.device) - size_x // 2
    ys = torch.arange(h, device=x.device)[None, :]
    xs = torch.arange(w, device=x.device)[None, :]
    in_y = (ys >= top[:, None]) & (ys < top[:, None] + size_y)
    in_x = (xs >= left[:, None]) & (xs < left[:, None] + size_x)
    keep = ~(in_y[:, :, None] & in_x[:, None, :])
    return _pick(mask, x * keep[:, None].to(x.dtype), x)


def flip(x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mirror left to right (only for pictures whose mirror image is as plausible)."""
    return _pick(mask, x.flip(3), x)


POLICIES: dict[str, Policy] = {
    "colour": colour,
    "translation": translation,
    "cutout": cutout,
    "flip": flip,
}


def augment(x: torch.Tensor, p: float, policy: tuple[str, ...]) -> torch.Tensor:
    """Each policy in turn, applied to each image with probability ``p``; ``x`` itself at p 0."""
    if p <= 0 or not policy:
        return x
    for name in policy:
        mask = torch.rand(x.shape[0], device=x.device) < p
        x = POLICIES[name](x, mask)
    return x
