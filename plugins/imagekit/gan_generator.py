"""The half of a GAN generator that ``dcgan`` and ``fastgan`` share: data, generation, evaluation.

No torch at import: the torch side is imported inside the methods.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

from plugins.imagekit.params import (
    ANIMATION_PARAMS,
    DATA_KEYS,
    DATA_PARAMS,
    EVALUATE_PARAMS,
    GAN_AUGMENT_PARAMS,
    IMAGE_LOOP_DEFAULTS,
    augmentation_choice,
    channels,
    check_policy,
    load_pictures,
)
from studio.api import (
    DataReport,
    Evaluation,
    GenerateRequest,
    Generator,
    ImageSample,
    ModelHandle,
    Param,
    RunContext,
    Schema,
    TrainData,
    Trainer,
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
    "resolution": "Resolution (px)",
    "latent": "Latent dimensions",
    "g_width": "Generator width",
    "d_width": "Discriminator width",
    "lr": "Learning rate",
    "beta1": "Adam beta1",
    "beta2": "Adam beta2",
    "preview_count": "Preview images",
    "channels_last": "Channels-last layout",
    "augment": "Augmentation",
    "augment_policy": "Augmentations",
    "augment_target": "Augmentation target (r_t)",
    "augment_ramp": "Augmentation speed (images)",
    "ema": "Generator average (EMA)",
}


# Adam as DCGAN and FastGAN train (2e-4, betas 0.5 / 0.999), previews, memory layout.
GAN_OPTIMISER_PARAMS = Schema(
    [
        Param("lr", "float", 2e-4, "Adam learning rate", minimum=1e-7, maximum=1.0, log_scale=True),
        Param("beta1", "float", 0.5, "Adam beta1", minimum=0.0, maximum=0.999, advanced=True),
        Param("beta2", "float", 0.999, "Adam beta2", minimum=0.0, maximum=0.9999, advanced=True),
        Param("preview_count", "int", 16, "images in the preview grid", minimum=1, maximum=256),
        Param(
            "channels_last",
            "bool",
            True,
            "channels-last memory layout (faster convolutions on most devices)",
            advanced=True,
        ),
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


def _named(where: str) -> Any:
    """The object at ``"package.module:name"``, imported now (and torch with it)."""
    module, name = where.split(":")
    return getattr(importlib.import_module(module), name)


class GanGenerator(Generator):
    modality = "image"
    # sample: new images, one seed each; interpolate: a walk from seed to to_seed.
    modes = ("sample", "interpolate")
    generate_params = GAN_GENERATE_PARAMS
    evaluate_params = EVALUATE_PARAMS
    loop_defaults: ClassVar[dict[str, Any]] = IMAGE_LOOP_DEFAULTS
    #: Where a subclass's torch side is, as "package.module:name", imported only when a job needs
    #: it: the networks (an nn.Module made from a model config) and the GanTrainerBase subclass.
    networks: ClassVar[str]
    trainer: ClassVar[str]

    def load_model(self, config: dict[str, Any], assets: dict[str, bytes]) -> ModelHandle:
        return ModelHandle(_named(self.networks)(config), dict(config))

    def create_trainer(
        self, model: ModelHandle, data: TrainData, params: dict[str, Any], context: RunContext
    ) -> Trainer:
        return _named(self.trainer)(model, data, params, context)

    def _config(self, params: dict[str, Any]) -> dict[str, Any]:
        """What rebuilds the networks, kept in every checkpoint; fine-tuning keeps it."""
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
        config = model.config if model else self._config(params)
        check_policy(params["augment_policy"])
        images = load_pictures(source, params, config, model is not None, report)
        report.note(augmentation_choice(params["augment"], len(images))[1])
        return TrainData(train=images, report=report)

    def create_model(self, params: dict[str, Any], data: TrainData | None) -> ModelHandle:
        return self.load_model(self._config(params), {})

    def generate(
        self, model: ModelHandle, request: GenerateRequest, context: RunContext
    ) -> Iterator[ImageSample]:
        from plugins.imagekit.gan import generate

        yield from generate(model, request, context)

    def evaluate(
        self, model: ModelHandle, data: TrainData, params: dict[str, Any], context: RunContext
    ) -> Evaluation:
        from plugins.imagekit.evaluation import evaluate_images
        from plugins.imagekit.gan import picture_maker, render_batch
        from plugins.imagekit.tensors import seeded_normal

        maker = picture_maker(model.module)

        def sample(count: int, seed: int) -> Any:
            return render_batch(maker, seeded_normal(seed, (count, model.config["latent"])))

        return evaluate_images(sample, data.train, params, context.device)
