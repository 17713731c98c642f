"""Exporting a language model so other tools load it: GGUF (llama.cpp, Ollama, LM Studio) and more.

    refusals        what cannot be exported, said plainly with the alternative
    gguf_tokenizer  tokenizer.json -> GGUF tokenizer metadata
    gguf_tensors    safetensors -> GGUF names, rotary layout and F16 / Q8_0 data
    gguf_file       one atomic GGUF file from a transformers folder
    modelfile       the Ollama Modelfile beside it

Nothing here imports torch at import time; writing a file imports it to read bfloat16 weights.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from .gguf_file import ExportCancelled, GGUFExport, Progress, write_gguf
from .modelfile import write_modelfile
from .refusals import GGUF_TYPES, ExportRefused


def export_gguf(
    folder: Path,
    out: Path,
    gguf_type: str = "f16",
    *,
    progress: Progress | None = None,
    cancelled: Callable[[], bool] = lambda: False,
) -> GGUFExport:
    """``folder`` as the GGUF file ``out``, with an Ollama ``Modelfile`` written beside it."""
    result = write_gguf(
        folder, out, gguf_type, name=out.stem, progress=progress, cancelled=cancelled
    )
    write_modelfile(result.path, result.chat_template, result.stops)
    return result


__all__ = ["GGUF_TYPES", "ExportCancelled", "ExportRefused", "GGUFExport", "export_gguf"]
