"""The Generator contract: what a plugin implements so Studio can create, train and run its model.

A plugin author writes model code and a training step; Studio gives it a window, live curves,
checkpoints, exact resume, a command line and a device. Everything heavy (torch, the model code) is
imported inside these methods, never at module import, so listing plugins stays instant.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from .data import DataReport, TrainData
from .params import Schema
from .samples import Sample

if TYPE_CHECKING:
    import torch

Modality = Literal["text", "image"]

#: The ways of generating that the window and the command line know how to offer. A generator
#: lists the ones it supports in :attr:`Generator.modes`; the mode of a request arrives as
#: :attr:`GenerateRequest.mode`.
#:
#: - ``sample``: new samples from seeds (and a prompt, for text);
#: - ``reconstruct``: each input image as the model sees it (needs input images);
#: - ``variations``: new samples near an input image (needs one);
#: - ``interpolate``: a walk between two inputs, or between the seeds ``seed`` and a ``to_seed``.
GenerationMode = Literal["sample", "reconstruct", "variations", "interpolate"]
GENERATION_MODES: tuple[GenerationMode, ...] = (
    "sample",
    "reconstruct",
    "variations",
    "interpolate",
)

#: What :meth:`Generator.accepts_import` says by default: this generator imports nothing.
NOT_IMPORTABLE = "this generator does not import models"


@dataclass
class ModelHandle:
    """A live model: the torch module, plus everything needed to rebuild it from a checkpoint.

    ``config`` must be JSON-serialisable; ``assets`` are small named files stored beside the weights
    (a tokenizer's vocabulary, say). Weights go to safetensors; nothing is ever pickled.
    """

    module: torch.nn.Module
    config: dict[str, Any]
    assets: dict[str, bytes] = field(default_factory=dict)
    #: The content hash of the imported base model this one is built on (see
    #: :meth:`Generator.import_model`), or None. The engine sets it when it loads a model and
    #: records it in every checkpoint, so a checkpoint can hold an adapter and name its base.
    base: str | None = None


@dataclass
class ImportedModel:
    """What :meth:`Generator.import_model` wrote into the library's store for a user's model.

    ``config`` and ``assets`` become the library entry's (they reach :meth:`Generator.load_model`
    again, with the stored folder as ``base``). ``info`` is shown in the model list; the keys
    Studio reads are ``architecture``, ``parameters``, ``precision``, ``size_bytes``,
    ``memory_generate_bytes`` and ``memory_train_bytes``, and ``name`` (a suggested model name).
    """

    config: dict[str, Any]
    assets: dict[str, bytes] = field(default_factory=dict)
    info: dict[str, Any] = field(default_factory=dict)


@dataclass
class GenerateRequest:
    """One generation: a prompt (text generators), a seed, how many samples, and parameters."""

    params: dict[str, Any]
    prompt: str = ""
    seed: int = 0
    count: int = 1
    # Input files, for generators that transform them (reconstructions, variations, interpolation).
    inputs: list[Path] = field(default_factory=list)
    #: One of the generator's :attr:`Generator.modes`, checked by Studio before ``generate``.
    mode: GenerationMode = "sample"


@dataclass
class RunContext:
    """What the engine lends a running job: the device, a log, and a progress callback."""

    device: torch.device
    log: Callable[[str], None] = lambda message: None
    progress: Callable[[int, int], None] = lambda done, total: None
    # Extra state a trainer may read, e.g. the total steps planned (for a learning-rate schedule).
    total_steps: int = 0
    start_step: int = 0


@dataclass
class Evaluation:
    """What :meth:`Generator.evaluate` found: figures, pictures to show, and details to keep.

    ``figures`` are plain numbers (``{"kid": 0.012, "kid_std": 0.002}``); ``samples`` are shown
    and saved beside the results (a memorisation view, say); ``details`` is any JSON-serialisable
    dict written into the results file.
    """

    figures: dict[str, float]
    samples: list[Sample] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)


class Trainer:
    """The optimisation half of training. The engine owns the loop; the trainer owns one step.

    The engine seeds, shuffles, batches, moves each batch to the device, calls :meth:`step`, checks
    for cancellation, logs metrics, calls :meth:`evaluate` and :meth:`preview` on their cadence
    (with the random state forked, so previews never change training), and saves
    :meth:`state_dict` with each checkpoint. Resume calls :meth:`load_state_dict`.
    """

    #: How the engine treats the host (CPU) memory a step frees. ``"reuse"`` (the default) keeps
    #: it for the next step, which saves the kernel zero-filling fresh pages every step: right
    #: for models that are small beside the machine's memory. ``"lean"`` hands every big block
    #: back to the system when it is freed, so the process holds only what is in use: right for
    #: models whose weights fill much of the memory (a pretrained language model), where the
    #: kept blocks would otherwise double the peak.
    host_memory: str = "reuse"

    def step(self, batch: Any, step: int) -> dict[str, float]:
        """Run one optimisation step on ``batch``; return metrics, e.g. ``{"loss/train": 2.1}``.

        Metric names group by their prefix before ``/``: each group is one plot in the window.
        """
        raise NotImplementedError

    def evaluate(self) -> dict[str, float]:
        """Held-out metrics, e.g. ``{"loss/val": 1.9}``; called every ``eval_every`` steps."""
        return {}

    def preview(self, step: int) -> list[Sample]:
        """A few samples to show how training is going; called every ``preview_every`` steps."""
        return []

    def state_dict(self) -> dict[str, Any]:
        """Optimiser, scheduler and scaler state: nested dicts and lists of tensors and numbers."""
        return {}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore what :meth:`state_dict` returned, so resume continues exactly."""

    def distributed_modules(self) -> list[str]:
        """Names of this trainer's attributes holding modules to wrap in DistributedDataParallel.

        Used only when training on several processes (torchrun). The engine replaces each named
        attribute with its DDP wrapper before the first step (and puts the plain module back
        around :meth:`evaluate` and :meth:`preview`), so call the attribute for every training
        forward pass. Name a module only if each step runs it forward once and then backward
        through all of its parameters. Parameters of modules not named here (all of them by
        default) have their gradients averaged over the ranks just before their optimiser steps,
        which works for any trainer, a GAN's two optimisers included.
        """
        return []


