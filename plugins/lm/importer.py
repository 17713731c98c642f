"""Bringing a user's model into the library's store, converted once so later loads are fast.

A Hugging Face folder is linked (or copied) file by file: its safetensors are already what
loading wants. A GGUF file is dequantised once by transformers' own reader and saved as
safetensors with its tokenizer; the quantised original is not needed again.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

from studio.api import ImportedModel, RunContext, StudioError

from .sources import gguf_fields, weight_files

# Everything a Hugging Face folder may hold that loading a model and its tokenizer reads.
KEEP = (
    "config.json",
    "generation_config.json",
    "model.safetensors.index.json",
    "tokenizer.json",
    "tokenizer_config.json",
    "special_tokens_map.json",
    "added_tokens.json",
    "tokenizer.model",
    "vocab.json",
    "merges.txt",
    "chat_template.jinja",
    "chat_template.json",
)
BYTES = {"F64": 8, "F32": 4, "BF16": 2, "F16": 2, "I64": 8, "I32": 4, "I16": 2, "I8": 1, "U8": 1}


def import_model(path: Path, store_dir: Path, context: RunContext) -> ImportedModel:
    if path.is_file():
        info = _import_gguf(path, store_dir, context)
    else:
        info = _import_folder(path, store_dir, context)
    config = json.loads((store_dir / "config.json").read_text(encoding="utf-8"))
    info.update(estimates(config, info["parameters"]))
    info["size_bytes"] = sum(p.stat().st_size for p in store_dir.rglob("*") if p.is_file())
    info["chat_template"] = has_chat_template(store_dir)
    entry = {"architecture": info["architecture"], "adapter": None, "mode": "base"}
    return ImportedModel(config=entry, info=info)


def _import_folder(path: Path, store_dir: Path, context: RunContext) -> dict[str, Any]:
    from safetensors import safe_open

    files = [path / name for name in KEEP if (path / name).is_file()] + weight_files(path)
    for file in files:
        _link_or_copy(file, store_dir / file.name)
    parameters, dtypes = 0, set()
    for weights in weight_files(store_dir):
        with safe_open(str(weights), framework="numpy") as handle:
            for name in handle.keys():  # noqa: SIM118 — safe_open is not a mapping
                sliced = handle.get_slice(name)
                count = 1
                for size in sliced.get_shape():
                    count *= size
                parameters += count
                dtypes.add(sliced.get_dtype())
    config = json.loads((path / "config.json").read_text(encoding="utf-8"))
    context.log(f"linked {len(files)} files of the folder {path.name}")
    return {
        "name": path.name,
        "architecture": config.get("model_type", "?"),
        "parameters": parameters,
        "precision": "/".join(sorted(dtypes, key=lambda d: -BYTES.get(d, 0))).lower(),
        "format": "safetensors",
    }


def _import_gguf(path: Path, store_dir: Path, context: RunContext) -> dict[str, Any]:
    """Dequantise the GGUF file once and keep it as a plain safetensors model folder."""
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer
    from transformers.utils import logging

    logging.disable_progress_bar()
    fields = gguf_fields(path)
    folder, name = str(path.parent), path.name
    context.log(f"reading {name} ({path.stat().st_size / 2**20:.0f} MB) and dequantising it")
    try:
        tokenizer = AutoTokenizer.from_pretrained(folder, gguf_file=name)
        loaded = AutoModelForCausalLM.from_pretrained(folder, gguf_file=name, dtype=torch.float32)
    except (ValueError, KeyError, NotImplementedError) as error:
        raise StudioError(f"transformers cannot read {name}: {error}") from None
    # A model loaded from GGUF refuses save_pretrained ("quantized with gguf"): the same
    # architecture built from its config, without the quantisation entry, takes its weights.
    config = AutoConfig.for_model(**_plain_config(loaded.config))
    with torch.device("meta"):
        plain = AutoModelForCausalLM.from_config(config, dtype=torch.float32)
    plain.load_state_dict(loaded.state_dict(), assign=True, strict=True)
    plain.tie_weights()
    del loaded
    plain.save_pretrained(store_dir, safe_serialization=True)
    tokenizer.save_pretrained(store_dir)
    types = fields["studio.tensor_types"]
    quant = max(types, key=types.get) if types else "?"
    context.log(f"saved {sum(p.numel() for p in plain.parameters()) / 1e6:.1f}M parameters")
    return {
        "name": str(fields.get("general.name") or path.stem),
        "architecture": str(fields.get("general.architecture", config.model_type)),
        "parameters": sum(p.numel() for p in plain.parameters()),
        "precision": f"{quant} (GGUF), stored as float32",
        "format": "gguf",
    }


def _plain_config(config: Any) -> dict[str, Any]:
    values = config.to_dict()
    values.pop("quantization_config", None)
    return values


def estimates(config: dict[str, Any], parameters: int) -> dict[str, int]:
    """Memory to generate and to fine-tune with LoRA (batch 4, context 256), in fp32 bytes.

    Weights are held in fp32 on the CPU. Generation adds a key/value cache and the runtime;
    fine-tuning adds what backpropagation keeps per layer (about 20 values per token and hidden
    unit, measured on SmolLM2) and the logits over the vocabulary, twice.
    """
    text = config.get("text_config", config)
    hidden = int(text.get("hidden_size") or text.get("n_embd") or 0)
    layers = int(text.get("num_hidden_layers") or text.get("n_layer") or 0)
    vocab = int(text.get("vocab_size") or 0)
    tokens = 4 * 256
    weights = 4 * parameters
    runtime = 400 * 2**20  # Python, torch and transformers themselves
    cache = 2 * layers * 2048 * hidden * 4
    activations = layers * tokens * hidden * 20 * 4 + 2 * tokens * vocab * 4
    return {
        "memory_generate_bytes": weights + cache + runtime,
        "memory_train_bytes": weights + activations + runtime,
    }


def has_chat_template(folder: Path) -> bool:
    if (folder / "chat_template.jinja").is_file() or (folder / "chat_template.json").is_file():
        return True
    try:
        config = json.loads((folder / "tokenizer_config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return bool(config.get("chat_template"))


def _link_or_copy(source: Path, destination: Path) -> None:
    # A hard link costs no second copy; the store is verified by hash, so a later edit of the
    # user's original (which would change the linked file too) is caught and refused.
    # The link is to the file itself: in a Hugging Face cache the folder's files are relative
    # symbolic links into blobs/, and Linux's link(2) links a symbolic link, not its target,
    # leaving the store with links that point nowhere.
    source = source.resolve()
    try:
        os.link(source, destination)
    except OSError:
        shutil.copy2(source, destination)
