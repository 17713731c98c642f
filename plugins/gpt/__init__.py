"""``gpt``: Studio's built-in text generator.

A writer points it at a manuscript or a folder of their writing, trains a small transformer from
scratch or fine-tunes one, and streams continuations of a prompt in their voice. Listing plugins
must stay instant, so this module imports no torch: the model, data and training code live in
submodules imported inside the methods.
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
    ModelHandle,
    Param,
    Rule,
    RunContext,
    Schema,
    TextChunk,
    TrainData,
    Trainer,
    hookimpl,
)

from .presets import heads_divide_width

STUDIO_API_VERSION = 1

PRESET_NAMES = ("tiny", "small", "base")


def _optional_int(name: str, help_text: str, maximum: int) -> Param:
    return Param(
        name, "int", None, help_text, minimum=1, maximum=maximum, optional=True, advanced=True
    )


class GPTGenerator(Generator):
    id = "gpt"
    name = "GPT (text)"
    modality = "text"
    version = "1.0"
    description = (
        "A small decoder-only transformer that learns to write like your text, "
        "trained from scratch or fine-tuned, byte-level so any language works."
    )
    takes_prompt = True
    generate_params = Schema(sampling_params()).with_labels(SAMPLING_LABELS)
    train_params = Schema(
        [
            Param(
                "preset",
                "choice",
                "small",
                "model size (tiny: seconds, small: minutes on a laptop CPU, base: wants a GPU)",
                choices=PRESET_NAMES,
            ),
            Param(
                "tokenizer",
                "choice",
                "byte",
                "byte: one token per byte, any language; bpe: "
                "learn common pieces of your text (more text per context)",
                choices=("byte", "bpe"),
            ),
            Param(
                "vocab_size",
                "int",
                2048,
                "pieces the bpe tokenizer learns",
                minimum=257,
                maximum=65_536,
                advanced=True,
            ),
            _optional_int("n_layer", "transformer blocks (empty: the preset's)", 64),
            _optional_int("n_head", "attention heads (empty: the preset's)", 64),
            _optional_int(
                "n_embd", "embedding width, divisible by n_head (empty: the preset's)", 8192
            ),
            _optional_int("block_size", "context length in tokens (empty: the preset's)", 8192),
            Param(
                "dropout",
                "float",
                0.1,
                "dropout (0 for large corpora or short runs)",
                minimum=0.0,
                maximum=0.9,
            ),
            Param(
                "lr", "float", 1e-3, "peak learning rate", minimum=1e-7, maximum=1.0, log_scale=True
            ),
            Param(
                "min_lr",
                "float",
                1e-4,
                "learning rate at the last step (cosine decay)",
                minimum=0.0,
                maximum=1.0,
                log_scale=True,
                advanced=True,
            ),
            Param("warmup_steps", "int", 100, "steps of linear warm-up", minimum=0, advanced=True),
            Param(
                "weight_decay",
                "float",
                0.1,
                "AdamW weight decay",
                minimum=0.0,
                maximum=1.0,
                advanced=True,
            ),
            Param("beta1", "float", 0.9, "AdamW beta1", minimum=0.0, maximum=0.9999, advanced=True),
            Param(
                "beta2", "float", 0.99, "AdamW beta2", minimum=0.0, maximum=0.9999, advanced=True
            ),
            Param(
                "grad_clip",
                "float",
                1.0,
                "clip the gradient norm (0: off)",
                minimum=0.0,
                advanced=True,
            ),
            Param(
                "precision",
                "choice",
                "auto",
                "auto: bf16 autocast on CUDA, fp32 elsewhere",
                choices=("auto", "fp32", "bf16"),
                advanced=True,
            ),
            Param(
                "encoding",
                "str",
                "utf-8",
                "text encoding of the files (utf-8 files may start with a BOM)",
                advanced=True,
            ),
            Param(
                "val_fraction",
                "float",
                0.1,
                "share of the text held out for validation",
                minimum=0.0,
                maximum=0.5,
                advanced=True,
            ),
            Param(
                "eval_batches",
                "int",
                20,
                "batches averaged for the validation loss",
                minimum=1,
                maximum=10_000,
                advanced=True,
            ),
            Param(
                "preview_prompt",
                "str",
                "",
                "prompt continued in previews (empty: a new line)",
                advanced=True,
            ),
            Param(
                "preview_tokens",
                "int",
                200,
                "tokens per preview",
                minimum=1,
                maximum=10_000,
                advanced=True,
            ),
        ],
        [
            Rule(
                "n_embd",
                heads_divide_width,
                "the embedding width divides by the number of attention heads",
            )
        ],
    ).with_labels(
        {
            "preset": "Model size",
            "tokenizer": "Tokenizer",
            "vocab_size": "Vocabulary size",
            "n_layer": "Layers",
            "n_head": "Attention heads",
            "n_embd": "Embedding width",
            "block_size": "Context length (tokens)",
            "dropout": "Dropout",
            "lr": "Learning rate",
            "min_lr": "Final learning rate",
            "warmup_steps": "Warm-up steps",
            "weight_decay": "Weight decay",
            "beta1": "Adam beta1",
            "beta2": "Adam beta2",
            "grad_clip": "Gradient clipping",
            "precision": "Precision",
            "encoding": "Encoding",
            "val_fraction": "Held-out share",
            "eval_batches": "Validation batches",
            "preview_prompt": "Preview prompt",
            "preview_tokens": "Preview length (tokens)",
        }
    )
    loop_defaults: ClassVar[dict[str, Any]] = {
        "steps": 2000,
        "batch_size": 12,
        "preview_every": 250,
        "eval_every": 250,
        "checkpoint_every": 500,
    }

    def load_data(
        self, source: Path, params: dict[str, Any], model: ModelHandle | None, report: DataReport
    ) -> TrainData:
        from studio.api.text import read_corpus

        from .data import split_tokens
        from .handles import block_size_for, tokenizer_for

        text = read_corpus(source, params["encoding"], report)
        tokenizer = tokenizer_for(params, model, text, report)
        block_size = block_size_for(params, model)
        tokens = tokenizer.encode(text)
        if model is not None:
            shape = "/".join(str(model.config[k]) for k in ("n_layer", "n_head", "n_embd"))
            report.note(
                # Said the same for a resume and a fine-tune: both continue this checkpoint.
                f"the checkpoint's shape is kept (layers/heads/width {shape}, "
                f"context {block_size}); size parameters are ignored"
            )
        report.stats.update(
            characters=len(text),
            tokens=len(tokens),
            tokenizer=tokenizer.kind,
            vocab_size=tokenizer.vocab_size,
            block_size=block_size,
        )
        train, validation = split_tokens(tokens, block_size, params["val_fraction"], report)
        # create_model builds the model around the tokenizer that made the tokens.
        return TrainData(
            train=train, validation=validation, report=report, metadata={"tokenizer": tokenizer}
        )

    def create_model(self, params: dict[str, Any], data: TrainData | None) -> ModelHandle:
        from .handles import build_model, model_config
        from .tokenizer import ByteTokenizer

        tokenizer = (data.metadata.get("tokenizer") if data else None) or ByteTokenizer()
        return build_model(model_config(params, tokenizer.vocab_size), tokenizer)

    def load_model(self, config: dict[str, Any], assets: dict[str, bytes]) -> ModelHandle:
        from .handles import build_model
        from .model import GPTConfig
        from .tokenizer import ASSET, load_tokenizer

        return build_model(GPTConfig.from_json(config), load_tokenizer(assets.get(ASSET)))

    def create_trainer(
        self, model: ModelHandle, data: TrainData, params: dict[str, Any], context: RunContext
    ) -> Trainer:
        from .handles import tokenizer_of
        from .trainer import GPTTrainer

        return GPTTrainer(model, data, params, context, tokenizer_of(model))

    def generate(
        self, model: ModelHandle, request: GenerateRequest, context: RunContext
    ) -> Iterator[TextChunk]:
        from .handles import stream_samples

        yield from stream_samples(model, request, context)


@hookimpl
def register_generators() -> list[Generator]:
    return [GPTGenerator()]
