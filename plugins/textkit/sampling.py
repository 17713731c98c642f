"""Choosing the next token from a model's logits, and running one generation step lean.

Torch is imported here: import this module inside generator methods only.
"""

from __future__ import annotations

import torch

from .params import SamplingOptions


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


def next_token(
    logits: torch.Tensor,
    options: SamplingOptions,
    context: list[int],
    window: int,
    generator: torch.Generator,
) -> int:
    """:func:`choose_next`, with the repetition penalty looking at the last ``window`` tokens."""
    seen = None
    if options.repetition_penalty != 1.0:
        seen = torch.tensor(context[-window:], device=logits.device)
    return choose_next(logits, options, seen, generator)


class lean_step:
    """Run a block in inference mode, with ``threads`` CPU threads, then restore the setting.

    A small model's generation step works on one token: its ops are too small to split across
    threads, and on a busy machine the hand-off between threads costs more than the op (measured
    10x slower per token with 2 threads while other programs ran; see docs/gpt.md). A larger
    model's matrix-vector products do gain from threads: its generator passes its own figure.
    """

    def __init__(self, device: torch.device, threads: int = 1) -> None:
        self.active = device.type == "cpu"
        self.wanted = threads

    def __enter__(self) -> None:
        # inference_mode also skips autograd's per-op bookkeeping, a real share of a tiny op.
        self.inference = torch.inference_mode()
        self.inference.__enter__()
        if self.active:
            self.threads = torch.get_num_threads()
            torch.set_num_threads(min(self.wanted, self.threads))

    def __exit__(self, *exc: object) -> None:
        if self.active:
            torch.set_num_threads(self.threads)
        self.inference.__exit__(*exc)
