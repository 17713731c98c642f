"""Write a transformers llama-family folder as one GGUF file, in pure Python with ``gguf``.

The file carries the weights (F16 or Q8_0), the model's shape, the tokenizer and its chat
template, so llama.cpp, Ollama, LM Studio and transformers' ``from_pretrained(..., gguf_file=)``
load it alone. It is written under a temporary name beside the target, fsynced and renamed: a
crash or a cancel never leaves a half-written file under the final name.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Generator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from studio.engine.store.atomic import fsync_dir

from .gguf_tensors import plan_tensors, tensor_data
from .gguf_tokenizer import add_to_writer, read_tokenizer
from .refusals import ExportRefused, check_gguf_type

#: transformers model types whose weights map onto GGUF's ``llama`` architecture one to one.
LLAMA_FAMILY = ("llama", "mistral")

# llama.cpp's file type numbers (gguf.LlamaFileType): "mostly F16", "mostly Q8_0".
FILE_TYPES = {"f16": 1, "q8_0": 7}


@dataclass(frozen=True)
class GGUFExport:
    path: Path
    gguf_type: str
    tensors: int
    bytes: int
    chat_template: str | None
    stops: list[str]


Progress = Callable[[int, int], None]


def read_config(folder: Path) -> dict[str, Any]:
    """``config.json``, checked to be a llama-family model this writer can express exactly."""
    try:
        config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    except FileNotFoundError:
        message = f"{folder} has no config.json: not a transformers model folder"
        raise ExportRefused(message) from None
    model_type = config.get("model_type", "?")
    if model_type not in LLAMA_FAMILY:
        raise ExportRefused(
            f"GGUF export supports the llama family ({', '.join(LLAMA_FAMILY)}), not "
            f"'{model_type}': export it as a merged transformers folder instead"
        )
    if config.get("attention_bias") or config.get("mlp_bias"):
        raise ExportRefused("GGUF export of a llama model with bias terms is not supported")
    rope = config.get("rope_parameters") or config.get("rope_scaling") or {}
    rope_type = rope.get("rope_type") or rope.get("type") or "default"
    if rope_type != "default":
        raise ExportRefused(
            f"GGUF export of rope scaling '{rope_type}' is not supported: the loaders read "
            "plain rotary positions only; export the merged folder instead"
        )
    return config


def write_gguf(
    folder: Path,
    out: Path,
    gguf_type: str = "f16",
    *,
    name: str | None = None,
    progress: Progress | None = None,
    cancelled: Callable[[], bool] = lambda: False,
) -> GGUFExport:
    """Export ``folder`` (config.json, safetensors, tokenizer) to ``out``."""
    steps = gguf_writing(folder, out, gguf_type, name=name)
    try:
        while True:
            done, total = next(steps)
            if progress is not None:
                progress(done, total)
            if cancelled():
                steps.close()  # removes the temporary file
                raise ExportCancelled(f"export of {folder.name} cancelled; nothing was written")
    except StopIteration as stop:
        return stop.value


def gguf_writing(
    folder: Path, out: Path, gguf_type: str = "f16", *, name: str | None = None
) -> Generator[tuple[int, int], None, GGUFExport]:
    """Write ``out`` step by step, yielding ``(tensors done, total)``; returns the result.

    Closing the generator early (a cancelled job) removes the temporary file, and the final name
    is only ever given to a complete, fsynced file.
    """
    import gguf
    import numpy as np

    kind = check_gguf_type(gguf_type)
    config = read_config(folder)
    tokenizer = read_tokenizer(folder, int(config["vocab_size"]))
    planned = plan_tensors(folder, config, kind)
    out.parent.mkdir(parents=True, exist_ok=True)
    temp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    writer = gguf.GGUFWriter(temp, "llama")
    try:
        _add_metadata(writer, config, name or folder.name, kind)
        add_to_writer(writer, tokenizer)
        for tensor in planned:
            raw = gguf.GGMLQuantizationType.Q8_0 if tensor.kind == "q8_0" else None
            dtype = np.dtype({"f32": np.float32, "f16": np.float16, "q8_0": np.uint8}[tensor.kind])
            shape = tensor.shape
            if raw is not None:
                shape = gguf.quants.quant_shape_to_byte_shape(shape, raw)
            writer.add_tensor_info(tensor.gguf_name, shape, dtype, tensor.nbytes, raw_dtype=raw)
        writer.write_header_to_file()
        writer.write_kv_data_to_file()
        writer.write_ti_data_to_file()
        yield 0, len(planned)
        for done, tensor in enumerate(planned):
            writer.write_tensor_data(tensor_data(tensor))
            yield done + 1, len(planned)
    except BaseException:
        writer.close()
        temp.unlink(missing_ok=True)
        raise
    writer.close()
    _publish(temp, out)
    eos = tokenizer.special_ids.get("eos")
    stops = [tokenizer.tokens[eos]] if eos is not None else []
    return GGUFExport(out, kind, len(planned), out.stat().st_size, tokenizer.chat_template, stops)


class ExportCancelled(Exception):
    """Raised inside the writer when its job is cancelled; nothing is left on disk."""


def _publish(temp: Path, out: Path) -> None:
    """Make ``temp`` durable, then give it its final name in one atomic step."""
    try:
        with open(temp, "rb") as handle:
            os.fsync(handle.fileno())
        os.replace(temp, out)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    fsync_dir(out.parent)


def _add_metadata(writer: Any, config: dict[str, Any], name: str, kind: str) -> None:
    import gguf

    heads = int(config["num_attention_heads"])
    hidden = int(config["hidden_size"])
    rope = config.get("rope_parameters") or {}
    writer.add_name(name)
    writer.add_file_type(FILE_TYPES[kind])
    writer.add_quantization_version(gguf.GGML_QUANT_VERSION)
    writer.add_context_length(int(config.get("max_position_embeddings", 2048)))
    writer.add_embedding_length(hidden)
    writer.add_block_count(int(config["num_hidden_layers"]))
    writer.add_feed_forward_length(int(config["intermediate_size"]))
    writer.add_head_count(heads)
    writer.add_head_count_kv(int(config.get("num_key_value_heads") or heads))
    writer.add_rope_dimension_count(int(config.get("head_dim") or hidden // heads))
    writer.add_rope_freq_base(float(rope.get("rope_theta", config.get("rope_theta", 10000.0))))
    writer.add_layer_norm_rms_eps(float(config.get("rms_norm_eps", 1e-6)))
    writer.add_vocab_size(int(config["vocab_size"]))
