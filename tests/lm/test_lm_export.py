"""An lm fine-tune leaves Studio: merged loads with transformers, the adapter with peft, the GGUF
with transformers' GGUF loader; and its held-out bits per byte reaches the voice report."""

from __future__ import annotations

import pytest
import torch

from studio.engine import ExportJob, Finished, TrainJob, VoiceReportJob

FAST = {"batch_size": 2, "context": 32, "lr": 5e-3, "preview_every": 0, "checkpoint_every": 1000}


@pytest.fixture
def tuned(lm_host, home, llama, lm_corpus) -> str:
    params = {**FAST, "steps": 6}
    job = TrainJob(
        lm_host, home, "lm", data=lm_corpus, from_checkpoint=llama, name="tuned", params=params
    )
    events = list(job.run())
    assert isinstance(events[-1], Finished), events[-1]
    return "tuned"


def _export(lm_host, home, model, fmt, out):
    end = list(ExportJob(model, out, fmt, host=lm_host, home=home).run())[-1]
    assert isinstance(end, Finished), end
    return end


def test_merged_adapter_and_gguf_exports_load_elsewhere(lm_host, home, tuned, tmp_path) -> None:
    from peft import PeftModel
    from transformers import AutoModelForCausalLM, AutoTokenizer

    _export(lm_host, home, tuned, "merged", tmp_path / "merged")
    _export(lm_host, home, tuned, "adapter", tmp_path / "adapter")
    _export(lm_host, home, tuned, "gguf", tmp_path / "tuned.gguf")
    merged = AutoModelForCausalLM.from_pretrained(tmp_path / "merged")
    tokenizer = AutoTokenizer.from_pretrained(tmp_path / "merged")
    adapter_config = (tmp_path / "adapter" / "adapter_config.json").read_text()
    base_folder = __import__("json").loads(adapter_config)["base_model_name_or_path"]
    with_adapter = PeftModel.from_pretrained(
        AutoModelForCausalLM.from_pretrained(base_folder), tmp_path / "adapter"
    )
    base_only = AutoModelForCausalLM.from_pretrained(base_folder)
    gguf = AutoModelForCausalLM.from_pretrained(tmp_path, gguf_file="tuned.gguf")
    ids = torch.tensor([tokenizer("The cat sat on the mat.").input_ids])
    with torch.no_grad():
        want = merged(ids).logits
        assert torch.allclose(with_adapter(ids).logits, want, atol=1e-4)
        assert not torch.allclose(base_only(ids).logits, want, atol=1e-4)  # the adapter matters
        assert (gguf(ids).logits - want).abs().max().item() < 5e-2


def test_the_voice_report_measures_bits_per_byte(lm_host, home, llama, tuned, lm_corpus) -> None:
    job = VoiceReportJob(lm_host, home, tuned, data=lm_corpus, against=llama, prompts=2, words=8)
    end = list(job.run())[-1]
    assert isinstance(end, Finished), end
    figures = end.result["figures"]
    assert figures["bits_per_byte/tuned"] < figures[f"bits_per_byte/{llama}"]
    assert end.result["report"]["notes"] == []
