"""Each discovery rule finds its fake store and ignores broken links and partial downloads."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from studio.engine.discovery import find_models, judge

from .stores import files_of, hub_repo, write_gguf, write_hf_folder


def _scan(home: Path, **env: str):
    return find_models(env={"HOME": str(home), **env}, home=home)


def _names(scan, source: str) -> list[str]:
    return sorted(m.name for m in scan.models if m.source == source)


def _hub_files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in folder.iterdir()}


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A real model file outside every store: links to it must not be followed."""
    return write_gguf(tmp_path / "elsewhere" / "secret.gguf")


def test_hugging_face_cache(tmp_path: Path, outside: Path) -> None:
    home = tmp_path / "home"
    hub = home / ".cache" / "huggingface" / "hub"
    source = write_hf_folder(tmp_path / "src")
    snapshot = hub_repo(hub, "org/tiny", _hub_files(source))
    hub_repo(hub, "org/halfway", _hub_files(source), missing=("model.safetensors",))
    hub_repo(hub, "org/quant", {"tiny-Q8_0.gguf": write_gguf(tmp_path / "q.gguf").read_bytes()})
    os.symlink(outside, snapshot / "escape.gguf")
    os.symlink(snapshot / "nowhere.gguf", snapshot / "broken.gguf")

    scan = _scan(home)
    assert _names(scan, "huggingface") == ["org/quant/tiny-Q8_0.gguf", "org/tiny"]
    tiny = next(m for m in scan.models if m.name == "org/tiny")
    assert (tiny.format, tiny.architecture, tiny.parameters) == ("transformers", "llama", 10)
    assert tiny.precision == "bfloat16"
    quant = next(m for m in scan.models if m.format == "gguf")
    assert (quant.architecture, quant.precision, quant.parameters) == ("llama", "Q8_0", 4160)


def test_hugging_face_cache_honours_hf_home_and_hf_hub_cache(tmp_path: Path) -> None:
    source = _hub_files(write_hf_folder(tmp_path / "src"))
    hub_repo(tmp_path / "hfhome" / "hub", "org/a", source)
    hub_repo(tmp_path / "hubcache", "org/b", source)
    home = tmp_path / "home"
    assert _names(_scan(home, HF_HOME=str(tmp_path / "hfhome")), "huggingface") == ["org/a"]
    both = _scan(home, HF_HOME=str(tmp_path / "hfhome"), HF_HUB_CACHE=str(tmp_path / "hubcache"))
    assert _names(both, "huggingface") == ["org/b"]


def test_lm_studio_models_folder(tmp_path: Path, outside: Path) -> None:
    home = tmp_path / "home"
    store = home / ".lmstudio" / "models"
    write_gguf(store / "lmstudio-community" / "Tiny-GGUF" / "Tiny-Q4_K_M.gguf", file_type=15)
    write_gguf(home / ".cache" / "lm-studio" / "models" / "old" / "repo" / "Old.gguf")
    write_hf_folder(store / "mlx-community" / "Tiny-MLX")
    partial = store / "pub" / "repo" / "Big.gguf.part"
    partial.parent.mkdir(parents=True)
    partial.write_bytes(b"GGUF half")
    os.symlink(store / "gone.gguf", store / "pub" / "repo" / "Broken.gguf")
    os.symlink(outside, store / "pub" / "repo" / "Escape.gguf")

    scan = _scan(home)
    assert _names(scan, "lmstudio") == [
        "lmstudio-community/Tiny-GGUF/Tiny-Q4_K_M.gguf",
        "mlx-community/Tiny-MLX",
        "old/repo/Old.gguf",
    ]
    quant = next(m for m in scan.models if m.name.endswith("Q4_K_M.gguf"))
    assert quant.precision == "Q4_K_M"


def _ollama_manifest(store: Path, name: str, tag: str, digest: str) -> None:
    manifest = store / "manifests" / "registry.ollama.ai" / "library" / name / tag
    manifest.parent.mkdir(parents=True, exist_ok=True)
    layers = [
        {"mediaType": "application/vnd.ollama.image.model", "digest": f"sha256:{digest}"},
        {"mediaType": "application/vnd.ollama.image.template", "digest": "sha256:" + "0" * 64},
    ]
    manifest.write_text(json.dumps({"schemaVersion": 2, "layers": layers}))


