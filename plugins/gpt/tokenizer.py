"""Tokenizers that lose nothing: any Unicode text encodes to ids and decodes back exactly.

Both work on UTF-8 bytes underneath. ``ByteTokenizer`` is one token per byte (256 ids, nothing to
train). ``BPETokenizer`` merges frequent byte sequences into single tokens (a byte-level BPE trained
with the ``tokenizers`` library), so a model sees more text per context window.

Every token maps to a run of bytes, and a token's bytes may end inside a multi-byte character, so
text is decoded incrementally (``plugins.textkit.stream``): a stream never emits a broken sequence.
A tokenizer is saved inside the checkpoint as ``tokenizer.json`` and rebuilt from it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Protocol

from plugins.textkit.stream import byte_alphabet

ASSET = "tokenizer.json"


class Tokenizer(Protocol):
    kind: str
    vocab_size: int

    def encode(self, text: str) -> list[int]: ...

    def token_bytes(self, token: int) -> bytes: ...

    def to_json(self) -> bytes: ...


class ByteTokenizer:
    kind = "byte"
    vocab_size = 256

    def encode(self, text: str) -> list[int]:
        return list(text.encode("utf-8"))

    def token_bytes(self, token: int) -> bytes:
        return bytes((token,))

    def to_json(self) -> bytes:
        return json.dumps({"type": self.kind}).encode("utf-8")


class BPETokenizer:
    kind = "bpe"

    def __init__(self, spec: str) -> None:
        from tokenizers import Tokenizer as HFTokenizer

        self.spec = spec
        self._tok = HFTokenizer.from_str(spec)
        self.vocab_size = self._tok.get_vocab_size()
        alphabet = byte_alphabet()
        # Each id's raw bytes, computed once: decoding is then a table look-up per token.
        self._bytes: list[bytes] = [b""] * self.vocab_size
        for piece, index in self._tok.get_vocab().items():
            self._bytes[index] = bytes(alphabet[ch] for ch in piece)

    @classmethod
    def train(cls, texts: Iterable[str], vocab_size: int) -> BPETokenizer:
        try:
            from tokenizers import Tokenizer as HFTokenizer
            from tokenizers import decoders, models, pre_tokenizers, trainers
        except ImportError as error:  # pragma: no cover - a declared dependency
            from studio.api import StudioError

            raise StudioError(
                "the 'bpe' tokenizer needs the 'tokenizers' package; use tokenizer=byte"
            ) from error
        tok = HFTokenizer(models.BPE())
        # No prefix space and no normalisation: decoding gives back exactly the bytes encoded.
        tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
        tok.decoder = decoders.ByteLevel()
        trainer = trainers.BpeTrainer(
            vocab_size=vocab_size,
            # Every byte is in the vocabulary, so no text is ever unknown.
            initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
            show_progress=False,
        )
        tok.train_from_iterator(texts, trainer=trainer)
        return cls(tok.to_str())

    def encode(self, text: str) -> list[int]:
        return self._tok.encode(text, add_special_tokens=False).ids

    def token_bytes(self, token: int) -> bytes:
        return self._bytes[token]

    def to_json(self) -> bytes:
        return json.dumps({"type": self.kind, "tokenizer": json.loads(self.spec)}).encode("utf-8")


def load_tokenizer(data: bytes | None) -> Tokenizer:
    """The tokenizer a checkpoint holds (byte-level when it holds none)."""
    if not data:
        return ByteTokenizer()
    spec = json.loads(data.decode("utf-8"))
    if spec.get("type") == "bpe":
        return BPETokenizer(json.dumps(spec["tokenizer"]))
    if spec.get("type") == "byte":
        return ByteTokenizer()
    from studio.api import CheckpointError

    raise CheckpointError(f"unknown tokenizer type {spec.get('type')!r} in the checkpoint")
