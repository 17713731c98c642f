"""Tokenizer metadata for GGUF: the two BPE shapes of tokenizer.json, and what is refused."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from studio.engine.export import ExportRefused
from studio.engine.export.gguf_tokenizer import BYTE, CONTROL, NORMAL, UNUSED, read_tokenizer


def _folder(tmp_path: Path, model: dict, added: list[dict], config: dict) -> Path:
    spec = {"version": "1.0", "model": model, "added_tokens": added}
    (tmp_path / "tokenizer.json").write_text(json.dumps(spec))
    (tmp_path / "tokenizer_config.json").write_text(json.dumps(config))
    return tmp_path


def test_sentencepiece_style_bpe_becomes_a_llama_vocabulary(tmp_path: Path) -> None:
    vocab = {"<unk>": 0, "<s>": 1, "</s>": 2, "<0x0A>": 3, "<0xC3>": 4, "▁t": 5, "he": 6, "▁the": 7}
    model = {"type": "BPE", "byte_fallback": True, "vocab": vocab, "merges": [["▁t", "he"]]}
    added = [{"id": i, "content": t, "special": True} for t, i in list(vocab.items())[:3]]
    folder = _folder(tmp_path, model, added, {"bos_token": "<s>", "eos_token": "</s>"})
    tokenizer = read_tokenizer(folder, vocab_size=10)
    assert tokenizer.model == "llama"
    assert tokenizer.tokens[:8] == list(vocab) and tokenizer.tokens[8:] == ["[PAD8]", "[PAD9]"]
    assert tokenizer.token_types == [CONTROL] * 3 + [BYTE] * 2 + [NORMAL] * 3 + [UNUSED] * 2
    assert tokenizer.merges == ["▁t he"]
    assert tokenizer.scores == [-float(i) for i in range(10)]
    assert tokenizer.special_ids == {"bos": 1, "eos": 2}
    assert tokenizer.add_bos  # SentencePiece vocabularies start with BOS unless told otherwise


def test_chat_template_from_the_config_or_its_own_file(tmp_path: Path) -> None:
    model = {"type": "BPE", "vocab": {"a": 0, "b": 1}, "merges": []}
    folder = _folder(tmp_path, model, [], {"chat_template": "{{ messages }}"})
    assert read_tokenizer(folder, 2).chat_template == "{{ messages }}"
    (folder / "chat_template.jinja").write_text("{{ jinja }}")
    tokenizer = read_tokenizer(folder, 2)
    assert (tokenizer.model, tokenizer.chat_template, tokenizer.add_bos) == (
        "gpt2",
        "{{ jinja }}",
        False,
    )


def test_other_tokenizers_and_too_many_tokens_are_refused(tmp_path: Path) -> None:
    folder = _folder(tmp_path, {"type": "WordPiece", "vocab": {"a": 0}}, [], {})
    with pytest.raises(ExportRefused, match="tokenizer of type 'WordPiece' cannot be written"):
        read_tokenizer(folder, 1)
    folder = _folder(tmp_path, {"type": "BPE", "vocab": {"a": 0, "b": 1, "c": 2}}, [], {})
    with pytest.raises(ExportRefused, match="3 tokens but the model only 2 embeddings"):
        read_tokenizer(folder, 2)
    with pytest.raises(ExportRefused, match=r"has no tokenizer\.json"):
        read_tokenizer(tmp_path / "missing", 2)
