"""The generation parameters every built-in text generator offers, and reading them back.

No torch here: a generator's class attributes are built from these at import time.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from studio.api import Param

STOP_HELP = "stop when this text appears (several: separate with |); the stop text is not included"


# What the window shows for the sampling parameters (every text generator labels them alike).
SAMPLING_LABELS = {
    "max_new_tokens": "Length (tokens)",
    "temperature": "Temperature",
    "top_k": "Top-k",
    "top_p": "Top-p",
    "repetition_penalty": "Repetition penalty",
    "stop": "Stop at",
    "use_cache": "Key/value cache",
}


def sampling_params(max_new_tokens: int = 300) -> list[Param]:
    """Length, temperature, top-k, top-p, repetition penalty and stop strings."""
    return [
        Param(
            "max_new_tokens", "int", max_new_tokens, "tokens to write", minimum=1, maximum=100_000
        ),
        Param(
            "temperature",
            "float",
            0.8,
            "randomness (0: always the likeliest token)",
            minimum=0.0,
            maximum=5.0,
        ),
        Param(
            "top_k",
            "int",
            0,
            "sample only from the k likeliest tokens (0: all)",
            minimum=0,
            maximum=1_000_000,
        ),
        Param(
            "top_p",
            "float",
            1.0,
            "sample from the smallest set of tokens whose probability reaches p (1: all)",
            minimum=0.01,
            maximum=1.0,
        ),
        Param(
            "repetition_penalty",
            "float",
            1.0,
            "make tokens already in the context less likely (1: off)",
            minimum=0.5,
            maximum=5.0,
        ),
        Param("stop", "str", "", STOP_HELP),
        Param(
            "use_cache",
            "bool",
            True,
            "reuse earlier tokens' keys and values (faster; off only to compare)",
            advanced=True,
        ),
    ]


@dataclass
class SamplingOptions:
    max_new_tokens: int = 200
    temperature: float = 1.0  # 0: always the most likely token
    top_k: int = 0  # 0: no limit
    top_p: float = 1.0  # 1: no nucleus cut
    repetition_penalty: float = 1.0  # 1: none; >1 makes tokens already in the window less likely
    stop: tuple[str, ...] = ()
    use_cache: bool = True


def sampling_options(params: dict[str, Any]) -> SamplingOptions:
    """The options a validated parameter dict (from :func:`sampling_params`) asks for."""
    stops = tuple(s for s in params["stop"].split("|") if s) if params["stop"] else ()
    return SamplingOptions(
        max_new_tokens=params["max_new_tokens"],
        temperature=params["temperature"],
        top_k=params["top_k"],
        top_p=params["top_p"],
        repetition_penalty=params["repetition_penalty"],
        stop=stops,
        use_cache=params["use_cache"],
    )
