"""Streaming generation: a short loop, one token at a time, text out as soon as it is whole.

With the key/value cache each step runs the model on one new token. The cache holds one context
window; when it is full, the last three quarters of the text are fed again from position 0 (the
position embeddings are absolute, so cached keys cannot simply slide), which keeps the re-reading
to one window's work every quarter window.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import torch

from .decode import TokenDecoder
from .model import GPT, KVCache
from .tokenizer import StreamDecoder, Tokenizer

# When the cache is full, keep this fraction of the window and re-read it.
KEEP_ON_SLIDE = 0.75


@dataclass
class SamplingOptions:
    max_new_tokens: int = 200
    temperature: float = 1.0  # 0: always the most likely token
    top_k: int = 0  # 0: no limit
    top_p: float = 1.0  # 1: no nucleus cut
    repetition_penalty: float = 1.0  # 1: none; >1 makes tokens already in the window less likely
    stop: tuple[str, ...] = ()
    use_cache: bool = True


def choose_next(
    logits: torch.Tensor,
    options: SamplingOptions,
    window: torch.Tensor | None,
    generator: torch.Generator,
) -> int:
    """Pick the next token from the last position's logits (a 1-D tensor over the vocabulary)."""
    logits = logits.float()
    if window is not None and options.repetition_penalty != 1.0:
        # CTRL's penalty: shrink positive logits and grow negative ones of tokens already seen.
        seen = logits[window]
        logits[window] = torch.where(
            seen > 0, seen / options.repetition_penalty, seen * options.repetition_penalty
        )
    if options.temperature == 0:
        return int(logits.argmax())
    logits = logits / options.temperature
    order = None
    if options.top_k or options.top_p < 1.0:
        # One sort serves both cuts; the draw then happens among sorted tokens.
        logits, order = torch.sort(logits, descending=True)
        if 0 < options.top_k < logits.numel():
            logits[options.top_k :] = -float("inf")
    probs = torch.softmax(logits, dim=-1)
    if options.top_p < 1.0:
        # Keep the smallest set of tokens whose probability reaches top_p (always at least one).
        probs[probs.cumsum(0) - probs >= options.top_p] = 0.0
    # Inverse-CDF draw: one uniform number and a binary search. Same distribution as
    # torch.multinomial, at a fraction of its fixed cost for one sample.
    cdf = probs.cumsum(0)
    u = torch.rand(1, generator=generator, device=cdf.device) * cdf[-1]
    # right=True: the first token whose cumulative probability exceeds u, never a zero one.
    index = min(int(torch.searchsorted(cdf, u, right=True)), probs.numel() - 1)
    return int(order[index]) if order is not None else index


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


def prompt_tokens(
    tokenizer: Tokenizer, prompt: str, block_size: int, log: Callable[[str], None]
) -> list[int]:
    """The prompt's tokens, cut from the left to fit the context (with a notice)."""
    # An empty prompt starts the text as if after a blank line.
    tokens = tokenizer.encode(prompt or "\n")
    if len(tokens) > block_size:
        log(
            f"the prompt is {len(tokens)} tokens, longer than the model's context of {block_size}:"
            f" only its last {block_size} tokens are used"
        )
        tokens = tokens[-block_size:]
    return tokens


class lean_step:
    """Run a block in inference mode with one CPU thread, then restore the process's setting.

    A generation step works on one token: every op is too small to split across threads, and
    on a busy machine the hand-off between threads costs more than the op (measured 10x slower
    per token with 2 threads while other programs ran; see docs/gpt.md).
    """

    def __init__(self, device: torch.device) -> None:
        self.active = device.type == "cpu"

    def __enter__(self) -> None:
        # inference_mode also skips autograd's per-op bookkeeping, a real share of a tiny op.
        self.inference = torch.inference_mode()
        self.inference.__enter__()
        if self.active:
            self.threads = torch.get_num_threads()
            torch.set_num_threads(1)

    def __exit__(self, *exc: object) -> None:
        if self.active:
            torch.set_num_threads(self.threads)
        self.inference.__exit__(*exc)


def generate_tokens(
    model: GPT,
    tokens: list[int],
    options: SamplingOptions,
    generator: torch.Generator,
    device: torch.device,
) -> Iterator[int]:
    """Yield new token ids, one per model step, continuing ``tokens``."""
    block = model.config.block_size
    context = list(tokens)
    cache = None
    if options.use_cache:
        dtype = next(model.parameters()).dtype
        with torch.inference_mode():  # the cache is only ever used in inference mode
            cache = KVCache(model.config, 1, device, dtype)
        decode_one = TokenDecoder(model)
    pending = context  # tokens the model has not read yet
    for _ in range(options.max_new_tokens):
        with lean_step(device):
            if cache is None:
                logits = model(torch.tensor([context[-block:]], device=device))[0][0, -1]
            else:
                if cache.length + len(pending) > block:
                    # Window full: re-read the newest part of the text from position 0.
                    cache.reset()
                    pending = context[-max(1, int(block * KEEP_ON_SLIDE)) :]
                if len(pending) == 1:
                    logits = decode_one(pending[0], cache)
                else:  # the prompt, or the text re-read after a slide: one pass for them all
                    logits = model(torch.tensor([pending], device=device), cache=cache)[0][0, -1]
            window = None
            if options.repetition_penalty != 1.0:
                window = torch.tensor(context[-block:], device=device)
            token = choose_next(logits, options, window, generator)
        yield token
        pending = [token]
        context.append(token)


def generate_text(
    model: GPT,
    tokenizer: Tokenizer,
    prompt: str,
    options: SamplingOptions,
    *,
    seed: int,
    device: torch.device,
    log: Callable[[str], None] = lambda message: None,
    on_token: Callable[[int], None] = lambda produced: None,
) -> Iterator[str]:
    """Yield the continuation of ``prompt`` as text pieces: valid UTF-8, stop strings removed."""
    generator = torch.Generator(device=device).manual_seed(seed)
    tokens = prompt_tokens(tokenizer, prompt, model.config.block_size, log)
    decoder = StreamDecoder(tokenizer)
    stops = StopFilter(options.stop)
    for produced, token in enumerate(generate_tokens(model, tokens, options, generator, device)):
        on_token(produced + 1)
        piece = stops.feed(decoder.push(token))
        if piece:
            yield piece
        if stops.stopped:
            return
    tail = stops.feed(decoder.flush())
    tail += "" if stops.stopped else stops.flush()
    if tail:
        yield tail