def test_ollama_store(tmp_path: Path, outside: Path) -> None:
    home = tmp_path / "home"
    store = home / ".ollama" / "models"
    (store / "blobs").mkdir(parents=True)
    write_gguf(store / "blobs" / ("sha256-" + "a" * 64))
    _ollama_manifest(store, "tiny", "latest", "a" * 64)
    # A pull in progress: only a partial blob exists for the manifest's digest.
    (store / "blobs" / ("sha256-" + "b" * 64 + "-partial-0")).write_bytes(b"GGUF")
    _ollama_manifest(store, "pulling", "7b", "b" * 64)
    # A blob that is a broken link, and one that leaves the store.
    os.symlink(store / "blobs" / "missing", store / "blobs" / ("sha256-" + "c" * 64))
    _ollama_manifest(store, "broken", "latest", "c" * 64)
    os.symlink(outside, store / "blobs" / ("sha256-" + "d" * 64))
    _ollama_manifest(store, "escape", "latest", "d" * 64)

    scan = _scan(home)
    assert _names(scan, "ollama") == ["tiny:latest"]
    tiny = next(m for m in scan.models if m.source == "ollama")
    assert tiny.path.name == "sha256-" + "a" * 64
    assert tiny.architecture == "llama"
    other = tmp_path / "custom"
    (other / "blobs").mkdir(parents=True)
    write_gguf(other / "blobs" / ("sha256-" + "e" * 64))
    _ollama_manifest(other, "moved", "q4", "e" * 64)
    assert _names(_scan(home, OLLAMA_MODELS=str(other)), "ollama") == ["moved:q4"]


def test_gpt4all_folder(tmp_path: Path, outside: Path) -> None:
    home = tmp_path / "home"
    store = home / ".local" / "share" / "nomic.ai" / "GPT4All"
    write_gguf(store / "tiny.Q4_0.gguf", file_type=2)
    (store / "incomplete-big.Q4_0.gguf").write_bytes(b"GGUF half")
    os.symlink(store / "gone.gguf", store / "broken.gguf")
    os.symlink(outside, store / "escape.gguf")
    assert _names(_scan(home), "gpt4all") == ["tiny.Q4_0.gguf"]


def test_jan_folders(tmp_path: Path, outside: Path) -> None:
    home = tmp_path / "home"
    write_gguf(home / "jan" / "models" / "tiny-1b" / "tiny-1b.gguf")
    newer = home / ".local" / "share" / "Jan" / "data" / "llamacpp" / "models"
    write_gguf(newer / "qwen-0.5b" / "model.gguf", arch="qwen2")
    (newer / "big" / "model.gguf.download").parent.mkdir(parents=True)
    (newer / "big" / "model.gguf.download").write_bytes(b"GGUF half")
    os.symlink(newer / "gone.gguf", newer / "big" / "model.gguf")
    os.symlink(outside, newer / "escape.gguf")
    scan = _scan(home)
    assert _names(scan, "jan") == ["qwen-0.5b/model", "tiny-1b/tiny-1b"]
    assert {m.architecture for m in scan.models} == {"llama", "qwen2"}


def test_scanning_changes_nothing_and_stops_on_time(tmp_path: Path) -> None:
    home = tmp_path / "home"
    write_gguf(home / ".lmstudio" / "models" / "a" / "b" / "c.gguf")
    hub_repo(home / ".cache/huggingface/hub", "o/m", _hub_files(write_hf_folder(tmp_path / "s")))
    before = files_of(home)
    assert len(_scan(home).models) == 2
    assert files_of(home) == before
    late = find_models(env={"HOME": str(home)}, home=home, seconds=0)
    assert late.models == [] and late.truncated


def test_what_cannot_be_used_says_why(tmp_path: Path) -> None:
    home = tmp_path / "home"
    store = home / ".lmstudio" / "models" / "pub"
    write_hf_folder(store / "remote", auto_map={"AutoModel": "modeling_x.X"})
    pickled = store / "pickled"
    pickled.mkdir(parents=True)
    (pickled / "config.json").write_text(json.dumps({"model_type": "llama"}))
    (pickled / "pytorch_model.bin").write_bytes(b"\x80\x04 pickle")
    (store / "junk.gguf").write_bytes(b"not a gguf at all, just bytes")
    scan = _scan(home)
    judge(scan.models, [])
    reasons = {m.name: m.reason for m in scan.models}
    assert "trust_remote_code" in reasons["pub/remote"]
    assert reasons["pub/pickled"].startswith("only pickle weights (pytorch_model.bin)")
    assert reasons["pub/junk.gguf"].startswith("not a readable GGUF file")
    assert not any(m.can_generate for m in scan.models)


class _GGUFTaker:
    """A generator that imports GGUF files of the llama architecture, as a text plugin would."""

    id, name = "taker", "GGUF taker"

    def accepts_import(self, path: Path) -> str | None:
        import gguf

        arch = gguf.GGUFReader(path).fields["general.architecture"].contents()
        return None if arch == "llama" else f"architecture '{arch}' is not supported"

    def create_trainer(self, *args: object) -> None:
        raise AssertionError("not called")


def test_each_model_says_what_studio_can_do_with_it(tmp_path: Path) -> None:
    home = tmp_path / "home"
    store = home / ".local" / "share" / "nomic.ai" / "GPT4All"
    write_gguf(store / "llama.gguf")
    write_gguf(store / "mamba.gguf", arch="mamba")
    scan = _scan(home)
    judge(scan.models, [_GGUFTaker()])
    verdicts = {m.name: (m.can_generate, m.can_fine_tune, m.reason) for m in scan.models}
    assert verdicts == {
        "llama.gguf": (True, True, "imports into GGUF taker: generate and fine-tune"),
        "mamba.gguf": (False, False, "architecture 'mamba' is not supported"),
    }
