"""GGUF export: a tiny random Llama goes out as GGUF and comes back through transformers' loader."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from support.tiny_lm import HARBOUR_TEXT, write_tiny_llama

from studio.engine.export import ExportCancelled, ExportRefused, export_gguf

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")


@pytest.fixture(scope="module")
def llama(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_tiny_llama(tmp_path_factory.mktemp("llama") / "tiny")


@pytest.fixture(scope="module")
def tied_llama(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_tiny_llama(tmp_path_factory.mktemp("tied") / "tiny", tie=True, seed=1)


def _logits(model, ids):
    with torch.no_grad():
        return model(ids).logits[0]


def _round_trip(folder: Path, out: Path, gguf_type: str):
    result = export_gguf(folder, out, gguf_type)
    original = transformers.AutoModelForCausalLM.from_pretrained(folder)
    loaded = transformers.AutoModelForCausalLM.from_pretrained(out.parent, gguf_file=out.name)
    tokenizer = transformers.AutoTokenizer.from_pretrained(folder)
    ids = torch.tensor([tokenizer(HARBOUR_TEXT[:300]).input_ids])
    return result, _logits(original, ids), _logits(loaded, ids)


@pytest.mark.parametrize("which", ["llama", "tied_llama"])
def test_f16_export_gives_the_same_logits(which: str, request, tmp_path: Path) -> None:
    folder = request.getfixturevalue(which)
    result, want, got = _round_trip(folder, tmp_path / "voice-f16.gguf", "f16")
    assert result.gguf_type == "f16"
    # F16 rounding of the weights only: every next-token choice is the same.
    assert torch.equal(want.argmax(-1), got.argmax(-1))
    assert (want - got).abs().max().item() < 2e-2
    assert want.abs().max().item() > 1.0  # the logits are not all near zero


def test_q8_0_export_is_close_and_smaller(llama: Path, tmp_path: Path) -> None:
    f16 = export_gguf(llama, tmp_path / "a" / "m.gguf", "f16")
    result, want, got = _round_trip(llama, tmp_path / "b" / "m.gguf", "q8_0")
    assert result.bytes < 0.7 * f16.bytes
    agreement = (want.argmax(-1) == got.argmax(-1)).float().mean().item()
    assert agreement > 0.9
    assert (want - got).abs().max().item() < 0.2


def test_tokenizer_and_chat_template_travel_inside_the_file(llama: Path, tmp_path: Path) -> None:
    out = tmp_path / "voice.gguf"
    export_gguf(llama, out, "f16")
    original = transformers.AutoTokenizer.from_pretrained(llama)
    loaded = transformers.AutoTokenizer.from_pretrained(tmp_path, gguf_file=out.name)
    text = "She counted the lights, Überall 42 <|im_end|>"
    assert loaded(text).input_ids == original(text).input_ids
    assert loaded.eos_token == "<|im_end|>"
    chat = [{"role": "user", "content": "hello"}]
    assert loaded.apply_chat_template(chat, tokenize=False) == original.apply_chat_template(
        chat, tokenize=False
    )


def test_modelfile_is_written_beside_the_gguf(llama: Path, tmp_path: Path) -> None:
    out = tmp_path / "voice.gguf"
    export_gguf(llama, out, "q8_0")
    text = (tmp_path / "Modelfile").read_text(encoding="utf-8")
    assert "FROM ./voice.gguf\n" in text
    assert "<|im_start|>{{ .Role }}" in text  # the ChatML template, in Ollama's Go syntax
    assert 'PARAMETER stop "<|im_end|>"' in text


def test_an_architecture_that_cannot_be_exported_is_refused(tmp_path: Path) -> None:
    config = transformers.GPT2Config(n_embd=32, n_layer=1, n_head=2, vocab_size=64)
    transformers.GPT2LMHeadModel(config).save_pretrained(tmp_path / "gpt2")
    with pytest.raises(ExportRefused, match=r"llama family .* not 'gpt2': export it as a merged"):
        export_gguf(tmp_path / "gpt2", tmp_path / "out.gguf")
    assert list(tmp_path.glob("*.gguf")) == []


@pytest.mark.parametrize("name", ["Q4_K_M", "q5_k_s"])
def test_quantisations_that_need_llama_cpp_say_so(name: str, llama: Path, tmp_path: Path) -> None:
    with pytest.raises(ExportRefused, match=f"{name.upper()} needs llama.cpp.*llama-quantize"):
        export_gguf(llama, tmp_path / "out.gguf", name)
    assert list(tmp_path.iterdir()) == []


def test_a_cancelled_export_leaves_the_old_file_and_no_temp(llama: Path, tmp_path: Path) -> None:
    out = tmp_path / "voice.gguf"
    out.write_bytes(b"the user's earlier export")
    calls = []

    def cancel_after_two() -> bool:
        calls.append(1)
        return len(calls) > 2

    with pytest.raises(ExportCancelled):
        export_gguf(llama, out, "f16", cancelled=cancel_after_two)
    assert out.read_bytes() == b"the user's earlier export"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["voice.gguf"]


def test_a_killed_export_never_leaves_a_file_under_the_final_name(
    llama: Path, tmp_path: Path
) -> None:
    """SIGKILL mid-write: the final name never appears; only a hidden temporary may remain."""
    import signal
    import subprocess
    import sys
    import time

    out = tmp_path / "voice.gguf"
    code = (
        "import sys, time; from pathlib import Path;"
        "from studio.engine.export import export_gguf;"
        "export_gguf(Path(sys.argv[1]), Path(sys.argv[2]), 'f16',"
        " progress=lambda d, t: (print(d, flush=True), time.sleep(30) if d == 3 else None))"
    )
    child = subprocess.Popen(
        [sys.executable, "-c", code, str(llama), str(out)], stdout=subprocess.PIPE, text=True
    )
    assert child.stdout is not None
    for line in child.stdout:
        if line.strip() == "3":
            break
    time.sleep(0.2)
    os.kill(child.pid, signal.SIGKILL)
    child.wait(timeout=30)
    assert not out.exists()
    assert [p.name.startswith(".voice.gguf.") for p in tmp_path.iterdir()] == [True]


def test_the_export_reads_bfloat16_weights(tmp_path: Path) -> None:
    folder = write_tiny_llama(tmp_path / "bf16", layers=1)
    model = transformers.AutoModelForCausalLM.from_pretrained(folder)
    model.to(torch.bfloat16).save_pretrained(folder)
    assert json.loads((folder / "config.json").read_text())["dtype"] == "bfloat16"
    result, want, got = _round_trip(folder, tmp_path / "out.gguf", "f16")
    assert result.tensors == 12
    assert torch.equal(want.float().argmax(-1), got.argmax(-1))
