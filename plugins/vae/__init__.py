"""VAE: a variational autoencoder for a folder of the user's pictures.

A convolutional encoder and decoder by default (pytorch/examples' MLP as an option), with
configurable latent size, beta and resolution. Generates seeded samples, reconstructions of given
images, variations around an encoded image, and interpolations between two images. Torch is
imported inside methods only.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from plugins.imagekit.image_generator import ImageGenerator
from plugins.imagekit.params import (
    ANIMATION_PARAMS,
    DATA_KEYS,
    DATA_PARAMS,
    IMAGE_LABELS,
    channels,
    channels_last_param,
    learning_rate_param,
    policy_param,
    split,
)
from studio.api import (
    DataReport,
    Generator,
    ModelHandle,
    Param,
    Rule,
    Schema,
    TrainData,
    hookimpl,
)

STUDIO_API_VERSION = 1


def _conv_resolution_fits(params: Mapping[str, Any]) -> str | None:
    if params["architecture"] == "conv" and params["resolution"] % 4:
        return f"{params['resolution']} is not a multiple of 4, which the convolutional VAE needs"
    return None


# Settings of the convolutional architecture only: the form hides them for the MLP.
CONV = ("architecture", ("conv",))


class VAE(ImageGenerator):
    id = "vae"
    name = "VAE"
    version = "1.0"
    description = (
        "A variational autoencoder: learns a smooth space of pictures like yours, for new "
        "images, reconstructions, variations of a picture and blends between two."
    )
    takes_inputs = True
    # sample: new images; reconstruct, variations: of the input images;
    # interpolate: between two input images (or two seeds).
    modes = ("sample", "reconstruct", "variations", "interpolate")
    generate_params = (
        Schema(
            [
                Param(
                    "spread",
                    "float",
                    0.5,
                    "how far variations wander from the input (sigma, in latent units)",
                    minimum=0.0,
                    maximum=10.0,
                ),
                Param(
                    "to_seed",
                    "int",
                    None,
                    "end seed when interpolating without input images (default: seed + 1)",
                    minimum=0,
                    optional=True,
                ),
            ]
        )
        + ANIMATION_PARAMS
    ).with_labels(
        {
            "spread": "Variation spread",
            "to_seed": "End seed",
        }
    )
    train_params = (
        Schema(
            [
                Param(
                    "architecture",
                    "choice",
                    "conv",
                    "convolutional (pictures) or a small MLP (pytorch/examples' VAE)",
                    choices=("conv", "mlp"),
                ),
                Param(
                    "resolution",
                    "int",
                    64,
                    "image side in pixels (a multiple of 4)",
                    minimum=8,
                    maximum=256,
                ),
                Param("latent", "int", 32, "latent dimensions", minimum=1, maximum=4096),
                Param(
                    "width",
                    "int",
                    16,
                    "conv: channels of the first layer",
                    minimum=1,
                    maximum=1024,
                    only_when=CONV,
                ),
                Param(
                    "dense",
                    "int",
                    256,
                    "conv: units of a dense layer on each side of the latent (0: none)",
                    minimum=0,
                    maximum=65_536,
                    only_when=CONV,
                ),
                Param(
                    "activation",
                    "choice",
                    "silu",
                    "conv: the nonlinearity between layers",
                    choices=("silu", "relu"),
                    advanced=True,
                    only_when=CONV,
                ),
                Param(
                    "hidden",
                    "int",
                    400,
                    "mlp: hidden units",
                    minimum=1,
                    maximum=65_536,
                    only_when=("architecture", ("mlp",)),
                ),
                Param(
                    "beta",
                    "float",
                    1.0,
                    "weight of the KL term (above 1: smoother, blurrier)",
                    minimum=0.0,
                    maximum=100.0,
                ),
                learning_rate_param(2e-3),
                Param(
                    "validation",
                    "float",
                    0.0,
                    "fraction of the pictures held out to measure loss/val (0: none)",
                    minimum=0.0,
                    maximum=0.5,
                ),
                Param("preview_count", "int", 8, "pictures per preview row", minimum=1, maximum=64),
                Param(
                    "augment",
                    "choice",
                    "off",
                    "alter training pictures at random (a VAE learns what it is shown: the "
                    "alterations become part of what it makes)",
                    choices=("off", "on"),
                ),
                policy_param("flip,translation"),
                Param(
                    "augment_p",
                    "float",
                    0.5,
                    "probability of each augmentation per picture",
                    minimum=0.0,
                    maximum=1.0,
                    advanced=True,
                ),
                channels_last_param("conv: ", only_when=CONV),
            ],
            [
                Rule(
                    "resolution",
                    _conv_resolution_fits,
                    "the convolutional VAE halves the image twice: a multiple of 4",
                )
            ],
        )
        + DATA_PARAMS
    ).with_labels(
        {
            **IMAGE_LABELS,
            "architecture": "Architecture",
            "width": "Conv width",
            "dense": "Dense units",
            "activation": "Activation",
            "hidden": "Hidden units",
            "beta": "KL weight (beta)",
            "validation": "Held-out share",
            "augment_p": "Augmentation probability",
        }
    )
    networks = "plugins.vae.model:build"
    trainer = "plugins.vae.trainer:VAETrainer"
    generation = "plugins.vae.sampling:generate"
    kid_batch = "plugins.vae.sampling:decode_batch"

    def load_data(
        self, source: Path, params: dict[str, Any], model: ModelHandle | None, report: DataReport
    ) -> TrainData:
        images = self._pictures(source, params, model, report)
        train, validation = split(images, params["validation"], params["seed"])
        if validation is not None:
            report.note(f"{len(validation)} pictures held out for validation")
        return TrainData(train=train, validation=validation, report=report)

    def _config(self, params: dict[str, Any]) -> dict[str, Any]:
        keys = ("architecture", "resolution", "latent", "width", "dense", "activation", "hidden")
        keys += DATA_KEYS
        return {**{key: params[key] for key in keys}, "channels": channels(params["colour"])}


@hookimpl
def register_generators() -> list[Generator]:
    return [VAE()]
