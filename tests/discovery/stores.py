"""Fake model stores laid out as each app lays out its own, with real (tiny) model files.

A GGUF file is written with the ``gguf`` package's writer and a safetensors file with the
``safetensors`` package, so the discovery rules read the same headers they meet on a real disk.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import numpy as np


def write_gguf(path: Path, arch: str = "llama", file_type: int = 7) -> Path:
    """A small valid GGUF: architecture, name, file type and two tensors (4096 + 64 values)."""
    import gguf

    path.parent.mkdir(parents=True, exist_ok=True)
    writer = gguf.GGUFWriter(path, arch)
    writer.add_name(path.stem)
    writer.add_file_type(file_type)
    writer.add_tensor("token_embd.weight", np.zeros((64, 64), dtype=np.float16))
    writer.add_tensor("output_norm.weight", np.ones(64, dtype=np.float32))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path


def write_hf_folder(folder: Path, **config: object) -> Path:
    """config.json and one safetensors file of 2 x 3 x 4 = 24 parameters."""
    from safetensors.numpy import save_file

    folder.mkdir(parents=True, exist_ok=True)
    settings = {"model_type": "llama", "architectures": ["LlamaForCausalLM"], "dtype": "bfloat16"}
    (folder / "config.json").write_text(json.dumps({**settings, **config}))
    save_file(
        {"a": np.zeros((2, 3), np.float32), "b": np.zeros(4, np.float32)},
        str(folder / "model.safetensors"),
    )
    (folder / "tokenizer.json").write_text("{}")
    return folder


def hub_repo(hub: Path, repo: str, files: dict[str, bytes], missing: tuple[str, ...] = ()) -> Path:
    """``models--ORG--NAME`` with blobs, refs/main and a snapshot of links into the blobs.

    Files named in ``missing`` are still downloading: their blob is ``HASH.incomplete`` and the
    snapshot's link to the final blob name is broken.
    """
    base = hub / ("models--" + repo.replace("/", "--"))
    commit = "0123456789abcdef"
    snapshot = base / "snapshots" / commit
    (base / "blobs").mkdir(parents=True, exist_ok=True)
    snapshot.mkdir(parents=True, exist_ok=True)
    (base / "refs").mkdir(exist_ok=True)
    (base / "refs" / "main").write_text(commit)
    for name, data in files.items():
        digest = hashlib.sha256(data).hexdigest()
        blob = base / "blobs" / (digest + (".incomplete" if name in missing else ""))
        blob.write_bytes(data)
        os.symlink(Path("../../blobs") / digest, snapshot / name)
    return snapshot


def files_of(folder: Path) -> dict[str, tuple[int, int]]:
    """Every entry below ``folder`` with its size and modification time, links not followed."""
    result = {}
    for path in sorted(folder.rglob("*")):
        info = path.lstat()
        result[str(path)] = (info.st_size, info.st_mtime_ns)
    return result
