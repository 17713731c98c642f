"""What Studio cannot export, said plainly with the alternative.

Every refusal is an :class:`ExportRefused`: a one-line message the window shows as is and the
command line prints after ``studio: error:``. Nothing has been written when one is raised.
"""

from __future__ import annotations

from studio.api import StudioError

#: GGUF types this writer produces in pure Python, by the name users type.
GGUF_TYPES = ("f16", "q8_0")

# Quantisations people ask for that need llama.cpp's compiled tools (the k-quants and i-quants
# search per block for scales; the gguf package only ships reference quantisers for a few types).
NEEDS_LLAMA_CPP = (
    "q2_k",
    "q3_k_s",
    "q3_k_m",
    "q3_k_l",
    "q4_0",
    "q4_1",
    "q4_k_s",
    "q4_k_m",
    "q5_0",
    "q5_1",
    "q5_k_s",
    "q5_k_m",
    "q6_k",
    "iq2_xs",
    "iq3_xs",
    "iq4_xs",
)


class ExportRefused(StudioError):
    """This model or this format cannot be exported; the message says why and what to do."""


def check_gguf_type(name: str) -> str:
    """The GGUF type ``name`` in lower case, or an :class:`ExportRefused` saying what to use."""
    wanted = name.strip().lower()
    if wanted in GGUF_TYPES:
        return wanted
    if wanted in NEEDS_LLAMA_CPP:
        return _raise(
            f"GGUF {name.upper()} needs llama.cpp's compiled quantize tool, which Studio does not "
            "ship: export F16 here, then run `llama-quantize model-f16.gguf model.gguf "
            f"{name.upper()}` (or use Q8_0, which Studio writes itself)"
        )
    return _raise(f"unknown GGUF type '{name}': Studio writes one of {', '.join(GGUF_TYPES)}")


def _raise(message: str) -> str:
    raise ExportRefused(message)
