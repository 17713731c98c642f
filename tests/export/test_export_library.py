"""Exporting a model from Studio's library: the generator writes merged / adapter folders, and a
GGUF is made from the merged one. The generator here is a real one, registered in-process: a tiny
Llama kept as a checkpoint, exported with transformers' own ``save_pretrained``."""

from __future__ import annotations

import sys
import types
from pathlib import Path

import pytest
from support.tiny_lm import HARBOUR_TEXT, chatml_tokenizer, llama_config, widen

from studio.api import Generator, ModelHandle, hookimpl
from studio.engine import ExportJob, Failed, Finished
from studio.engine.export import ExportRefused
from studio.engine.store.checkpoints import save_checkpoint
from studio.testing import Harness

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")


class TinyLlama(Generator):
    id = "tinyllama"
    name = "Tiny Llama (test)"
    modality = "text"
    version = "1.0"

    def load_model(self, config, assets, base=None):
        module = transformers.LlamaForCausalLM(transformers.LlamaConfig(**config))
        return ModelHandle(module, config, assets)

    def export_model(self, model, fmt, folder: Path, context) -> None:
        if fmt != "merged":
            raise ExportRefused(f"{self.name} has no adapter to export: export it as merged")
        model.module.save_pretrained(folder)
        (folder / "tokenizer.json").write_bytes(model.assets["tokenizer.json"])
        (folder / "tokenizer_config.json").write_bytes(model.assets["tokenizer_config.json"])


@hookimpl
def register_generators():
    return [TinyLlama()]


@pytest.fixture
def studio(tmp_path: Path) -> Harness:
    module = types.ModuleType("studio_tinyllama_test")
    module.register_generators = register_generators
    module.STUDIO_API_VERSION = 1
    sys.modules[module.__name__] = module
    harness = Harness(tmp_path, {"tinyllama": module})
    tokenizer = chatml_tokenizer()
    saved = tmp_path / "tok"
    tokenizer.save_pretrained(saved)
    config = llama_config(len(tokenizer), hidden=64, layers=1).to_dict()
    config = {
        k: v
        for k, v in config.items()
        if k
        in (
            "vocab_size",
            "hidden_size",
            "intermediate_size",
            "num_hidden_layers",
            "num_attention_heads",
            "num_key_value_heads",
            "max_position_embeddings",
            "model_type",
        )
    }
    generator = harness.generator("tinyllama")
    torch.manual_seed(0)
    assets = {n: (saved / n).read_bytes() for n in ("tokenizer.json", "tokenizer_config.json")}
    handle = generator.load_model({k: v for k, v in config.items() if k != "model_type"}, assets)
    widen(handle.module)
    save_checkpoint(
        harness.home.models / "voice", generator=generator, model=handle, step=0, params={}
    )
    yield harness
    del sys.modules[module.__name__]


def _run(job: ExportJob):
    return list(job.run())[-1]


def test_a_library_model_exports_merged_and_as_gguf(studio: Harness, tmp_path: Path) -> None:
    session = studio.session
    merged = tmp_path / "out" / "voice-merged"
    end = _run(ExportJob("voice", merged, "merged", host=session.host, home=session.home))
    assert isinstance(end, Finished), end
    loaded = transformers.AutoModelForCausalLM.from_pretrained(merged)
    gguf_out = tmp_path / "out" / "voice.gguf"
    end = _run(ExportJob("voice", gguf_out, "gguf", host=session.host, home=session.home))
    assert isinstance(end, Finished), end
    back = transformers.AutoModelForCausalLM.from_pretrained(
        gguf_out.parent, gguf_file="voice.gguf"
    )
    tokenizer = transformers.AutoTokenizer.from_pretrained(merged)
    ids = torch.tensor([tokenizer(HARBOUR_TEXT[:200]).input_ids])
    with torch.no_grad():
        want, got = loaded(ids).logits[0], back(ids).logits[0]
    # The GGUF holds the library model's weights in F16: the same logits within rounding.
    assert (want - got).abs().max().item() < 2e-2
    assert (want.argmax(-1) == got.argmax(-1)).float().mean().item() > 0.95
    # Only the finished exports are left: no scratch or temporary folders.
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "Modelfile",
        "voice-merged",
        "voice.gguf",
    ]


def test_a_format_the_generator_refuses_is_said_plainly(studio: Harness, tmp_path: Path) -> None:
    session = studio.session
    out = tmp_path / "adapter"
    end = _run(ExportJob("voice", out, "adapter", host=session.host, home=session.home))
    assert isinstance(end, Failed)
    assert end.message == "Tiny Llama (test) has no adapter to export: export it as merged"
    assert not out.exists() and list(tmp_path.glob(".adapter*")) == []
