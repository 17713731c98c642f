"""One generated token through the model, with as few operations as the maths needs.

The model's ``forward`` is written for reading and for training: batches, sequences, modules.
Generating with the key/value cache runs it on a single token, where every operation is tiny and
its fixed cost (dispatch, shape checks, a module call) is most of the time: a one-token forward of
nanoGPT's CPU model measured about 1.5 ms, of which the arithmetic is a small part. This path
computes exactly the same function on one token as 1-D vectors: matrix-vector products, the
residual added by ``addmv`` in the same call as the projection, the new key and value written
into the cache in one copy, attention as two batched products over the heads. About a dozen
operations per layer instead of thirty. ``tests/gpt/test_gpt_generate.py`` checks that its logits
match the full forward pass.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from .model import GPT, KVCache


@dataclass(frozen=True)
class LayerWeights:
    ln_1: tuple[torch.Tensor, torch.Tensor | None]
    attn: tuple[torch.Tensor, torch.Tensor | None]
    attn_proj: tuple[torch.Tensor, torch.Tensor | None]
    ln_2: tuple[torch.Tensor, torch.Tensor | None]
    fc: tuple[torch.Tensor, torch.Tensor | None]
    fc_proj: tuple[torch.Tensor, torch.Tensor | None]


class TokenDecoder:
    """Next-token logits for one token at the cache's next position.

    Holds references to the model's parameters (not copies), gathered once per generation so a
    step does no attribute lookups through the module tree.
    """

    def __init__(self, model: GPT) -> None:
        config = model.config
        self.n_head = config.n_head
        self.width = config.n_embd
        self.head_dim = config.n_embd // config.n_head
        self.scale = 1.0 / math.sqrt(self.head_dim)
        self.wte = model.wte.weight
        self.wpe = model.wpe.weight
        self.ln_f = (model.ln_f.weight, model.ln_f.bias)
        self.lm_head = model.lm_head.weight
        self.unused = self.lm_head.new_zeros(1, 1, 1)
        self.layers = [
            LayerWeights(
                ln_1=(block.ln_1.weight, block.ln_1.bias),
                attn=(block.attn.c_attn.weight, block.attn.c_attn.bias),
                attn_proj=(block.attn.c_proj.weight, block.attn.c_proj.bias),
                ln_2=(block.ln_2.weight, block.ln_2.bias),
                fc=(block.mlp.c_fc.weight, block.mlp.c_fc.bias),
                fc_proj=(block.mlp.c_proj.weight, block.mlp.c_proj.bias),
            )
            for block in model.h
        ]

    def __call__(self, token: int, cache: KVCache) -> torch.Tensor:
        """Logits over the vocabulary (1-D) after ``token``; its key and value join the cache."""
        position = cache.length
        if position >= cache.capacity:
            raise ValueError(f"the cache is full ({cache.capacity} positions)")
        width = self.width
        x = self.wte[token] + self.wpe[position]  # (C,)
        seen = position + 1
        for layer, w in enumerate(self.layers):
            h = F.layer_norm(x, (width,), *w.ln_1)
            qkv = affine(w.attn, h).view(3, self.n_head, self.head_dim)
            keys, values = cache.keys[layer][0], cache.values[layer][0]  # (heads, block, D)
            keys[:, position] = qkv[1]
            values[:, position] = qkv[2]
            # Scaled scores of this query against every cached key, per head: (heads, seen, 1).
            # (baddbmm with beta 0 scales in the same call; its first argument is then unused.)
            scores = torch.baddbmm(
                self.unused, keys[:, :seen], qkv[0].unsqueeze(-1), beta=0.0, alpha=self.scale
            )
            weights = torch.softmax(scores, dim=1)
            # Weighted sum of the values: (heads, D, seen) @ (heads, seen, 1).
            attended = torch.bmm(values[:, :seen].transpose(1, 2), weights).view(width)
            x = affine(w.attn_proj, attended, residual=x)
            h = F.layer_norm(x, (width,), *w.ln_2)
            x = affine(w.fc_proj, F.gelu(affine(w.fc, h)), residual=x)
        cache.length = seen
        h = F.layer_norm(x, (width,), *self.ln_f)
        return torch.mv(self.lm_head, h)


def affine(
    weight_bias: tuple[torch.Tensor, torch.Tensor | None],
    x: torch.Tensor,
    residual: torch.Tensor | None = None,
) -> torch.Tensor:
    """``residual + weight @ x + bias``: one operation when the layer has no bias (the default)."""
    weight, bias = weight_bias
    if residual is None:
        return torch.mv(weight, x) if bias is None else torch.addmv(bias, weight, x)
    out = torch.addmv(residual, weight, x)
    return out if bias is None else out.add_(bias)
