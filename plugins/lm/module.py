"""The live model: a transformers causal LM, and the part of it that training changes.

Studio saves a module's ``state_dict`` in every checkpoint. :class:`LMModule` keeps the base
model out of its own ``state_dict`` and registers only the trainable tensors (the LoRA adapter,
or every weight in full fine-tuning), so a checkpoint holds megabytes, not the base model; the
base is named by content hash in the manifest and loaded from the library's store.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from torch import nn

from studio.api import CheckpointError, ModelHandle

from .attention import register as register_attention
from .tokens import HFTokens

LORA_PREFIX = "lora_"


class LMModule(nn.Module):
    def __init__(self, model: nn.Module, tokens: HFTokens) -> None:
        super().__init__()
        # object.__setattr__: a plain attribute, so the base model is no submodule of this one
        # and none of its weights reach state_dict() or parameters().
        object.__setattr__(self, "hf", model)
        object.__setattr__(self, "tokens", tokens)
        self.trainable = nn.ParameterDict()

    def _apply(self, fn: Any, recurse: bool = True) -> LMModule:
        # .to(device) and friends move the base model too (its tensors change in place, so the
        # trainable parameters, which it shares, stay shared).
        self.hf._apply(fn, recurse)
        return super()._apply(fn, recurse)

    def train(self, mode: bool = True) -> LMModule:
        self.hf.train(mode)
        return super().train(mode)

    def named_modules(self, memo: Any = None, prefix: str = "", remove_duplicate: bool = True):
        # Whoever walks the modules (Studio switching eval mode and back, say) sees the base
        # model's too; state_dict() and parameters() do not walk this way and stay adapter-only.
        memo = set() if memo is None else memo
        yield from super().named_modules(memo, prefix, remove_duplicate)
        inner = f"{prefix}.hf" if prefix else "hf"
        yield from self.hf.named_modules(memo, inner, remove_duplicate)

    def forward(self, input_ids: torch.Tensor, **kwargs: Any) -> Any:
        return self.hf(input_ids=input_ids, **kwargs)

    @property
    def context_limit(self) -> int:
        config = self.hf.config.get_text_config()
        for name in ("max_position_embeddings", "n_positions", "n_ctx"):
            if getattr(config, name, None):
                return int(getattr(config, name))
        return 2048

    def register_trainable(self, predicate: Any) -> None:
        """Register the base model's parameters that ``predicate(name)`` selects as trainable."""
        for name, parameter in self.hf.named_parameters():
            chosen = predicate(name)
            parameter.requires_grad_(chosen)
            if chosen:
                # ParameterDict keys cannot hold dots; "/" maps back to the module path.
                self.trainable[name.replace(".", "/")] = parameter


def load_base(folder: Path, device: torch.device | None = None) -> tuple[nn.Module, HFTokens]:
    """The stored model and its tokenizer, in fp32, with PyTorch's fused attention (see
    :mod:`.attention` for the one-token case)."""
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from transformers.utils import logging

    logging.disable_progress_bar()  # Studio reports progress itself; no bars on the console
    try:
        tokenizer = AutoTokenizer.from_pretrained(
            folder, local_files_only=True, trust_remote_code=False
        )
        model = AutoModelForCausalLM.from_pretrained(
            folder,
            local_files_only=True,
            trust_remote_code=False,
            dtype=torch.float32,
            attn_implementation=register_attention(),
        )
    except (OSError, ValueError) as error:
        raise CheckpointError(f"the base model in {folder} does not load: {error}") from None
    return model, HFTokens(tokenizer)


def lora_config(adapter: dict[str, Any], **extra: Any) -> Any:
    """peft's ``LoraConfig`` for the adapter a model's config describes (``extra``: more fields,
    such as the task and base model an exported adapter folder names)."""
    from peft import LoraConfig

    return LoraConfig(
        r=adapter["rank"],
        lora_alpha=adapter["alpha"],
        lora_dropout=adapter["dropout"],
        target_modules=adapter["targets"],
        bias="none",
        **extra,
    )


def attach_adapter(module: LMModule, adapter: dict[str, Any]) -> None:
    """LoRA on every linear projection (peft's ``all-linear``), or full fine-tuning."""
    if adapter["mode"] == "full":
        module.register_trainable(lambda name: True)
        return
    from peft import inject_adapter_in_model

    inject_adapter_in_model(lora_config(adapter), module.hf)
    module.register_trainable(lambda name: LORA_PREFIX in name)
    if not module.trainable:
        raise CheckpointError(f"LoRA found no layers named {adapter['targets']!r} to adapt")


def build_handle(config: dict[str, Any], base: Path) -> ModelHandle:
    """The handle for a library entry or checkpoint: base loaded, adapter (if any) in place."""
    model, tokens = load_base(base)
    module = LMModule(model, tokens)
    if config.get("adapter"):
        attach_adapter(module, config["adapter"])
    return ModelHandle(module, dict(config))


def set_adapters_enabled(module: LMModule, enabled: bool) -> None:
    """Switch the LoRA layers off (the base model alone) or on again."""
    from peft.tuners.tuners_utils import BaseTunerLayer

    for layer in module.hf.modules():
        if isinstance(layer, BaseTunerLayer):
            layer.enable_adapters(enabled)
