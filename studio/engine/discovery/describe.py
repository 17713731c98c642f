"""What a found model is, read from its own headers: ``config.json`` and safetensors headers for a
folder, the GGUF header (with the ``gguf`` package) for a file. Reads only; loads no weights.
"""

from __future__ import annotations

import json
import struct
from pathlib import Path

from .found import FoundModel
from .walk import inside

PICKLE_NAMES = ("pytorch_model.bin", "model.pt", "model.ckpt", "consolidated.00.pth")
MAX_HEADER = 100 * 2**20  # a safetensors header larger than this is not one


def describe_folder(model: FoundModel, root: Path) -> FoundModel | None:
    """Fill ``model`` (a transformers-shaped folder) from its config and weight headers.

    None when the folder is not a usable model yet: a weight file is still downloading, or there
    are no weights at all.
    """
    folder = model.path
    try:
        config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        model.problem = f"config.json cannot be read ({type(error).__name__})"
        return model
    model.architecture = config.get("model_type") or _first(config.get("architectures"))
    model.precision = str(config.get("dtype") or config.get("torch_dtype") or "") or None
    if config.get("auto_map"):
        model.problem = "needs trust_remote_code (its own Python code), which Studio never runs"
    named = [p for p in folder.iterdir() if p.name.endswith(".safetensors")]
    weights = [t for t in (inside(p, root) for p in named) if t is not None]
    if len(weights) < len(named):
        return None  # a weight file still downloading (a broken link into the store)
    if not weights:
        pickles = [p.name for p in folder.iterdir() if p.name in PICKLE_NAMES or p.suffix == ".bin"]
        if not pickles:
            return None  # configuration only: nothing to generate with
        model.format = "pickle"
        model.problem = (
            f"only pickle weights ({pickles[0]}), which Studio never opens: they can run code"
        )
        return model
    model.size_bytes = sum(p.stat().st_size for p in weights)
    counts = [_safetensors_parameters(p) for p in weights]
    model.parameters = sum(counts) if all(c is not None for c in counts) else None
    return model


def describe_gguf(model: FoundModel) -> FoundModel:
    """Fill ``model`` (one GGUF file) from the file's header."""
    import gguf

    try:
        model.size_bytes = model.path.stat().st_size
        reader = gguf.GGUFReader(model.path, "r")
    except Exception as error:  # the reader raises plain ValueErrors and KeyErrors on bad files
        model.problem = f"not a readable GGUF file ({type(error).__name__}: {error})"
        return model
    fields = reader.fields
    model.architecture = _field(fields, "general.architecture")
    model.parameters = int(sum(int(t.n_elements) for t in reader.tensors))
    file_type = _field(fields, "general.file_type")
    if isinstance(file_type, int):
        try:
            # MOSTLY_Q4_K_M -> Q4_K_M, ALL_F32 -> F32: the names llama.cpp's users know.
            name = gguf.LlamaFileType(file_type).name
            model.precision = name.removeprefix("MOSTLY_").removeprefix("ALL_")
        except ValueError:
            model.precision = f"type {file_type}"
    elif reader.tensors:
        model.precision = reader.tensors[0].tensor_type.name
    title = _field(fields, "general.name")
    if isinstance(title, str) and title:
        model.extra["title"] = title
    return model


def _field(fields: dict, key: str):
    field = fields.get(key)
    if field is None:
        return None
    try:
        return field.contents()
    except Exception:
        return None


def _safetensors_parameters(path: Path) -> int | None:
    """Parameters in one safetensors file, from its JSON header (the first few kilobytes)."""
    try:
        with open(path, "rb") as handle:
            (length,) = struct.unpack("<Q", handle.read(8))
            if length > MAX_HEADER:
                return None
            header = json.loads(handle.read(length))
    except (OSError, ValueError, struct.error):
        return None
    total = 0
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        count = 1
        for dim in entry.get("shape", ()):
            count *= int(dim)
        total += count
    return total


def _first(values: object) -> str | None:
    return values[0] if isinstance(values, list) and values else None
