"""Tokenizers that lose nothing: any Unicode text encodes to ids and decodes back exactly.

Both work on UTF-8 bytes underneath. ``ByteTokenizer`` is one token per byte (256 ids, nothing to
train). ``BPETokenizer`` merges frequent byte sequences into single tokens (a byte-level BPE trained
with the ``tokenizers`` library), so a model sees more text per context window.

Every token maps to a run of bytes, and a token's bytes may end inside a multi-byte character, so
text is decoded incrementally (:class:`StreamDecoder`): a stream never emits a broken sequence.
A tokenizer is saved inside the checkpoint as ``tokenizer.json`` and rebuilt from it.
"""

from __future__ import annotations

import codecs
import json
from collections.abc import Iterable
from functools import lru_cache
from typing import Protocol

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


@lru_cache(maxsize=1)
def _byte_alphabet() -> dict[str, int]:
    """GPT-2's printable stand-in character for each byte, mapped back to the byte.

    Byte-level BPE spells every byte as one printable character so merges can be learnt on text;
    decoding needs the reverse table to turn a token's characters back into raw bytes.
    """
    printable = (
        list(range(ord("!"), ord("~") + 1))
        + list(range(ord("¡"), ord("¬") + 1))
        + list(range(ord("®"), ord("ÿ") + 1))
    )
    codes = printable[:]
    extra = 0
    for byte in range(256):
        if byte not in printable:
            printable.append(byte)
            codes.append(256 + extra)
            extra += 1
    return {chr(code): byte for byte, code in zip(printable, codes, strict=True)}


class BPETokenizer:
    kind = "bpe"

    def __init__(self, spec: str) -> None:
        from tokenizers import Tokenizer as HFTokenizer

        self.spec = spec
        self._tok = HFTokenizer.from_str(spec)
        self.vocab_size = self._tok.get_vocab_size()
        alphabet = _byte_alphabet()
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


def decode(tokenizer: Tokenizer, tokens: Iterable[int]) -> str:
    """Whole-text decoding; bytes that are not valid UTF-8 become U+FFFD."""
    return b"".join(tokenizer.token_bytes(t) for t in tokens).decode("utf-8", errors="replace")


class StreamDecoder:
    """Turns tokens into text one at a time, holding back bytes of an unfinished character.

    A model can emit bytes that never form valid UTF-8; those become U+FFFD, as in
    :func:`decode`, so the streamed pieces always join to exactly the whole decoded text.
    """

    def __init__(self, tokenizer: Tokenizer) -> None:
        self.tokenizer = tokenizer
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")

    def push(self, token: int) -> str:
        return self._decoder.decode(self.tokenizer.token_bytes(token))

    def flush(self) -> str:
        return self._decoder.decode(b"", final=True)
