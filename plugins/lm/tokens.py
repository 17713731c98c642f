"""A Hugging Face tokenizer seen the way Studio's text kit streams: ids to the bytes they spell.

Streaming by bytes keeps a character that spans two tokens from ever showing half-made. The byte
table is built once per tokenizer from its own vocabulary and decoder: byte-level BPE (GPT-2,
Llama 3, SmolLM, Qwen) spells bytes with GPT-2's printable alphabet; SentencePiece models (Llama 2,
Mistral, Gemma) spell a space as "▁" and unknown bytes as ``<0xNN>``. Special tokens spell nothing.
"""

from __future__ import annotations

import json
import re
from typing import Any

from plugins.textkit.stream import byte_alphabet

BYTE_TOKEN = re.compile(r"^<0x([0-9A-Fa-f]{2})>$")


class HFTokens:
    """``encode`` and ``token_bytes`` over a transformers tokenizer, plus its end-of-text id."""

    def __init__(self, tokenizer: Any) -> None:
        self.tokenizer = tokenizer
        self.table = _byte_table(tokenizer)
        self.vocab_size = len(self.table)
        eos = tokenizer.eos_token_id
        self.eos_id: int | None = int(eos) if eos is not None else None

    def encode(self, text: str) -> list[int]:
        return list(self.tokenizer.encode(text, add_special_tokens=False))

    def token_bytes(self, token: int) -> bytes:
        return self.table[token] if 0 <= token < len(self.table) else b""

    def byte_count(self, tokens: list[int]) -> int:
        return sum(len(self.table[t]) for t in tokens)


def _decoder_kinds(tokenizer: Any) -> set[str]:
    backend = getattr(tokenizer, "backend_tokenizer", None)
    if backend is None:
        return set()
    spec = json.loads(backend.to_str()).get("decoder") or {}
    kinds = {spec.get("type", "")}
    kinds |= {d.get("type", "") for d in spec.get("decoders", []) or []}
    return kinds


def _byte_table(tokenizer: Any) -> list[bytes]:
    size = len(tokenizer)
    pieces = tokenizer.convert_ids_to_tokens(list(range(size)))
    special = set(tokenizer.all_special_ids)
    kinds = _decoder_kinds(tokenizer)
    alphabet = byte_alphabet()
    table = []
    for token_id, piece in enumerate(pieces):
        if piece is None or token_id in special:
            table.append(b"")
        elif "ByteLevel" in kinds:
            table.append(
                bytes(alphabet[c] for c in piece)
                if all(c in alphabet for c in piece)
                else piece.encode("utf-8")  # an added token written as plain text
            )
        elif "ByteFallback" in kinds or "Metaspace" in kinds or "Replace" in kinds:
            match = BYTE_TOKEN.match(piece)
            table.append(
                bytes((int(match.group(1), 16),)) if match else piece.replace("▁", " ").encode()
            )
        else:  # WordPiece and the like: what decoding the token alone gives
            table.append(tokenizer.decode([token_id]).encode("utf-8"))
    return table
