"""Importing the models a writer already has (folders, shards, GGUF), and what is refused."""

from __future__ import annotations

import json
import pickle
import shutil
from pathlib import Path

import pytest
import torch
from lm_support import import_model
from support import tiny_lm

from studio.api import NOT_IMPORTABLE, Generator
from studio.cli.main import main
from studio.engine import Failed, Home, ImportJob, list_models


@pytest.mark.parametrize("kind", ["llama", "gpt2", "gguf"])
def test_each_kind_imports_and_is_listed_with_its_figures(lm_host, home, sources, kind) -> None:
    done = import_model(lm_host, home, sources[kind])
    assert done.result["imported"] is True
    listed = {m["name"]: m for m in list_models(home)}[done.result["name"]]
    info = listed["info"]
    assert listed["generator"] == "lm" and listed["base"] == done.result["base"]
    assert info["architecture"] == ("gpt2" if kind == "gpt2" else "llama")
    assert info["parameters"] > 30_000
    assert info["size_bytes"] > 4 * info["parameters"]  # fp32 weights, plus the tokenizer
    assert info["memory_train_bytes"] > info["memory_generate_bytes"] > 4 * info["parameters"]
    assert ("GGUF" in info["precision"]) == (kind == "gguf")
    store = home.base_models / done.result["base"]
    assert (store / "model.safetensors").is_file() and (store / "tokenizer.json").is_file()


def test_gguf_import_keeps_the_weights(lm_host, home, tmp_path) -> None:
    """Dequantised and un-permuted: the stored model computes what the source weights compute."""
    from transformers import AutoModelForCausalLM

    path, state = tiny_lm.gguf_file(tmp_path / "again.gguf", seed=3)
    done = import_model(lm_host, home, path)
    stored = AutoModelForCausalLM.from_pretrained(home.base_models / done.result["base"])
    for name, tensor in stored.state_dict().items():
        assert torch.equal(tensor, state[name]), name


def test_sharded_folder_imports(lm_host, home, tmp_path) -> None:
    from transformers import AutoModelForCausalLM, AutoTokenizer

    source = tiny_lm.llama_folder(tmp_path / "one")
    sharded = tmp_path / "sharded"
    AutoModelForCausalLM.from_pretrained(source).save_pretrained(sharded, max_shard_size="50KB")
    AutoTokenizer.from_pretrained(source).save_pretrained(sharded)
    assert (sharded / "model.safetensors.index.json").is_file()
    done = import_model(lm_host, home, sharded)
    store = home.base_models / done.result["base"]
    assert len(list(store.glob("model-*.safetensors"))) > 1
    assert list_models(home)[0]["info"]["parameters"] == 39_072


def test_the_same_model_twice_does_nothing(lm_host, home, sources) -> None:
    first = import_model(lm_host, home, sources["llama"], "mine")
    again = import_model(lm_host, home, sources["llama"], "other-name")
    assert again.result == {**first.result, "imported": False}
    assert [m["name"] for m in list_models(home)] == ["mine"]
    assert len([p for p in home.base_models.iterdir() if not p.name.startswith(".")]) == 1


def _refusal(host, home: Home, path: Path) -> str:
    events = list(ImportJob(host, home, path).run())
    assert isinstance(events[-1], Failed) and events[-1].user_error, events[-1]
    assert "\n" not in events[-1].message
    assert list_models(home) == [] and not any(home.base_models.glob("*"))
    return events[-1].message


