"""From token ids to streamed text: whole UTF-8 characters only, stop strings removed.

A tokenizer here is anything with ``encode(text) -> list[int]`` and ``token_bytes(id) -> bytes``
(the raw bytes a token stands for). Streaming by bytes, not by decoding text per token, is what
keeps a character split across two tokens (a byte-level BPE's emoji, say) from ever showing up
half-made.
"""

from __future__ import annotations

import codecs
from collections.abc import Callable, Iterable, Iterator
from functools import lru_cache
from typing import Protocol

from studio.api import GenerateRequest, RunContext, TextChunk


class ByteTokens(Protocol):
    def encode(self, text: str) -> list[int]: ...

    def token_bytes(self, token: int) -> bytes: ...


@lru_cache(maxsize=1)
def byte_alphabet() -> dict[str, int]:
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


def decode(tokenizer: ByteTokens, tokens: Iterable[int]) -> str:
    """Whole-text decoding; bytes that are not valid UTF-8 become U+FFFD."""
    return b"".join(tokenizer.token_bytes(t) for t in tokens).decode("utf-8", errors="replace")


class StreamDecoder:
    """Turns tokens into text one at a time, holding back bytes of an unfinished character.

    A model can emit bytes that never form valid UTF-8; those become U+FFFD, as in
    :func:`decode`, so the streamed pieces always join to exactly the whole decoded text.
    """

    def __init__(self, tokenizer: ByteTokens) -> None:
        self.tokenizer = tokenizer
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")

    def push(self, token: int) -> str:
        return self._decoder.decode(self.tokenizer.token_bytes(token))

    def flush(self) -> str:
        return self._decoder.decode(b"", final=True)


class StopFilter:
    """Passes text through, holding back any tail that might be the start of a stop string.

    The stop string itself is never emitted; everything before it is.
    """

    def __init__(self, stops: tuple[str, ...]) -> None:
        self.stops = tuple(s for s in stops if s)
        self.pending = ""
        self.stopped = False

    def feed(self, text: str) -> str:
        if not self.stops:
            return text
        self.pending += text
        cut = min((i for i in (self.pending.find(s) for s in self.stops) if i >= 0), default=-1)
        if cut >= 0:
            self.stopped = True
            out, self.pending = self.pending[:cut], ""
            return out
        hold = 0
        for stop in self.stops:
            for size in range(min(len(stop) - 1, len(self.pending)), hold, -1):
                if self.pending.endswith(stop[:size]):
                    hold = size
                    break
        out = self.pending[: len(self.pending) - hold]
        self.pending = self.pending[len(out) :]
        return out

    def flush(self) -> str:
        out, self.pending = self.pending, ""
        return out


def cut_prompt(tokens: list[int], limit: int, log: Callable[[str], None]) -> list[int]:
    """``tokens`` cut from the left to ``limit`` tokens, with a notice when anything is cut."""
    if len(tokens) > limit:
        log(
            f"the prompt is {len(tokens)} tokens, longer than the model's context of {limit}:"
            f" only its last {limit} tokens are used"
        )
        return tokens[-limit:]
    return tokens


def stream_text(
    tokens: Iterator[int],
    tokenizer: ByteTokens,
    stops: tuple[str, ...],
    on_token: Callable[[int], None] = lambda produced: None,
) -> Iterator[str]:
    """Text pieces for the new ``tokens``: valid UTF-8 each, ending before any stop string.

    Closing ``tokens`` as soon as a stop string appears stops the model too.
    """
    decoder = StreamDecoder(tokenizer)
    stop = StopFilter(stops)
    try:
        for produced, token in enumerate(tokens):
            on_token(produced + 1)
            piece = stop.feed(decoder.push(token))
            if piece:
                yield piece
            if stop.stopped:
                return
        tail = stop.feed(decoder.flush())
        tail += "" if stop.stopped else stop.flush()
        if tail:
            yield tail
    finally:
        close = getattr(tokens, "close", None)
        if close is not None:
            close()


def stream_samples(
    request: GenerateRequest,
    context: RunContext,
    max_new_tokens: int,
    pieces: Callable[..., Iterator[str]],
) -> Iterator[TextChunk]:
    """``request.count`` texts as chunks, sample i seeded with ``request.seed + i``.

    ``pieces(seed=, log=, on_token=)`` streams one sample's text; progress counts its tokens.
    """
    total = max_new_tokens * request.count
    for index in range(request.count):
        seed = request.seed + index
        done = index * max_new_tokens

        def progress(produced: int, done: int = done) -> None:
            context.progress(done + produced, total)

        # The same notice for every sample would be noise: say it once.
        log = context.log if index == 0 else lambda message: None
        for piece in pieces(seed=seed, log=log, on_token=progress):
            yield TextChunk(piece, index, seed)
