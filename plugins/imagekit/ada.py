"""Adaptive augmentation probability (StyleGAN2-ADA's controller) and a weights' moving average."""

from __future__ import annotations

from typing import Any

import torch
from torch import nn


class AdaptiveProbability:
    """Raises the augmentation probability while the discriminator overfits, lowers it otherwise.

    The overfitting signal is ADA's r_t = E[sign(D(real))]: 0 when the discriminator cannot tell
    real pictures from generated ones, 1 when it is sure of every real one (it has memorised
    them). Every ``interval`` steps p moves by (images seen) / ``ramp_images`` towards keeping r_t
    at ``target``. ADA ramps over 500k images; a designer's CPU run sees far fewer, so the default
    ramp is shorter.
    """

    def __init__(
        self, target: float = 0.6, ramp_images: int = 20_000, interval: int = 4, p: float = 0.0
    ) -> None:
        self.target = target
        self.ramp_images = ramp_images
        self.interval = interval
        self.p = p
        self.signal = 0.0  # the last r_t, for the curve
        self._signs = 0.0
        self._images = 0
        self._steps = 0

    def observe(self, real_logits: torch.Tensor) -> None:
        """Record one step's discriminator outputs on real pictures (before any loss)."""
        # Kept as a tensor until the adjustment, so a step costs no extra device sync.
        signs = torch.sign(real_logits.detach()).sum()
        self._signs = self._signs + signs
        self._images += real_logits.numel()
        self._steps += 1
        if self._steps >= self.interval:
            self.signal = float(self._signs) / self._images
            step = self._images / self.ramp_images
            self.p = min(1.0, max(0.0, self.p + (step if self.signal > self.target else -step)))
            self._signs, self._images, self._steps = 0.0, 0, 0

    def state_dict(self) -> dict[str, float]:
        # The partial sums too: a checkpoint on cancel may fall between two adjustments.
        return {
            "p": self.p,
            "signal": self.signal,
            "signs": float(self._signs),
            "images": float(self._images),
            "steps": float(self._steps),
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.p = float(state["p"])
        self.signal = float(state["signal"])
        self._signs = float(state["signs"])
        self._images = int(state["images"])
        self._steps = int(state["steps"])


@torch.no_grad()
def update_ema(average: nn.Module, model: nn.Module, decay: float, step: int) -> None:
    """Move ``average``'s weights towards ``model``'s; buffers (batch-norm statistics) are copied.

    The decay warms up as (1 + step) / (10 + step) until it reaches ``decay``, so early previews
    show the generator of the last few steps rather than its random start.
    """
    rate = 1.0 - min(decay, (1 + step) / (10 + step))
    for mine, theirs in zip(average.parameters(), model.parameters(), strict=True):
        mine.lerp_(theirs, rate)
    for mine, theirs in zip(average.buffers(), model.buffers(), strict=True):
        mine.copy_(theirs)
