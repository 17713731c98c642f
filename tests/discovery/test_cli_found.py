"""``studio models found`` and ``studio export``, run as a user runs them."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from support.entrypoints import studio_command
from support.tiny_lm import write_tiny_llama

from .stores import write_gguf


def studio(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        studio_command(*args), env=env, capture_output=True, text=True, timeout=180
    )


def test_models_found_lists_each_store(env: dict[str, str], tmp_path: Path) -> None:
    home = tmp_path / "user"
    write_gguf(home / ".lmstudio" / "models" / "pub" / "repo" / "Tiny-Q8_0.gguf")
    write_gguf(home / ".local" / "share" / "nomic.ai" / "GPT4All" / "chat.gguf", arch="mamba")
    env = {**env, "HOME": str(home)}
    result = studio(env, "models", "found", "--json")
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout)
    assert [(m["source"], m["name"]) for m in found["models"]] == [
        ("lmstudio", "pub/repo/Tiny-Q8_0.gguf"),
        ("gpt4all", "chat.gguf"),
    ]
    assert all(m["reason"] for m in found["models"])  # each says what Studio can do, or why not
    plain = studio(env, "models", "found")
    assert "pub/repo/Tiny-Q8_0.gguf" in plain.stdout and "Q8_0" in plain.stdout


def test_export_writes_a_gguf_and_a_modelfile(env: dict[str, str], tmp_path: Path) -> None:
    folder = write_tiny_llama(tmp_path / "voice", layers=1)
    out = tmp_path / "exports"  # a folder not made yet
    result = studio(
        env, "export", str(folder), "--format", "gguf", "--type", "q8_0", "--out", str(out)
    )
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in out.iterdir()) == ["Modelfile", "voice-q8_0.gguf"]
    refused = studio(
        env, "export", str(folder), "--format", "gguf", "--type", "q4_k_m", "--out", str(out)
    )
    assert refused.returncode == 2
    assert "Q4_K_M needs llama.cpp's compiled quantize tool" in refused.stderr
