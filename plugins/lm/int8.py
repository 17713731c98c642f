"""Int8 weights for writing on the CPU: the same model, fewer bytes a token.

Writing one token multiplies every weight matrix by one vector, so on a CPU the time a token
takes is mostly the time to stream the weights from memory: PyTorch's matrix products were 82 %
of SmolLM2-135M's 52 ms a token on this project's 2-vCPU machine, reading 536 MB of fp32 weights
at about 14 GB/s. Stored as int8 with one scale per output row (symmetric, round to nearest, as
GGUF's Q8_0 but per row), the weights are a quarter of the bytes; PyTorch's weight-only int8
product (``_weight_int8pack_mm``, the kernel torchao's int8 weight-only mode uses) takes the
input vector in bf16 and measured 2x faster than the fp32 product on weights that do not fit in
the cache. Only the weights are rounded: the input vector keeps bf16's 8-bit mantissa, and
attention, norms and sampling stay in fp32. (FBGEMM's dynamic int8 products were faster still but
round each input vector to 8 bits as well, which cut SmolLM2's next-token agreement with fp32 to
51-81 %.)

The int8 model is a second view of the loaded one, built once per loaded model for generation
only: embeddings, norms and everything that is not a linear layer are shared, not copied, and
training and bits-per-byte figures always use the full-precision weights. A LoRA adapter is merged
into the weights before they are rounded (its ``scaling * B @ A``), so a fine-tuned voice is
written as trained, up to the rounding. What the rounding costs is measured in
docs/benchmarks.md (next-token agreement with fp32 and bits per byte on held-out text).
"""

from __future__ import annotations

import copy
import functools

import torch
from torch import nn


class Int8Linear(nn.Module):
    """``nn.Linear`` with int8 weights (one bf16 scale per row) for generation; fp32 in and out."""

    def __init__(self, weight: torch.Tensor, bias: torch.Tensor | None) -> None:
        super().__init__()
        weight = weight.detach().float()
        # The kernel takes bf16 scales: round each scale to bf16 first and divide by that, so
        # the stored integers are exact for the scale the kernel multiplies by.
        scales = (weight.abs().amax(dim=1) / 127.0).bfloat16()
        scales = torch.where(scales > 0, scales, torch.ones_like(scales))
        quantised = torch.round(weight / scales.float()[:, None]).clamp_(-127, 127)
        self.register_buffer("weight_int8", quantised.to(torch.int8).contiguous())
        self.register_buffer("scales", scales.contiguous())
        self.bias = None if bias is None else bias.detach().float()
        self.in_features, self.out_features = weight.shape[1], weight.shape[0]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        rows = x.reshape(-1, self.in_features).to(torch.bfloat16).contiguous()
        out = torch._weight_int8pack_mm(rows, self.weight_int8, self.scales).float()
        if self.bias is not None:
            out = out + self.bias
        return out.reshape(*x.shape[:-1], self.out_features).to(x.dtype)

    def dequantised(self) -> torch.Tensor:
        """The weights this layer multiplies by, in fp32 (for tests and measurements)."""
        return self.weight_int8.float() * self.scales.float()[:, None]


#: The kernel reads each row in blocks of 16 values: other widths gave wrong sums or crashed
#: (PyTorch 2.13 on x86), so layers of other widths keep their full weights.
ROW_BLOCK = 16


def fits(in_features: int) -> bool:
    """Whether a layer with inputs this wide can use the int8 kernel."""
    return in_features % ROW_BLOCK == 0


@functools.cache
def _kernel_works() -> bool:
    try:
        layer = Int8Linear(torch.eye(2 * ROW_BLOCK), None)
        ones = torch.ones(1, 2 * ROW_BLOCK)
        return bool(torch.allclose(layer(ones), ones, atol=0.02))
    except (RuntimeError, AttributeError):  # an older or newer PyTorch without the kernel
        return False


def available(device: torch.device) -> bool:
    """Whether int8 generation applies: on the CPU, where PyTorch's int8 kernel works."""
    return device.type == "cpu" and _kernel_works()


def effective_weight(layer: nn.Module) -> tuple[torch.Tensor, torch.Tensor | None]:
    """The weight and bias a linear layer computes with: its own, or a LoRA layer's base weight
    plus each active adapter's delta (unless the adapters are switched off or merged already)."""
    from peft.tuners.lora import LoraLayer

    if not isinstance(layer, LoraLayer):
        return layer.weight, layer.bias
    base = layer.get_base_layer()
    weight = base.weight.detach().float()
    if not layer.disable_adapters and not layer.merged:
        for name in layer.active_adapters:
            if name in layer.lora_A:
                weight = weight + layer.get_delta_weight(name).float()
    return weight, base.bias


def int8_copy(model: nn.Module) -> nn.Module:
    """A copy of ``model`` for generation whose linear layers (LoRA merged in) are int8.

    Only the module tree is copied: every parameter and buffer is shared with ``model``, so the
    copy costs the int8 weights and nothing more.
    """
    from peft.tuners.lora import LoraLayer

    memo: dict[int, object] = {id(t): t for t in model.parameters()}
    memo.update({id(t): t for t in model.buffers()})
    twin = copy.deepcopy(model, memo)
    originals = dict(model.named_modules())
    for name, source in originals.items():
        # GPT-2's projections are transformers' Conv1D (weights stored transposed): they, and
        # LoRA layers around them, keep their own weights; its output layer is a Linear.
        if (isinstance(source, LoraLayer) and isinstance(source.get_base_layer(), nn.Linear)) or (
            isinstance(source, nn.Linear) and not _inside_lora(name, originals)
        ):
            weight, bias = effective_weight(source)
            if fits(weight.shape[1]):
                _replace(twin, name, Int8Linear(weight, bias))
    # eval() only: requires_grad stays as it is, since the twin's norms and embeddings are the
    # loaded model's own tensors (trainable ones in a full fine-tune).
    return twin.eval()


def _inside_lora(name: str, modules: dict[str, nn.Module]) -> bool:
    """Whether the module called ``name`` is part of a LoRA layer (its base or its A/B)."""
    from peft.tuners.lora import LoraLayer

    parts = name.split(".")
    return any(isinstance(modules.get(".".join(parts[:i])), LoraLayer) for i in range(len(parts)))


def _replace(root: nn.Module, name: str, new: nn.Module) -> None:
    parent_name, _, child = name.rpartition(".")
    parent = root.get_submodule(parent_name) if parent_name else root
    setattr(parent, child, new)
