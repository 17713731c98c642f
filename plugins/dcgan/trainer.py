"""One DCGAN step: a discriminator update, then a generator update, with two Adam optimisers.

Every image the discriminator sees, real or generated, in either update, goes through the same
differentiable augmentation (when it is on), so the generator learns the pictures, not the
augmentation.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from plugins.imagekit.gan_trainer import GanTrainerBase


class GANTrainer(GanTrainerBase):
    def step(self, batch: torch.Tensor, step: int) -> dict[str, float]:
        real = self.real_images(batch)
        hinge = self.params["loss"] == "hinge"
        z = torch.randn(real.shape[0], self.g.latent, 1, 1, device=self.device)
        fake = self.g(z)

        # Discriminator: real up, fake down. One backward of the sum is the same gradient as two.
        self.opt_d.zero_grad(set_to_none=True)
        d_real = self.d(self.augment(real))
        d_fake = self.d(self.augment(fake.detach()))
        if hinge:
            loss_d = F.relu(1 - d_real).mean() + F.relu(1 + d_fake).mean()
        else:
            loss_d = F.softplus(-d_real).mean() + F.softplus(d_fake).mean()
        loss_d.backward()
        self.opt_d.step()

        # Generator: non-saturating (maximise log D(G(z))) or hinge.
        loss_g = self.generator_update(
            fake, lambda d_gen: -d_gen.mean() if hinge else F.softplus(-d_gen).mean()
        )
        self.after_step(d_real, step)

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
            **self.augment_metrics(),
        }
