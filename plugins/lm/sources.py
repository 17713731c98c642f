"""What a user's model on disk is, and whether ``lm`` can take it, decided without loading it.

Accepted: a Hugging Face folder (``config.json``, safetensors weights, single or sharded with
their index, tokenizer files) and a ``.gguf`` file of an architecture transformers reads. Refused,
each with a one-line reason: pickle weights (never opened, let alone unpickled), models that need
``trust_remote_code``, architectures transformers has no causal language model for.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

PICKLE_SUFFIXES = (".bin", ".pt", ".pth", ".ckpt", ".pkl", ".pickle")
TOKENIZER_FILES = ("tokenizer.json", "tokenizer.model", "vocab.json")


def is_gguf(path: Path) -> bool:
    """Whether the file starts with GGUF's magic bytes, whatever its name."""
    try:
        with path.open("rb") as handle:
            return handle.read(4) == b"GGUF"
    except OSError:
        return False


def refusal(path: Path) -> str | None:
    """None when ``path`` is a model ``lm`` can import, else the reason it cannot."""
    if path.is_file():
        if path.suffix.lower() == ".gguf" or is_gguf(path):
            # Ollama keeps its GGUF files as content-addressed blobs with no suffix.
            return _gguf_refusal(path)
        if path.suffix.lower() in PICKLE_SUFFIXES:
            return _pickle_reason(path.name)
        if path.suffix.lower() == ".safetensors":
            return "a bare .safetensors file has no config: import its whole folder"
        return f"{path.name} is not a model this generator reads (a folder or a .gguf file)"
    if not (path / "config.json").is_file():
        return f"{path.name} has no config.json (a Hugging Face model folder has one)"
    try:
        config = json.loads((path / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        return f"config.json is unreadable: {error}"
    if config.get("auto_map") or config.get("trust_remote_code") or _tokenizer_code(path):
        return (
            f"{path.name} needs trust_remote_code (its own Python code runs to build the model); "
            "Studio runs no code that comes with a model"
        )
    if not weight_files(path):
        pickles = sorted(p.name for p in path.iterdir() if p.suffix.lower() in PICKLE_SUFFIXES)
        if pickles:
            return _pickle_reason(pickles[0])
        return f"{path.name} holds no .safetensors weights"
    if not any((path / name).is_file() for name in TOKENIZER_FILES):
        return f"{path.name} has no tokenizer files (tokenizer.json)"
    return architecture_refusal(str(config.get("model_type", "")))


def _tokenizer_code(folder: Path) -> bool:
    """A tokenizer that names its own Python classes (``auto_map``) needs remote code too."""
    try:
        spec = json.loads((folder / "tokenizer_config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return bool(isinstance(spec, dict) and spec.get("auto_map"))


def _pickle_reason(name: str) -> str:
    return (
        f"{name} holds pickle weights, which can run any code when opened; Studio never opens "
        "them: convert the model to safetensors in a trusted environment"
    )


def weight_files(folder: Path) -> list[Path]:
    """The folder's safetensors weights: a sharded model's index lists its shards."""
    index = folder / "model.safetensors.index.json"
    if index.is_file():
        shards = set(json.loads(index.read_text(encoding="utf-8"))["weight_map"].values())
        return [folder / name for name in sorted(shards)]
    return sorted(folder.glob("*.safetensors"))


def architecture_refusal(model_type: str) -> str | None:
    from transformers.models.auto.modeling_auto import MODEL_FOR_CAUSAL_LM_MAPPING_NAMES

    if model_type not in MODEL_FOR_CAUSAL_LM_MAPPING_NAMES:
        return f"architecture {model_type or '(none)'!r} is not a language model transformers reads"
    return None


def gguf_fields(path: Path) -> dict[str, Any]:
    """The GGUF file's scalar metadata (memory-mapped: no tensor is read)."""
    import gguf

    reader = gguf.GGUFReader(str(path))
    fields = {}
    for name, field in reader.fields.items():
        if len(field.data) == 1:
            try:
                fields[name] = field.contents()
            except (ValueError, IndexError):
                continue
    types: dict[str, int] = {}
    for tensor in reader.tensors:
        types[tensor.tensor_type.name] = types.get(tensor.tensor_type.name, 0) + 1
    fields["studio.tensor_types"] = types
    fields["studio.parameters"] = int(sum(int(t.n_elements) for t in reader.tensors))
    return fields


def _gguf_refusal(path: Path) -> str | None:
    from transformers.modeling_gguf_pytorch_utils import GGUF_SUPPORTED_ARCHITECTURES

    try:
        architecture = str(gguf_fields(path).get("general.architecture", ""))
    except Exception as error:  # any parse failure of a foreign file is the user's file's fault
        return f"{path.name} is not a readable GGUF file ({type(error).__name__}: {error})"
    if architecture not in GGUF_SUPPORTED_ARCHITECTURES or architecture in ("general", "tokenizer"):
        return f"GGUF architecture {architecture!r} is not one transformers reads"
    return architecture_refusal(architecture)
