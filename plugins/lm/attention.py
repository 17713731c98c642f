"""Attention for one new token without the grouped-query path that stalls on the CPU.

Models with grouped-query attention (SmolLM2: 9 query heads share 3 key/value heads) call
PyTorch's fused attention with ``enable_gqa=True``. For a single query token, as in every
generation step after the prompt, torch 2.13's CPU kernel took 15 ms a call with 2 threads
against 0.1 ms for the same product with the key/value heads repeated first (measured on this
project's 2-vCPU machine; with 1 thread 0.08 ms against 0.01 ms). Over 30 layers that is most of a
step. This function repeats the heads itself for one-token queries and hands everything else
(prompts, training batches, where the grouped kernel is as fast or faster) to transformers' own
SDPA attention unchanged. The arithmetic is the same; only the kernel differs.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F

NAME = "studio_sdpa"
# Variants whose attention takes more than a mask (soft-capping, attention sinks): left alone.
SPECIAL = ("softcap", "s_aux", "sinks")


def attention(
    module: torch.nn.Module,
    query: torch.Tensor,
    key: torch.Tensor,
    value: torch.Tensor,
    attention_mask: torch.Tensor | None,
    dropout: float = 0.0,
    scaling: float | None = None,
    **kwargs: Any,
) -> tuple[torch.Tensor, None]:
    from transformers.integrations.sdpa_attention import sdpa_attention_forward

    groups = query.shape[1] // key.shape[1]
    # (a module attribute check via hasattr would cost an exception per call on nn.Module)
    special = any(kwargs.get(k) is not None for k in SPECIAL) or "sinks" in module._parameters
    if query.shape[2] != 1 or groups == 1 or special or query.device.type != "cpu":
        return sdpa_attention_forward(
            module, query, key, value, attention_mask, dropout=dropout, scaling=scaling, **kwargs
        )
    # Each key/value head serves ``groups`` consecutive query heads (transformers' repeat_kv).
    key = key.repeat_interleave(groups, dim=1)
    value = value.repeat_interleave(groups, dim=1)
    if attention_mask is not None and attention_mask.ndim == 4:
        attention_mask = attention_mask[:, :, :, : key.shape[-2]]
    out = F.scaled_dot_product_attention(query, key, value, attn_mask=attention_mask, scale=scaling)
    return out.transpose(1, 2).contiguous(), None


def register() -> str:
    """Make the function known to transformers (idempotent); returns the name to load with."""
    from transformers import AttentionInterface
    from transformers.masking_utils import AttentionMaskInterface, sdpa_mask

    AttentionInterface.register(NAME, attention)
    AttentionMaskInterface.register(NAME, sdpa_mask)
    return NAME
