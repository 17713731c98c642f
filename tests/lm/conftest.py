"""Tiny pretrained-model shapes on disk (written once per session) and a library holding them."""

from __future__ import annotations

from pathlib import Path

import pytest
from lm_support import import_model
from support import tiny_lm

from studio.engine import Home, load_plugins


@pytest.fixture(autouse=True)
def _one_thread(one_torch_thread) -> None:
    """Every lm test on one torch thread (see the root conftest)."""


@pytest.fixture(scope="session")
def sources(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("pretrained")
    gguf_path, _state = tiny_lm.gguf_file(root / "tiny-llama.gguf")
    return {
        "llama": tiny_lm.llama_folder(root / "tiny-llama"),
        "gpt2": tiny_lm.gpt2_folder(root / "tiny-gpt2"),
        "gguf": gguf_path,
    }


@pytest.fixture
def lm_host():
    return load_plugins()


@pytest.fixture
def llama(lm_host, home: Home, sources: dict[str, Path]) -> str:
    """The tiny Llama imported into this test's library; its name there."""
    return import_model(lm_host, home, sources["llama"], "llama").result["name"]


@pytest.fixture
def lm_corpus(tmp_path: Path) -> Path:
    path = tmp_path / "novel.txt"
    path.write_text(tiny_lm.TEXT * 12, encoding="utf-8")
    return path
