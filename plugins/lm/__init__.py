"""``lm``: bring your own pretrained language model, fine-tune it on your writing, write with it.

Imports a Hugging Face model folder or a ``.gguf`` file once into the library, fine-tunes it with
LoRA (or fully, for small models) on the writer's files, and streams text from it. It uses the
field's own libraries: transformers for models and tokenizers, peft for LoRA, gguf to read GGUF.
Listing plugins must stay instant, so this module imports none of them, nor torch: they are
imported inside the methods, from the submodules.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

from plugins.textkit.params import SAMPLING_LABELS, sampling_params
from studio.api import (
    DataReport,
    GenerateRequest,
    Generator,
    ImportedModel,
    ModelHandle,
    Param,
    ParamError,
    RunContext,
    Schema,
    StudioError,
    TextChunk,
    TrainData,
    Trainer,
    hookimpl,
)

STUDIO_API_VERSION = 1

NEEDS_IMPORT = (
    "lm fine-tunes and runs a model you import: give --from NAME (or choose a model); "
    "'studio models add PATH' imports a Hugging Face folder or a .gguf file"
)


def _advanced(name: str, kind: str, default: Any, help_text: str, **bounds: Any) -> Param:
    return Param(name, kind, default, help_text, advanced=True, **bounds)


class LMGenerator(Generator):
    id = "lm"
    name = "Pretrained LM (text)"
    modality = "text"
    version = "1.0"
    description = (
        "A pretrained model you already have (a Hugging Face folder or a .gguf file), "
        "fine-tuned on your writing with LoRA, writing fluent text from the first token."
    )
    takes_prompt = True
    trains_from_scratch = False  # every lm model is an imported one, fine-tuned or not
    generate_params = Schema(
        [
            *sampling_params(max_new_tokens=200),
            Param(
                "prompt_style",
                "choice",
                "completion",
                "completion: continue the prompt; instruction: wrap it in the model's chat "
                "template (models that have one)",
                choices=("completion", "instruction"),
            ),
            Param(
                "weights",
                "choice",
                "auto",
                "int8: the weights rounded to 8 bits for writing, about twice as fast on a CPU "
                "(fine-tuned adapters merged in first); full: the model's own precision; auto: "
                "int8 on a CPU, full on a GPU",
                choices=("auto", "int8", "full"),
                advanced=True,
            ),
        ]
    ).with_labels(
        {**SAMPLING_LABELS, "prompt_style": "Prompt style", "weights": "Weights while writing"}
    )
    train_params = Schema(
        [
            Param(
                "method",
                "choice",
                "lora",
                "lora: train a small adapter (megabytes); full: every weight (small models only)",
                choices=("lora", "full"),
            ),
            Param("lora_rank", "int", 16, "LoRA rank", minimum=1, maximum=1024),
            Param("lora_alpha", "float", 32.0, "LoRA alpha (scale = alpha / rank)", minimum=0.0),
            Param(
                "lora_dropout", "float", 0.05, "dropout on LoRA inputs", minimum=0.0, maximum=0.9
            ),
            _advanced(
                "lora_targets",
                "str",
                "all-linear",
                "layers LoRA adapts: all-linear, or names separated by commas (q_proj,v_proj)",
            ),
            Param(
                "lr", "float", 2e-4, "peak learning rate", minimum=1e-7, maximum=1.0, log_scale=True
            ),
            _advanced(
                "min_lr",
                "float",
                2e-5,
                "learning rate at the last step (cosine decay)",
                minimum=0.0,
                maximum=1.0,
                log_scale=True,
            ),
            _advanced(
                "warmup_fraction",
                "float",
                0.05,
                "share of the run spent warming the learning rate up",
                minimum=0.0,
                maximum=0.5,
            ),
            _advanced("weight_decay", "float", 0.0, "AdamW weight decay", minimum=0.0, maximum=1.0),
            _advanced("grad_clip", "float", 1.0, "clip the gradient norm (0: off)", minimum=0.0),
            Param(
                "context",
                "int",
                None,
                "tokens per training window (empty: 256 on the CPU, 512 on a GPU)",
                minimum=8,
                maximum=131_072,
                optional=True,
            ),
            Param(
                "checkpointing",
                "bool",
                True,
                "recompute each layer's activations in the backward pass: about a third more "
                "arithmetic for a fraction of the memory (off: faster, if memory allows)",
            ),
            _advanced(
                "host_memory",
                "choice",
                "auto",
                "fast: keep memory a step frees for the next step; lean: hand it back at once "
                "(about half the peak memory, slower on a CPU: the system clears every page "
                "again); auto: lean when the model is big beside this machine's memory",
                choices=("auto", "fast", "lean"),
            ),
            _advanced(
                "precision",
                "choice",
                "auto",
                "auto: bf16 autocast on CUDA, and on a CPU where bf16 measures faster; else fp32",
                choices=("auto", "fp32", "bf16"),
            ),
            _advanced("encoding", "str", "utf-8", "text encoding of the files"),
            _advanced(
                "val_fraction",
                "float",
                0.1,
                "share held out for validation (whole files when there are several)",
                minimum=0.0,
                maximum=0.5,
            ),
            _advanced(
                "eval_windows",
                "int",
                8,
                "held-out windows scored per evaluation",
                minimum=1,
                maximum=100_000,
            ),
            _advanced("preview_prompt", "str", "", "prompt continued in previews"),
            _advanced("preview_tokens", "int", 60, "tokens per preview", minimum=1, maximum=10_000),
        ]
    ).with_labels(
        {
            "method": "Fine-tuning method",
            "lora_rank": "LoRA rank",
            "lora_alpha": "LoRA alpha",
            "lora_dropout": "LoRA dropout",
            "lora_targets": "LoRA layers",
            "lr": "Learning rate",
            "min_lr": "Final learning rate",
            "warmup_fraction": "Warm-up share",
            "weight_decay": "Weight decay",
            "grad_clip": "Gradient clipping",
            "context": "Context (tokens)",
            "checkpointing": "Activation checkpointing",
            "host_memory": "Memory use",
            "precision": "Precision",
            "encoding": "Text encoding",
            "val_fraction": "Held-out share",
            "eval_windows": "Held-out windows",
            "preview_prompt": "Preview prompt",
            "preview_tokens": "Preview length (tokens)",
        }
    )
    loop_defaults: ClassVar[dict[str, Any]] = {
        "steps": 200,
        "batch_size": 4,
        "preview_every": 50,
        "eval_every": 50,
        "checkpoint_every": 50,
    }

    # -- importing ------------------------------------------------------------------------------

    def accepts_import(self, path: Path) -> str | None:
        from .sources import refusal

        return refusal(path)

    def import_model(self, path: Path, store_dir: Path, context: RunContext) -> ImportedModel:
        from .importer import import_model

        return import_model(path, store_dir, context)

    # -- models ---------------------------------------------------------------------------------

    def create_model(self, params: dict[str, Any], data: TrainData | None) -> ModelHandle:
        raise StudioError(NEEDS_IMPORT)

    def load_model(
        self, config: dict[str, Any], assets: dict[str, bytes], base: Path | None = None
    ) -> ModelHandle:
        from studio.api import CheckpointError

        from .module import build_handle

        if base is None:
            raise CheckpointError("an lm model names the imported model it is built on; none here")
        return build_handle(config, base)

    # -- training -------------------------------------------------------------------------------

    def load_data(
        self, source: Path, params: dict[str, Any], model: ModelHandle | None, report: DataReport
    ) -> TrainData:
        if model is None:
            raise StudioError(NEEDS_IMPORT)
        from .data import load_windows

        context = params["context"] or _default_context(params["device"])
        limit = model.module.context_limit
        if context > limit:
            raise ParamError("context", f"{context} is longer than the model's {limit} positions")
        return load_windows(source, params, model.module.tokens, context, report)

    def create_trainer(
        self, model: ModelHandle, data: TrainData, params: dict[str, Any], context: RunContext
    ) -> Trainer:
        from .module import attach_adapter
        from .trainer import LMTrainer

        if not model.config.get("adapter"):
            adapter = _adapter(params)
            attach_adapter(model.module, adapter)
            model.module.to(context.device)
            model.config = {**model.config, "adapter": adapter, "mode": adapter["mode"]}
        elif params["method"] != model.config["adapter"]["mode"]:
            context.log(f"continuing the model's {model.config['adapter']['mode']} fine-tune")
        return LMTrainer(model, data, params, context)

    # -- taking a model out of Studio (studio export, studio evaluate) ----------------------------

    def export_model(self, model: ModelHandle, fmt: str, folder: Path, context: RunContext) -> None:
        from .export import export_model

        export_model(model, fmt, folder)

    def bits_per_byte(self, model: ModelHandle, text: str, context: RunContext) -> float:
        from .export import bits_per_byte

        return bits_per_byte(model, text, context.device)

    # -- generation -----------------------------------------------------------------------------

    def generate(
        self, model: ModelHandle, request: GenerateRequest, context: RunContext
    ) -> Iterator[TextChunk]:
        from .generate import stream

        yield from stream(model, request, context)


def _adapter(params: dict[str, Any]) -> dict[str, Any]:
    targets = params["lora_targets"].strip()
    if targets != "all-linear":
        targets = [t.strip() for t in targets.split(",") if t.strip()]
        if not targets:
            raise ParamError("lora_targets", "name at least one layer, or all-linear")
    return {
        "mode": params["method"],
        "rank": params["lora_rank"],
        "alpha": params["lora_alpha"],
        "dropout": params["lora_dropout"],
        "targets": targets,
    }


def _default_context(device: str) -> int:
    if device == "cpu":
        return 256
    import torch

    on_gpu = device.startswith("cuda") or (device == "auto" and torch.cuda.is_available())
    return 512 if on_gpu else 256


@hookimpl
def register_generators() -> list[Generator]:
    return [LMGenerator()]
