"""One FastGAN step: hinge loss plus the discriminator's reconstruction of real pictures.

The discriminator's update adds a reconstruction loss (MSE or L1) between its decoding of each
augmented real picture and that picture at the decoder's 64 px; the generator's update is the
hinge loss alone. Every image the discriminator sees goes through the shared augmentation.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from plugins.imagekit.gan_trainer import GanTrainerBase

from .model import DECODED


class FastGANTrainer(GanTrainerBase):
    def step(self, batch: torch.Tensor, step: int) -> dict[str, float]:
        real = self.real_images(batch)
        z = torch.randn(real.shape[0], self.g.latent, 1, 1, device=self.device)
        fake = self.g(z)

        self.opt_d.zero_grad(set_to_none=True)
        seen = self.augment(real)
        d_real, decoded = self.d(seen, decode=True)
        d_fake = self.d(self.augment(fake.detach()))
        target = (
            seen if seen.shape[-1] == DECODED else F.interpolate(seen, size=DECODED, mode="area")
        )
        if self.params["recon_loss"] == "l1":
            recon = F.l1_loss(decoded, target)
        else:
            recon = F.mse_loss(decoded, target)
        hinge_d = F.relu(1 - d_real).mean() + F.relu(1 + d_fake).mean()
        (hinge_d + recon).backward()
        self.opt_d.step()

        # The generator's update is the hinge loss alone.
        loss_g = self.generator_update(fake, lambda logits: -logits.mean())
        self.after_step(d_real, step)

        values = torch.stack(
            [
                hinge_d.detach(),
                loss_g.detach(),
                recon.detach(),
                d_real.detach().mean(),
                d_fake.detach().mean(),
            ]
        ).tolist()
        return {
            "loss/D": values[0],
            "loss/G": values[1],
            "loss/recon": values[2],
            "D/D(x)": values[3],
            "D/D(G(z))": values[4],
            **self.augment_metrics(),
        }
