"""A Hugging Face tokenizer folder as GGUF metadata (the ``tokenizer.*`` keys).

A GGUF file has no ``tokenizer.json``: llama.cpp, Ollama, LM Studio and transformers' GGUF loader
rebuild the tokenizer from a token list, merges and token types stored as metadata. Two shapes of
``tokenizer.json`` are common in llama-family models and map onto GGUF's two BPE models:

- byte-level BPE (GPT-2 style; SmolLM, Llama 3, Qwen): ``tokenizer.ggml.model = "gpt2"``;
- BPE with byte fallback (SentencePiece style; Llama 2, Mistral): ``tokenizer.ggml.model =
  "llama"``, with ``<0xNN>`` byte tokens typed as bytes and a score per token.

Anything else (WordPiece, Unigram) is refused rather than written wrong. Reads JSON only.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .refusals import ExportRefused

# llama.cpp's token types (gguf.TokenType), spelled here so this module needs no gguf import.
NORMAL, UNKNOWN, CONTROL, USER_DEFINED, UNUSED, BYTE = 1, 2, 3, 4, 5, 6


@dataclass
class GGUFTokenizer:
    model: str  # "gpt2" or "llama"
    tokens: list[str]
    token_types: list[int]
    merges: list[str]
    scores: list[float] | None = None
    special_ids: dict[str, int] = field(default_factory=dict)  # "bos", "eos", "unk", "pad"
    add_bos: bool = False
    chat_template: str | None = None


def read_tokenizer(folder: Path, vocab_size: int) -> GGUFTokenizer:
    """The tokenizer in ``folder`` as GGUF sees it, padded to the model's ``vocab_size``."""
    path = folder / "tokenizer.json"
    if not path.is_file():
        raise ExportRefused(f"{folder} has no tokenizer.json; GGUF needs the tokenizer inside it")
    spec = json.loads(path.read_text(encoding="utf-8"))
    config = _json(folder / "tokenizer_config.json")
    model = spec.get("model") or {}
    if model.get("type") != "BPE":
        raise ExportRefused(
            f"tokenizer of type {model.get('type')!r} cannot be written to GGUF here "
            "(Studio writes BPE tokenizers); export the merged folder instead"
        )
    byte_fallback = bool(model.get("byte_fallback"))
    vocab: dict[str, int] = dict(model.get("vocab") or {})
    added = {entry["content"]: entry for entry in spec.get("added_tokens") or ()}
    for content, entry in added.items():
        vocab.setdefault(content, entry["id"])
    if len(vocab) > vocab_size:
        raise ExportRefused(
            f"the tokenizer has {len(vocab)} tokens but the model only {vocab_size} embeddings"
        )
    tokens = [f"[PAD{i}]" for i in range(vocab_size)]
    types = [UNUSED] * vocab_size
    for token, index in vocab.items():
        tokens[index] = token
        types[index] = _token_type(token, added.get(token), byte_fallback)
    merges = [m if isinstance(m, str) else " ".join(m) for m in model.get("merges") or ()]
    result = GGUFTokenizer(
        model="llama" if byte_fallback else "gpt2",
        tokens=tokens,
        token_types=types,
        merges=merges,
        # SentencePiece files rank tokens by score; a BPE vocabulary's order is its rank.
        scores=[-float(i) for i in range(vocab_size)] if byte_fallback else None,
        add_bos=bool(config.get("add_bos_token", byte_fallback)),
        chat_template=_chat_template(folder, config),
    )
    for role in ("bos", "eos", "unk", "pad"):
        token = _token_text(config.get(f"{role}_token"))
        if token is not None and token in vocab:
            result.special_ids[role] = vocab[token]
    return result


def add_to_writer(writer: Any, tokenizer: GGUFTokenizer) -> None:
    """Write ``tokenizer`` into a ``gguf.GGUFWriter`` before its header is written."""
    writer.add_tokenizer_model(tokenizer.model)
    writer.add_tokenizer_pre("default")
    writer.add_token_list(tokenizer.tokens)
    writer.add_token_types(tokenizer.token_types)
    if tokenizer.scores is not None:
        writer.add_token_scores(tokenizer.scores)
    if tokenizer.merges:
        writer.add_token_merges(tokenizer.merges)
    adders = {
        "bos": writer.add_bos_token_id,
        "eos": writer.add_eos_token_id,
        "unk": writer.add_unk_token_id,
        "pad": writer.add_pad_token_id,
    }
    for role, token_id in tokenizer.special_ids.items():
        adders[role](token_id)
    writer.add_add_bos_token(tokenizer.add_bos)
    if tokenizer.chat_template:
        writer.add_chat_template(tokenizer.chat_template)


def _token_type(token: str, added: dict[str, Any] | None, byte_fallback: bool) -> int:
    if added is not None:
        return CONTROL if added.get("special") else USER_DEFINED
    if byte_fallback and len(token) == 6 and token.startswith("<0x") and token.endswith(">"):
        return BYTE
    return NORMAL


def _chat_template(folder: Path, config: dict[str, Any]) -> str | None:
    # transformers 5 saves the template beside the config; older folders keep it inside.
    jinja = folder / "chat_template.jinja"
    if jinja.is_file():
        return jinja.read_text(encoding="utf-8")
    template = config.get("chat_template")
    if isinstance(template, list):  # named templates: the default one is what a chat app uses
        named = {t.get("name"): t.get("template") for t in template if isinstance(t, dict)}
        template = named.get("default")
    return template if isinstance(template, str) else None


def _token_text(value: Any) -> str | None:
    if isinstance(value, dict):  # an AddedToken written out
        return value.get("content")
    return value if isinstance(value, str) else None


def _json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}
