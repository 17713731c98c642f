"""What every built-in image generator (``dcgan``, ``fastgan``, ``vae``) does the same way.

The user's pictures are read through Studio's image gate, fitted as a fine-tuned model was; a
model is made from its config; generation, training and KID go to the generator's torch side,
which this module names and imports only when a job needs it (listing plugins imports no torch).
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

from plugins.imagekit.params import (
    EVALUATE_PARAMS,
    IMAGE_LOOP_DEFAULTS,
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
    RunContext,
    TrainData,
    Trainer,
)


def _named(where: str) -> Any:
    """The object at ``"package.module:name"``, imported now (and torch with it)."""
    module, name = where.split(":")
    return getattr(importlib.import_module(module), name)


class ImageGenerator(Generator):
    """A subclass gives :meth:`_config` and, as ``"package.module:name"``, its torch side."""

    modality = "image"
    evaluate_params = EVALUATE_PARAMS
    loop_defaults: ClassVar[dict[str, Any]] = IMAGE_LOOP_DEFAULTS
    #: ``networks(config)``: the model's nn.Module (a class or a function).
    networks: ClassVar[str]
    #: ``trainer(model, data, params, context)``: its Trainer.
    trainer: ClassVar[str]
    #: ``generation(model, request, context)``: the samples of a request, one by one.
    generation: ClassVar[str]
    #: ``kid_batch(model, seed, count, device)``: ``count`` seeded images, for KID.
    kid_batch: ClassVar[str]

    def _config(self, params: dict[str, Any]) -> dict[str, Any]:
        """What rebuilds the networks, kept in every checkpoint; fine-tuning keeps it."""
        raise NotImplementedError

    def _pictures(
        self, source: Path, params: dict[str, Any], model: ModelHandle | None, report: DataReport
    ) -> Any:
        """The training pictures, fitted to the model being fine-tuned or the one to be made."""
        config = model.config if model else self._config(params)
        check_policy(params["augment_policy"])
        return load_pictures(source, params, config, model is not None, report)

    def create_model(self, params: dict[str, Any], data: TrainData | None) -> ModelHandle:
        return self.load_model(self._config(params), {})

    def load_model(self, config: dict[str, Any], assets: dict[str, bytes]) -> ModelHandle:
        return ModelHandle(_named(self.networks)(config), dict(config))

    def create_trainer(
        self, model: ModelHandle, data: TrainData, params: dict[str, Any], context: RunContext
    ) -> Trainer:
        return _named(self.trainer)(model, data, params, context)

    def generate(
        self, model: ModelHandle, request: GenerateRequest, context: RunContext
    ) -> Iterator[ImageSample]:
        yield from _named(self.generation)(model, request, context)

    def evaluate(
        self, model: ModelHandle, data: TrainData, params: dict[str, Any], context: RunContext
    ) -> Evaluation:
        from plugins.imagekit.evaluation import evaluate_images

        batch = _named(self.kid_batch)

        def sample(count: int, seed: int) -> Any:
            return batch(model, seed, count, context.device)

        return evaluate_images(sample, data.train, params, context.device)
