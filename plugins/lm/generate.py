"""Streaming generation from a transformers model: one new token per step, with its KV cache.

The prompt is read in one pass; after that each step feeds the model the one token it has not
seen, and asks for the last position's logits only (``logits_to_keep=1``: a prompt's logits over
a 49k-token vocabulary would cost more than the rest of the step). Sampling, UTF-8-safe
streaming and stop strings come from ``plugins.textkit``, exactly as for ``gpt``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import torch

from plugins.textkit.params import SamplingOptions, sampling_options
from plugins.textkit.sampling import lean_step, next_token
from plugins.textkit.stream import cut_prompt, stream_samples, stream_text
from studio.api import GenerateRequest, ModelHandle, RunContext, TextChunk

from .module import LMModule

# When the context is full, keep this share of it and read it again from an empty cache.
KEEP_ON_SLIDE = 0.75


def prompt_ids(module: LMModule, prompt: str, style: str, log: Callable[[str], None]) -> list[int]:
    """The prompt's tokens: as written (completion), or wrapped in the chat template."""
    tokenizer = module.tokens.tokenizer
    if style == "instruction":
        if getattr(tokenizer, "chat_template", None):
            text = tokenizer.apply_chat_template(
                [{"role": "user", "content": prompt}], add_generation_prompt=True, tokenize=False
            )
            ids = module.tokens.encode(text)
        else:
            log("this model has no chat template: the prompt is continued as written")
            ids = module.tokens.encode(prompt)
    else:
        ids = module.tokens.encode(prompt)
    if not ids:  # an empty prompt starts a new document
        bos = tokenizer.bos_token_id if tokenizer.bos_token_id is not None else module.tokens.eos_id
        ids = [bos] if bos is not None else module.tokens.encode("\n")
    return cut_prompt(ids, module.context_limit - 1, log)


def generation_threads() -> int:
    """The most CPU threads a one-token step may use (at least one)."""
    return max(1, torch.get_num_threads())


class ThreadChooser:
    """How many CPU threads each one-token step runs on, chosen by measuring, and re-checked.

    A step multiplies every weight matrix by one vector: memory-bound work whose threads must all
    be scheduled at once. On this project's 2-vCPU machine two threads made SmolLM2-135M's steps
    35 % faster than one when the machine was quiet, and 4 to 5 times slower than one while
    another program kept a core busy. Neither choice holds for long, so the steps measure: every
    ``RECHECK`` steps, ``PROBES`` steps on each candidate (all threads, half of them), then the
    faster one until the next check. The figures a thread count computes are the same (the
    products split their rows, not their sums, between threads), so the choice changes speed only.
    """

    PROBES = 3
    RECHECK = 64

    def __init__(self, most: int) -> None:
        self.candidates = sorted({most, max(1, most // 2)}, reverse=True)
        self.chosen = self.candidates[0]
        self.timings: dict[int, list[float]] = {c: [] for c in self.candidates}
        self.steps = 0

    def _probing(self) -> bool:
        return len(self.candidates) > 1 and self.steps % self.RECHECK < self.PROBES * len(
            self.candidates
        )

    def threads(self) -> int:
        if self._probing():
            return self.candidates[self.steps % len(self.candidates)]
        return self.chosen

    def record(self, threads: int, seconds: float) -> None:
        if self._probing():
            self.timings[threads].append(seconds)
            if self.steps % self.RECHECK == self.PROBES * len(self.candidates) - 1:
                self.chosen = min(self.candidates, key=lambda c: sorted(self.timings[c])[1])
                self.timings = {c: [] for c in self.candidates}
        self.steps += 1


def writing_model(module: LMModule, weights: str, device: torch.device) -> torch.nn.Module:
    """The model that writes: the loaded one, or its int8 twin (``weights`` auto or int8 on a
    CPU; see :mod:`.int8`), built once per loaded model and kept beside it."""
    from . import int8

    if weights == "full" or not int8.available(device):
        return module.hf
    twin = getattr(module, "_int8_twin", None)
    if twin is None:
        twin = int8.int8_copy(module.hf)
        object.__setattr__(module, "_int8_twin", twin)  # not a submodule: never in state_dict
    return twin


def generate_tokens(
    module: LMModule,
    tokens: list[int],
    options: SamplingOptions,
    generator: torch.Generator,
    device: torch.device,
    weights: str = "full",
) -> Iterator[int]:
    """New token ids, one per model step, until ``max_new_tokens`` or the end-of-text token."""
    model, limit, eos = (
        writing_model(module, weights, device),
        module.context_limit,
        module.tokens.eos_id,
    )
    context = list(tokens)
    pending, cache, cached = context, None, 0
    chooser = ThreadChooser(generation_threads())
    for _ in range(options.max_new_tokens):
        # The prompt's pass is many tokens at once: all threads, and not a timing for the chooser.
        one_token = len(pending) == 1
        threads = chooser.threads() if one_token else generation_threads()
        began = time.perf_counter()
        with lean_step(device, threads):
            if not options.use_cache:
                ids = torch.tensor([context[-limit:]], device=device)
                logits = model(input_ids=ids, use_cache=False, logits_to_keep=1).logits[0, -1]
            else:
                if cached + len(pending) > limit:
                    pending, cache, cached = context[-max(1, int(limit * KEEP_ON_SLIDE)) :], None, 0
                out = model(
                    input_ids=torch.tensor([pending], device=device),
                    cache=cache,
                    use_cache=True,
                    logits_to_keep=1,
                )
                cache, cached = out.cache, cached + len(pending)
                logits = out.logits[0, -1]
            token = next_token(logits, options, context, limit, generator)
        if one_token:
            chooser.record(threads, time.perf_counter() - began)
        if token == eos:
            return
        yield token
        pending = [token]
        context.append(token)


def generate_text(
    module: LMModule,
    prompt: str,
    options: SamplingOptions,
    *,
    style: str = "completion",
    seed: int,
    device: torch.device,
    weights: str = "full",
    log: Callable[[str], None] = lambda message: None,
    on_token: Callable[[int], None] = lambda produced: None,
) -> Iterator[str]:
    generator = torch.Generator(device=device).manual_seed(seed)
    tokens = prompt_ids(module, prompt, style, log)
    new = generate_tokens(module, tokens, options, generator, device, weights)
    yield from stream_text(new, module.tokens, options.stop, on_token)


def stream(
    model: ModelHandle, request: GenerateRequest, context: RunContext
) -> Iterator[TextChunk]:
    options = sampling_options(request.params)

    def pieces(**kwargs: Any) -> Iterator[str]:
        return generate_text(
            model.module,
            request.prompt,
            options,
            style=request.params["prompt_style"],
            device=context.device,
            weights=request.params.get("weights", "auto"),
            **kwargs,
        )

    yield from stream_samples(request, context, options.max_new_tokens, pieces)