class Generator:
    """A kind of model a user can create, train, fine-tune and generate with.

    Subclass it, fill in the class attributes and methods, and return an instance from the
    ``register_generators`` hook.
    """

    #: Stable identifier, used on the command line and in checkpoints (``gpt``, ``dcgan``).
    id: ClassVar[str] = ""
    #: Name shown in the window.
    name: ClassVar[str] = ""
    modality: ClassVar[Modality] = "text"
    #: The generator's own version, recorded in every checkpoint it writes.
    version: ClassVar[str] = "1.0"
    description: ClassVar[str] = ""
    #: Parameters of one generation (temperature, count...). ``seed`` and ``count`` are Studio's.
    generate_params: ClassVar[Schema] = Schema()
    #: Parameters of the model and its optimisation (width, learning rate...).
    train_params: ClassVar[Schema] = Schema()
    #: New defaults for the engine's loop parameters, e.g. ``{"batch_size": 64}``.
    loop_defaults: ClassVar[dict[str, Any]] = {}
    #: Parameters of :meth:`evaluate` (how many samples, which seed...).
    evaluate_params: ClassVar[Schema] = Schema()
    #: False for generators that only fine-tune a model the user brought (``lm``): there is no
    #: untrained model to start from, so the window's Train fine-tunes the chosen model.
    trains_from_scratch: ClassVar[bool] = True
    #: Text generators continue a prompt; image generators may take input images instead.
    takes_prompt: ClassVar[bool] = False
    takes_inputs: ClassVar[bool] = False
    #: The generation modes offered (see :data:`GENERATION_MODES`); the window shows a walk
    #: button for ``interpolate`` and a drop zone for ``variations``.
    modes: ClassVar[tuple[GenerationMode, ...]] = ("sample",)

    def load_data(
        self, source: Path, params: dict[str, Any], model: ModelHandle | None, report: DataReport
    ) -> TrainData:
        """Read the user's file or folder into training examples, recording skips in ``report``.

        ``model`` is given when fine-tuning, so its tokenizer or resolution is kept.
        Raise :class:`studio.api.DataError` when nothing usable remains.
        """
        raise NotImplementedError

    def create_model(self, params: dict[str, Any], data: TrainData | None) -> ModelHandle:
        """A fresh, untrained model from training parameters (``data`` None: a blank model)."""
        raise NotImplementedError

    def load_model(
        self, config: dict[str, Any], assets: dict[str, bytes], base: Path | None = None
    ) -> ModelHandle:
        """Rebuild the module from a checkpoint's config and assets; Studio then loads weights.

        ``base`` is given only for models built on an imported one (generators that implement
        :meth:`import_model`): the verified folder :meth:`import_model` filled. The module's own
        weights (its ``state_dict``) are what checkpoints store, so a module that keeps the base
        model out of its ``state_dict`` saves only what training changed (an adapter, say).
        """
        raise NotImplementedError

    def accepts_import(self, path: Path) -> str | None:
        """Whether :meth:`import_model` can take the user's file or folder at ``path``.

        Return None to accept, or a one-line reason to refuse ("pytorch_model.bin is a pickle
        file..."). Must not load the model: it is asked of every generator. The default refuses.
        """
        return NOT_IMPORTABLE

    def import_model(self, path: Path, store_dir: Path, context: RunContext) -> ImportedModel:
        """Bring the user's model at ``path`` into the library: write what loading needs into
        ``store_dir`` (an empty folder Studio owns and keeps under the model's content hash).

        Called only after :meth:`accepts_import` accepted ``path``. Raise
        :class:`studio.api.StudioError` with a one-line reason to refuse after all.
        """
        raise NotImplementedError

    def create_trainer(
        self, model: ModelHandle, data: TrainData, params: dict[str, Any], context: RunContext
    ) -> Trainer:
        """A :class:`Trainer` for ``model``, already on ``context.device``."""
        raise NotImplementedError

    def generate(
        self, model: ModelHandle, request: GenerateRequest, context: RunContext
    ) -> Iterator[Sample]:
        """Yield samples: text as :class:`TextChunk` pieces, images as :class:`ImageSample`.

        Studio checks for cancellation between yields, so yield often.
        """
        raise NotImplementedError

    def evaluate(
        self, model: ModelHandle, data: TrainData, params: dict[str, Any], context: RunContext
    ) -> Evaluation:
        """Measure ``model`` against ``data`` (read by :meth:`load_data`); optional.

        ``params`` are validated against :attr:`evaluate_params`. The default says the generator
        cannot; ``studio evaluate`` then explains that to the user. Runs under ``torch.no_grad``.
        """
        raise NotImplementedError(f"generator '{self.id}' does not evaluate models")

    def can_evaluate(self) -> bool:
        """Whether this generator implements :meth:`evaluate` (plugins of API 1.0 may not)."""
        return type(self).evaluate is not Generator.evaluate

    def describe(self) -> dict[str, Any]:
        """A JSON view of the generator for ``studio plugins --json`` and the window."""
        return {
            "id": self.id,
            "name": self.name,
            "modality": self.modality,
            "version": self.version,
            "description": self.description,
            "takes_prompt": self.takes_prompt,
            "takes_inputs": self.takes_inputs,
            "modes": list(self.modes),
            "generate_params": self.generate_params.to_json(),
            "train_params": self.train_params.to_json(),
            "evaluates": self.can_evaluate(),
        }
