"""Taking an lm model out of Studio: merged and adapter folders, and held-out bits per byte.

- ``adapter``: the LoRA weights as a PEFT adapter folder (``adapter_config.json`` and
  ``adapter_model.safetensors``, keys as ``PeftModel.save_pretrained`` writes them), naming the
  base model's folder, so ``PeftModel.from_pretrained(base, folder)`` loads it;
- ``merged``: the base model with that adapter merged in by peft (``merge_and_unload``), saved
  with transformers' ``save_pretrained`` in safetensors, plus the tokenizer. A full fine-tune is
  saved as it is.
"""

from __future__ import annotations

import math
import tempfile
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F

from studio.api import ModelHandle, StudioError

WINDOW = 256  # tokens scored at a time: the CPU training context


def export_model(handle: ModelHandle, fmt: str, folder: Path) -> None:
    adapter = handle.config.get("adapter")
    full = adapter is not None and adapter["mode"] == "full"
    if fmt == "adapter":
        if adapter is None or full:
            kind = "a full fine-tune" if full else "the imported model itself"
            raise StudioError(f"{kind} has no adapter to export: export it as merged")
        write_adapter(handle, folder)
    elif fmt == "merged":
        if adapter is None or full:
            handle.module.hf.save_pretrained(folder)
        else:
            with tempfile.TemporaryDirectory(dir=folder.parent) as scratch:
                write_adapter(handle, Path(scratch))
                merged = _merged(handle, Path(scratch))
            merged.save_pretrained(folder)
        handle.module.tokens.tokenizer.save_pretrained(folder)
    else:
        raise StudioError(f"lm exports 'merged' or 'adapter', not '{fmt}'")


def write_adapter(handle: ModelHandle, folder: Path) -> None:
    from peft import get_peft_model_state_dict
    from safetensors.torch import save_file

    from .module import lora_config

    base = Path(handle.module.hf.name_or_path)
    config = lora_config(
        handle.config["adapter"], task_type="CAUSAL_LM", base_model_name_or_path=str(base)
    )
    config.save_pretrained(folder)
    weights = get_peft_model_state_dict(handle.module.hf)
    # PeftModel wraps the model as base_model.model: its saved keys carry that prefix.
    prefixed = {f"base_model.model.{k}": v.detach().cpu().contiguous() for k, v in weights.items()}
    save_file(prefixed, str(folder / "adapter_model.safetensors"), metadata={"format": "pt"})


def _merged(handle: ModelHandle, adapter_folder: Path) -> torch.nn.Module:
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    base = AutoModelForCausalLM.from_pretrained(
        handle.module.hf.name_or_path, local_files_only=True, dtype=torch.float32
    )
    return PeftModel.from_pretrained(base, adapter_folder).merge_and_unload()


def bits_per_byte(handle: ModelHandle, text: str, device: Any) -> float:
    """Held-out bits per byte of ``text``: every token scored, in windows of ``WINDOW``."""
    module = handle.module
    ids = module.tokens.encode(text)
    if len(ids) < 2:
        raise StudioError("the held-out text is too short to score")
    nats, size = 0.0, 0
    with torch.no_grad():
        for start in range(0, len(ids) - 1, WINDOW):
            piece = torch.tensor([ids[start : start + WINDOW + 1]], device=device)
            logits = module.hf(input_ids=piece[:, :-1], use_cache=False).logits[0].float()
            nats += float(F.cross_entropy(logits, piece[0, 1:], reduction="sum"))
            size += module.tokens.byte_count(piece[0, 1:].tolist())
    return nats / math.log(2) / max(1, size)
