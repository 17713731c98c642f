"""What the GAN trainers share: two Adam optimisers, augmentation with its adaptive probability,
the generator's moving average, fixed-noise previews, the memorisation view and KID.

A subclass writes :meth:`step` with :meth:`augment` around every image the discriminator sees,
updates the generator with :meth:`generator_update`, calls :meth:`after_step` with the
discriminator's logits on real images, and adds :meth:`augment_metrics` to what it returns.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch import nn

from plugins.imagekit.ada import AdaptiveProbability, update_ema
from plugins.imagekit.augment import augment
from plugins.imagekit.evaluation import TrainingQuality
from plugins.imagekit.gan import moving_average, picture_maker, render_batch
from plugins.imagekit.params import augmentation_choice, check_policy
from plugins.imagekit.tensors import grid, seeded_normal, to_pixels
from studio.api import ImageSample, ModelHandle, RunContext, TrainData, Trainer


def ensure_average(model: ModelHandle) -> None:
    """Give a GAN a generator moving average (a model from before they existed gains one)."""
    module = model.module
    if getattr(module, "generator_ema", None) is None:
        module.generator_ema = moving_average(module.generator, {"ema": True})
        model.config["ema"] = True


class GanTrainerBase(Trainer):
    def __init__(
        self, model: ModelHandle, data: TrainData, params: dict[str, Any], context: RunContext
    ) -> None:
        self.model = model
        self.data = data
        self.params = params
        self.device = context.device
        gan = model.module
        self.ema_decay = float(params["ema"])
        if self.ema_decay > 0:
            ensure_average(model)
            gan.generator_ema.to(self.device)
        self.g, self.d = gan.generator, gan.discriminator
        # channels_last lets oneDNN (CPU) and cuDNN (GPU) pick their faster convolution kernels.
        channels_last = params.get("channels_last", True)
        self.memory_format = torch.channels_last if channels_last else torch.contiguous_format
        gan.to(memory_format=self.memory_format)
        betas = (params["beta1"], params["beta2"])
        # The fused Adam kernels save a pass over the weights on every step, on CPU and CUDA.
        fused = self.device.type in ("cpu", "cuda")
        self.opt_g = torch.optim.Adam(self.g.parameters(), params["lr"], betas=betas, fused=fused)
        self.opt_d = torch.optim.Adam(self.d.parameters(), params["lr"], betas=betas, fused=fused)
        on, _reason = augmentation_choice(params["augment"], len(data.train))
        self.policy = check_policy(params["augment_policy"]) if on else ()
        self.ada = (
            AdaptiveProbability(params["augment_target"], params["augment_ramp"])
            if self.policy
            else None
        )
        self.preview_noise = seeded_normal(params["seed"], (params["preview_count"], self.g.latent))
        # A fixed set of noise for KID, so the curve shows the model changing, not the noise.
        # Twice the folder (up to 256), so KID's subsets of the samples differ and its spread shows.
        count = min(2 * len(data.train), 256)
        self.kid_noise = seeded_normal(params["seed"] + 1, (max(count, 2), self.g.latent))
        self._quality: TrainingQuality | None = None

    @property
    def maker(self) -> nn.Module:
        return picture_maker(self.model.module)

    def real_images(self, batch: torch.Tensor) -> torch.Tensor:
        """uint8 pixels from the image cache to [-1, 1], the generator's tanh range."""
        return (batch.float() * (2 / 255) - 1).contiguous(memory_format=self.memory_format)

    def augment(self, images: torch.Tensor) -> torch.Tensor:
        return augment(images, self.ada.p, self.policy) if self.ada else images

    def generator_update(
        self, fake: torch.Tensor, loss: Callable[[torch.Tensor], torch.Tensor]
    ) -> torch.Tensor:
        """The generator's Adam step on ``loss`` of the discriminator's logits on ``fake``
        (augmented); returns that loss. The discriminator's weights are frozen for this pass so
        their (unused) gradients are never computed."""
        self.opt_g.zero_grad(set_to_none=True)
        self.d.requires_grad_(False)
        try:
            loss_g = loss(self.d(self.augment(fake)))
            loss_g.backward()
        finally:
            self.d.requires_grad_(True)
        self.opt_g.step()
        return loss_g

    def after_step(self, real_logits: torch.Tensor, step: int) -> None:
        if self.ada is not None:
            self.ada.observe(real_logits)
        if self.ema_decay > 0:
            update_ema(self.model.module.generator_ema, self.g, self.ema_decay, step)

    def augment_metrics(self) -> dict[str, float]:
        if self.ada is None:
            return {}
        return {"augment/p": self.ada.p, "augment/r_t": self.ada.signal}

    def evaluate(self) -> dict[str, float]:
        """KID of the picture-making generator's images against the training folder."""
        if self._quality is None:
            self._quality = TrainingQuality(self.data.train, self.device)
        return self._quality.figures(render_batch(self.maker, self.kid_noise))

    def preview(self, step: int) -> list[ImageSample]:
        """The same noise every time, so the grid shows the generator changing, not the noise;
        and the same images beside their nearest training images."""
        images = render_batch(self.maker, self.preview_noise)
        pixels = [to_pixels(image) for image in images]
        seed = self.params["seed"]
        samples = [ImageSample(grid(pixels), 0, seed, label=f"step {step}")]
        if self._quality is None:
            self._quality = TrainingQuality(self.data.train, self.device)
        samples.append(self._quality.nearest_view(images[:8], step, seed))
        return samples

    def state_dict(self) -> dict[str, Any]:
        state: dict[str, Any] = {"opt_g": self.opt_g.state_dict(), "opt_d": self.opt_d.state_dict()}
        if self.ada is not None:
            state["ada"] = self.ada.state_dict()
        return state

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.opt_g.load_state_dict(state["opt_g"])
        self.opt_d.load_state_dict(state["opt_d"])
        if self.ada is not None and "ada" in state:  # runs from before augmentation have none
            self.ada.load_state_dict(state["ada"])