class _CreatesAFile:
    """Unpickling this runs ``open(marker, "w")``: the payload a malicious checkpoint carries."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (open, (str(self.marker), "w"))


@pytest.mark.parametrize("layout", ["folder", "file"])
def test_pickle_weights_are_refused_and_never_unpickled(lm_host, home, tmp_path, layout) -> None:
    marker = tmp_path / "pwned"
    folder = tmp_path / "pickled"
    folder.mkdir()
    (folder / "config.json").write_text(json.dumps({"model_type": "llama"}))
    weights = folder / ("pytorch_model.bin" if layout == "folder" else "model.pt")
    weights.write_bytes(pickle.dumps({"w": _CreatesAFile(marker)}))
    message = _refusal(lm_host, home, folder if layout == "folder" else weights)
    assert "pickle" in message and weights.name in message
    assert not marker.exists()


@pytest.mark.parametrize("file", ["config.json", "tokenizer_config.json"])
def test_trust_remote_code_is_refused(lm_host, home, sources, tmp_path, file) -> None:
    folder = shutil.copytree(sources["llama"], tmp_path / "remote")
    config = json.loads((folder / file).read_text())
    config["auto_map"] = {"AutoModelForCausalLM": "modeling_evil.EvilForCausalLM"}
    (folder / file).write_text(json.dumps(config))
    assert "trust_remote_code" in _refusal(lm_host, home, folder)


def test_unsupported_architecture_is_refused(lm_host, home, sources, tmp_path) -> None:
    folder = shutil.copytree(sources["llama"], tmp_path / "vision")
    config = json.loads((folder / "config.json").read_text())
    config["model_type"] = "vit"
    (folder / "config.json").write_text(json.dumps(config))
    assert "architecture 'vit'" in _refusal(lm_host, home, folder)


def test_generators_that_import_nothing_keep_working() -> None:
    """API-v1 plugins do not know about imports: the default refuses, and says so."""

    class Old(Generator):
        id = "old"

    assert Old().accepts_import(Path("model.gguf")) == NOT_IMPORTABLE


def test_studio_models_add_and_list(sources, home, capsys, plugin_site) -> None:
    assert main(["models", "add", str(sources["gpt2"]), "--name", "story-gpt2"]) == 0
    assert main(["models"]) == 0
    out = capsys.readouterr().out
    assert "story-gpt2" in out and "gpt2, 0.0M parameters, f32" in out
    assert "GiB to fine-tune" in out
    assert main(["models", "add", str(sources["gpt2"] / "config.json")]) == 2
    assert "cannot import config.json" in capsys.readouterr().err


def test_a_model_too_big_for_the_machine_is_listed_with_a_warning() -> None:
    from studio.engine.store.library import memory_warnings

    info = {"memory_generate_bytes": 6 * 2**30, "memory_train_bytes": 20 * 2**30}
    warnings = memory_warnings(info, available=16 * 2**30)
    assert len(warnings) == 1 and warnings[0].startswith("fine-tuning needs about 20.0 GiB")
    assert memory_warnings(info, available=64 * 2**30) == []


def test_a_gguf_without_its_suffix_imports_like_an_ollama_blob(lm_host, home, sources, tmp_path):
    """Ollama stores its models as blobs named by their digest; the magic bytes say GGUF."""
    import shutil

    blob = tmp_path / "blobs" / ("sha256-" + "a" * 64)
    blob.parent.mkdir()
    shutil.copy(sources["gguf"], blob)
    generator = lm_host.generator("lm")
    assert generator.accepts_import(blob) is None
    assert generator.accepts_import(sources["llama"] / "config.json") is not None
    done = import_model(lm_host, home, blob, "from-ollama")
    assert done.result["name"] == "from-ollama"


def test_a_hugging_face_cache_snapshot_imports(lm_host, home, sources, tmp_path) -> None:
    """The hub cache's snapshot is a folder of relative links into blobs/: the store holds the
    files themselves, and the cache is left as it was."""
    import os

    blobs, snapshot = tmp_path / "blobs", tmp_path / "snapshots" / "abc123"
    blobs.mkdir()
    snapshot.mkdir(parents=True)
    for file in sources["llama"].iterdir():
        shutil.copy(file, blobs / file.name)
        os.symlink(Path("../../blobs") / file.name, snapshot / file.name)
    before = {p: (p.lstat().st_size, p.lstat().st_mtime_ns) for p in tmp_path.rglob("*")}
    done = import_model(lm_host, home, snapshot, "from-the-hub")
    store = home.base_models / done.result["base"]
    assert not (store / "model.safetensors").is_symlink()
    assert (store / "model.safetensors").read_bytes() == (blobs / "model.safetensors").read_bytes()
    assert {p: (p.lstat().st_size, p.lstat().st_mtime_ns) for p in tmp_path.rglob("*")} == before


def test_the_library_counts_an_imported_base_once_beside_its_models(lm_host, home, llama) -> None:
    """The model library shows the base's weights apart from the library entry's own files."""
    from studio.engine import library_models

    entry = next(m for m in library_models(home) if m["name"] == llama)
    stored = home.base_models
    base_files = sum(f.stat().st_size for f in stored.rglob("*") if f.is_file())
    assert entry["base_bytes"] == base_files > 10 * entry["size_bytes"]
