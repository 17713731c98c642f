"""The weights of a transformers llama-family folder, named and laid out as GGUF expects.

Three things differ between a Hugging Face checkpoint and a GGUF file of the same model:

- names: ``model.layers.3.self_attn.q_proj.weight`` is ``blk.3.attn_q.weight`` (the ``gguf``
  package's own name map says so, for every architecture it knows);
- rotary layout: Hugging Face rotates the two halves of each head's query and key, llama.cpp
  rotates interleaved pairs, so the rows of ``q_proj`` and ``k_proj`` are reordered per head
  (transformers' GGUF loader undoes exactly this on the way back);
- types: 1-D tensors (norms) stay F32, matrices become F16 or Q8_0 (Q8_0 needs rows that are a
  whole number of 32-value blocks; a matrix that is not falls back to F16, as llama.cpp does).

Weights are read one tensor at a time, so exporting needs about one tensor's worth of memory.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

from .refusals import ExportRefused

Q8_BLOCK = 32


@dataclass(frozen=True)
class PlannedTensor:
    hf_name: str
    gguf_name: str
    file: Path
    shape: tuple[int, ...]
    kind: str  # "f32", "f16" or "q8_0"
    heads: int | None  # set for q_proj / k_proj: the head count to reorder by

    @property
    def nbytes(self) -> int:
        count = math.prod(self.shape)
        if self.kind == "q8_0":
            return count // Q8_BLOCK * 34  # per block: an f16 scale and 32 int8 values
        return count * (4 if self.kind == "f32" else 2)


def weight_files(folder: Path) -> dict[str, Path]:
    """Each tensor name in ``folder``'s safetensors, and the file that holds it."""
    index = folder / "model.safetensors.index.json"
    if index.is_file():
        weight_map = json.loads(index.read_text(encoding="utf-8"))["weight_map"]
        return {name: folder / file for name, file in weight_map.items()}
    files = sorted(folder.glob("*.safetensors"))
    if not files:
        raise ExportRefused(f"{folder} has no .safetensors weights to export")
    from safetensors import safe_open

    found: dict[str, Path] = {}
    for file in files:
        with safe_open(file, framework="numpy") as handle:
            found.update(dict.fromkeys(handle.keys(), file))
    return found


def plan_tensors(folder: Path, config: dict[str, Any], gguf_type: str) -> list[PlannedTensor]:
    """What will be written, in order, with GGUF names and types; refuses unknown tensors."""
    import gguf
    from safetensors import safe_open

    blocks = int(config["num_hidden_layers"])
    name_map = gguf.get_tensor_name_map(gguf.MODEL_ARCH.LLAMA, blocks)
    heads = int(config["num_attention_heads"])
    kv_heads = int(config.get("num_key_value_heads") or heads)
    files = weight_files(folder)
    planned = []
    for hf_name in sorted(files, key=_layer_order):
        if config.get("tie_word_embeddings") and hf_name == "lm_head.weight":
            continue  # a tied head is the embedding; GGUF marks that by leaving output out
        if hf_name.endswith("rotary_emb.inv_freq"):
            continue  # recomputed from rope.freq_base on load
        stem, _, suffix = hf_name.rpartition(".")
        gguf_stem = name_map.get_name(stem)
        if gguf_stem is None:
            raise ExportRefused(f"tensor '{hf_name}' has no GGUF name for a llama model")
        with safe_open(files[hf_name], framework="numpy") as handle:
            shape = tuple(handle.get_slice(hf_name).get_shape())
        reorder = {"q_proj": heads, "k_proj": kv_heads}.get(stem.rpartition(".")[2])
        planned.append(
            PlannedTensor(
                hf_name,
                f"{gguf_stem}.{suffix}",
                files[hf_name],
                shape,
                _kind(shape, gguf_type),
                reorder,
            )
        )
    return planned


def tensor_data(tensor: PlannedTensor) -> np.ndarray:
    """The bytes GGUF stores for ``tensor``: converted, reordered and quantised."""
    import gguf
    import numpy as np
    from safetensors import safe_open

    # Read through torch: safetensors' numpy reader has no bfloat16, which most models use.
    with safe_open(tensor.file, framework="pt") as handle:
        values = handle.get_tensor(tensor.hf_name).float().numpy()
    if tensor.heads is not None:
        values = interleave_rotary(values, tensor.heads)
    if tensor.kind == "f32":
        return values.astype(np.float32)
    if tensor.kind == "f16":
        return values.astype(np.float16)
    return gguf.quants.quantize(values, gguf.GGMLQuantizationType.Q8_0)


def interleave_rotary(weight: np.ndarray, heads: int) -> np.ndarray:
    """Reorder each head's rows from rotate-half (Hugging Face) to interleaved pairs (GGUF).

    Within a head of ``d`` rows, row ``j`` of the first half and row ``j`` of the second half form
    rotary pair ``j``; GGUF wants the pair's rows next to each other: 0, d/2, 1, d/2+1, ...
    """
    rows = weight.shape[0]
    half = rows // heads // 2
    split = weight.reshape(heads, 2, half, *weight.shape[1:])
    return split.swapaxes(1, 2).reshape(weight.shape)


def _kind(shape: tuple[int, ...], gguf_type: str) -> str:
    if len(shape) < 2:
        return "f32"
    if gguf_type == "q8_0" and shape[-1] % Q8_BLOCK == 0:
        return "q8_0"
    return "f16"


def _layer_order(name: str) -> tuple[int, str]:
    """Embeddings first, then blocks in number order, then the rest (as llama.cpp writes them)."""
    parts = name.split(".")
    for i, part in enumerate(parts[:-1]):
        if part == "layers" and parts[i + 1].isdigit():
            return (int(parts[i + 1]) + 1, name)
    return (0 if "embed" in name else 1 << 30, name)
