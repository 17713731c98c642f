"""The gpt plugin's named model sizes, and the rule the sizes must keep. No torch here: the
window's form checks a user's sizes against them as they are typed."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# Named sizes. Parameter counts and CPU speeds are measured in docs/gpt.md.
PRESETS: dict[str, dict[str, int]] = {
    # Seconds on a laptop: for tests and a first look.
    "tiny": {"n_layer": 2, "n_head": 2, "n_embd": 64, "block_size": 64},
    # Minutes on a laptop CPU; nanoGPT's CPU Shakespeare model with twice the context.
    "small": {"n_layer": 4, "n_head": 4, "n_embd": 128, "block_size": 128},
    # nanoGPT's Shakespeare GPU model: wants a GPU, or patience.
    "base": {"n_layer": 6, "n_head": 6, "n_embd": 384, "block_size": 256},
}

SIZE_NAMES = ("n_layer", "n_head", "n_embd", "block_size")


def model_sizes(params: Mapping[str, Any]) -> dict[str, int]:
    """The preset's sizes, with any size the user set explicitly taking precedence."""
    sizes = dict(PRESETS[params["preset"]])
    for name in SIZE_NAMES:
        if params.get(name):
            sizes[name] = params[name]
    return sizes


def heads_divide_width(params: Mapping[str, Any]) -> str | None:
    """Each attention head takes an equal share of the embedding width."""
    sizes = model_sizes(params)
    if sizes["n_embd"] % sizes["n_head"]:
        return f"{sizes['n_embd']} is not divisible by n_head ({sizes['n_head']})"
    return None
