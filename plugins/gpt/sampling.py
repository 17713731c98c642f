"""Streaming generation: a short loop, one token at a time, text out as soon as it is whole.

With the key/value cache each step runs the model on one new token. The cache holds one context
window; when it is full, the last three quarters of the text are fed again from position 0 (the
position embeddings are absolute, so cached keys cannot simply slide), which keeps the re-reading
to one window's work every quarter window.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import torch

from plugins.textkit.params import SamplingOptions
from plugins.textkit.sampling import lean_step, next_token
from plugins.textkit.stream import cut_prompt, stream_text

from .decode import TokenDecoder
from .model import GPT, KVCache
from .tokenizer import Tokenizer

# When the cache is full, keep this fraction of the window and re-read it.
KEEP_ON_SLIDE = 0.75


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
            token = next_token(logits, options, context, block, generator)
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
    # An empty prompt starts the text as if after a blank line.
    tokens = cut_prompt(tokenizer.encode(prompt or "\n"), model.config.block_size, log)
    new = generate_tokens(model, tokens, options, generator, device)
    yield from stream_text(new, tokenizer, options.stop, on_token)
