"""One DCGAN step: a discriminator update, then a generator update, with two Adam optimisers."""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F

from plugins.imagekit.tensors import grid, seeded_normal, to_pixels
from studio.api import ImageSample, ModelHandle, RunContext, Trainer


class GANTrainer(Trainer):
    def __init__(self, model: ModelHandle, params: dict[str, Any], context: RunContext) -> None:
        self.model = model
        self.params = params
        self.device = context.device
        gan = model.module
        self.g, self.d = gan.generator, gan.discriminator
        # channels_last lets oneDNN (CPU) and cuDNN (GPU) pick their faster convolution kernels.
        self.memory_format = (
            torch.channels_last if params["channels_last"] else torch.contiguous_format
        )
        gan.to(memory_format=self.memory_format)
        betas = (params["beta1"], params["beta2"])
        # The fused Adam kernels save a pass over the weights on every step, on CPU and CUDA.
        fused = self.device.type in ("cpu", "cuda")
        self.opt_g = torch.optim.Adam(self.g.parameters(), params["lr"], betas=betas, fused=fused)
        self.opt_d = torch.optim.Adam(self.d.parameters(), params["lr"], betas=betas, fused=fused)
        self.hinge = params["loss"] == "hinge"
        self.preview_noise = seeded_normal(params["seed"], (params["preview_count"], self.g.latent))

    def step(self, batch: torch.Tensor, step: int) -> dict[str, float]:
        # uint8 pixels from the image cache to [-1, 1], the generator's tanh range.
        real = (batch.float() * (2 / 255) - 1).contiguous(memory_format=self.memory_format)
        z = torch.randn(real.shape[0], self.g.latent, 1, 1, device=self.device)
        fake = self.g(z)

        # Discriminator: real up, fake down. One backward of the sum is the same gradient as two.
        self.opt_d.zero_grad(set_to_none=True)
        d_real = self.d(real)
        d_fake = self.d(fake.detach())
        if self.hinge:
            loss_d = F.relu(1 - d_real).mean() + F.relu(1 + d_fake).mean()
        else:
            loss_d = F.softplus(-d_real).mean() + F.softplus(d_fake).mean()
        loss_d.backward()
        self.opt_d.step()

        # Generator: non-saturating (maximise log D(G(z))) or hinge. The discriminator's weights
        # are frozen for this pass so their (unused) gradients are never computed.
        self.opt_g.zero_grad(set_to_none=True)
        self.d.requires_grad_(False)
        try:
            d_gen = self.d(fake)
            loss_g = -d_gen.mean() if self.hinge else F.softplus(-d_gen).mean()
            loss_g.backward()
        finally:
            self.d.requires_grad_(True)
        self.opt_g.step()

        # One device sync for every metric of the step.
        values = torch.stack(
            [
                loss_d.detach(),
                loss_g.detach(),
                torch.sigmoid(d_real.detach()).mean(),
                torch.sigmoid(d_fake.detach()).mean(),
            ]
        ).tolist()
        return {
            "loss/D": values[0],
            "loss/G": values[1],
            "D/D(x)": values[2],
            "D/D(G(z))": values[3],
        }

    def preview(self, step: int) -> list[ImageSample]:
        """The same noise every time, so the grid shows the generator changing, not the noise."""
        z = self.preview_noise.to(self.device)[:, :, None, None]
        images = (self.g(z) + 1) / 2  # the engine has put the GAN in eval mode
        pixels = [to_pixels(image) for image in images]
        return [ImageSample(grid(pixels), 0, self.params["seed"], label=f"step {step}")]

    def state_dict(self) -> dict[str, Any]:
        return {"opt_g": self.opt_g.state_dict(), "opt_d": self.opt_d.state_dict()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.opt_g.load_state_dict(state["opt_g"])
        self.opt_d.load_state_dict(state["opt_d"])
