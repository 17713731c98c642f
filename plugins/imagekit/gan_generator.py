"""The half of a GAN generator that ``dcgan`` and ``fastgan`` share: parameters, model config,
data; generation and KID by ``imagekit.gan``.

No torch at import: the torch side is imported when a job needs it (``ImageGenerator``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from plugins.imagekit.image_generator import ImageGenerator
from plugins.imagekit.params import (
    ANIMATION_PARAMS,
    DATA_KEYS,
    DATA_PARAMS,
    GAN_AUGMENT_PARAMS,
    IMAGE_LABELS,
    augmentation_choice,
    channels,
    channels_last_param,
    learning_rate_param,
)
from studio.api import (
    DataReport,
    ModelHandle,
    Param,
    Schema,
    TrainData,
)

GAN_GENERATE_PARAMS = (
    Schema(
        [
            Param(
                "to_seed",
                "int",
                None,
                "the interpolation's end seed (default: seed + 1)",
                minimum=0,
                optional=True,
            ),
            Param(
                "path",
                "choice",
                "slerp",
                "interpolate along the sphere (slerp) or a straight line (linear)",
                choices=("slerp", "linear"),
                advanced=True,
            ),
        ]
    )
    + ANIMATION_PARAMS
).with_labels({"to_seed": "End seed", "path": "Walk path"})


# What the window shows for the parameters both GANs share, and for their own common ones.
GAN_LABELS = {
    **IMAGE_LABELS,
    "g_width": "Generator width",
    "d_width": "Discriminator width",
    "beta1": "Adam beta1",
    "beta2": "Adam beta2",
    "augment_target": "Augmentation target (r_t)",
    "augment_ramp": "Augmentation speed (images)",
    "ema": "Generator average (EMA)",
}


# Adam as DCGAN and FastGAN train (2e-4, betas 0.5 / 0.999), previews, memory layout.
GAN_OPTIMISER_PARAMS = Schema(
    [
        learning_rate_param(2e-4),
        Param("beta1", "float", 0.5, "Adam beta1", minimum=0.0, maximum=0.999, advanced=True),
        Param("beta2", "float", 0.999, "Adam beta2", minimum=0.0, maximum=0.9999, advanced=True),
        Param("preview_count", "int", 16, "images in the preview grid", minimum=1, maximum=256),
        channels_last_param(),
    ]
)


def gan_train_params(
    resolutions: tuple[int, ...], own: list[Param], labels: dict[str, str]
) -> Schema:
    """A GAN's training parameters: its resolutions (64 px by default) and its networks' own
    settings, then what every GAN here shares (Adam, augmentation and the generator's average,
    the data), each with its label."""
    sizes = f"{', '.join(map(str, resolutions[:-1]))} or {resolutions[-1]}"
    resolution = Param(
        "resolution", "int", 64, f"image side in pixels: {sizes}", choices=resolutions
    )
    return (
        Schema([resolution, *own]) + GAN_OPTIMISER_PARAMS + GAN_AUGMENT_PARAMS + DATA_PARAMS
    ).with_labels({**GAN_LABELS, **labels})


class GanGenerator(ImageGenerator):
    # sample: new images, one seed each; interpolate: a walk from seed to to_seed.
    modes = ("sample", "interpolate")
    generate_params = GAN_GENERATE_PARAMS
    # Generation and KID are the same for every GAN; a subclass names its networks and trainer.
    generation = "plugins.imagekit.gan:generate"
    kid_batch = "plugins.imagekit.gan:sample_batch"

    def _config(self, params: dict[str, Any]) -> dict[str, Any]:
        return {
            "resolution": params["resolution"],
            "channels": channels(params["colour"]),
            "latent": params["latent"],
            "g_width": params["g_width"],
            "d_width": params["d_width"],
            # Checkpoints of dcgan 1.0 have no "ema" and no moving-average weights.
            "ema": params["ema"] > 0,
            **{key: params[key] for key in DATA_KEYS},
        }

    def load_data(
        self, source: Path, params: dict[str, Any], model: ModelHandle | None, report: DataReport
    ) -> TrainData:
        images = self._pictures(source, params, model, report)
        report.note(augmentation_choice(params["augment"], len(images))[1])
        return TrainData(train=images, report=report)
