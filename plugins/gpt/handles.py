"""Glue between Studio's API and the GPT: configs from parameters, model handles, and streams.

A model handle carries the tokenizer twice: as ``tokenizer.json`` in its assets (saved inside the
checkpoint) and as a live object on the module, so nothing re-parses it on every call.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from plugins.textkit import stream as textkit_stream
from plugins.textkit.params import sampling_options
from studio.api import (
    DataReport,
    GenerateRequest,
    ModelHandle,
    RunContext,
    TextChunk,
)

from .model import GPT, GPTConfig
from .presets import PRESETS, model_sizes
from .sampling import generate_text
from .tokenizer import ASSET, BPETokenizer, ByteTokenizer, Tokenizer


def tokenizer_for(
    params: dict[str, Any], model: ModelHandle | None, text: str, report: DataReport
) -> Tokenizer:
    """The fine-tuned model's own tokenizer, or a new one of the kind the user chose."""
    if model is not None:
        tokenizer = tokenizer_of(model)
        if params["tokenizer"] != tokenizer.kind:
            report.note(f"the checkpoint's {tokenizer.kind} tokenizer is kept")
        return tokenizer
    if params["tokenizer"] == "bpe":
        return BPETokenizer.train(text.splitlines(keepends=True), params["vocab_size"])
    return ByteTokenizer()


def block_size_for(params: dict[str, Any], model: ModelHandle | None) -> int:
    if model is not None:
        return int(model.config["block_size"])
    return params["block_size"] or PRESETS[params["preset"]]["block_size"]


def model_config(params: dict[str, Any], vocab_size: int) -> GPTConfig:
    """The preset's sizes, with any size the user set explicitly taking precedence."""
    # The schema's rule (presets.heads_divide_width) has already checked the sizes fit.
    return GPTConfig(vocab_size=vocab_size, dropout=params["dropout"], **model_sizes(params))


def build_model(config: GPTConfig, tokenizer: Tokenizer) -> ModelHandle:
    if tokenizer.vocab_size != config.vocab_size:
        from studio.api import CheckpointError

        raise CheckpointError(
            f"the tokenizer has {tokenizer.vocab_size} tokens but the model {config.vocab_size}"
        )
    module = GPT(config)
    module.tokenizer = tokenizer  # a plain attribute: not a parameter, not saved with weights
    return ModelHandle(
        module, {**config.to_json(), "tokenizer": tokenizer.kind}, {ASSET: tokenizer.to_json()}
    )


def tokenizer_of(model: ModelHandle) -> Tokenizer:
    return model.module.tokenizer


def stream_samples(
    model: ModelHandle, request: GenerateRequest, context: RunContext
) -> Iterator[TextChunk]:
    """``request.count`` continuations, sample i seeded with ``request.seed + i``."""
    options = sampling_options(request.params)

    def pieces(**kwargs: Any) -> Iterator[str]:
        return generate_text(
            model.module,
            tokenizer_of(model),
            request.prompt,
            options,
            device=context.device,
            **kwargs,
        )

    yield from textkit_stream.stream_samples(request, context, options.max_new_tokens, pieces)
