"""LoRA (or full) fine-tuning of a pretrained model: one AdamW step, held-out bits per byte.

Bits per byte divides the held-out negative log-likelihood (in bits) by the UTF-8 bytes of the
text it scored, so it does not depend on the tokenizer and any two models compare.

The loss over the vocabulary is computed a chunk of positions at a time, with each chunk's logits
recomputed in the backward pass instead of kept (SmolLM2's 49k vocabulary makes the logits of a
4 x 256 batch 200 MB, and cross-entropy keeps two more copies of that size).
"""

from __future__ import annotations

import math
import os
import time
from typing import Any

import torch
import torch.nn.functional as F
from torch.utils.checkpoint import checkpoint

from plugins.textkit.params import SamplingOptions
from studio.api import ModelHandle, RunContext, TextChunk, TrainData, Trainer

from .generate import generate_text
from .module import LMModule, set_adapters_enabled

LOSS_CHUNK = 256  # positions per logits chunk
LN2 = math.log(2.0)
# Architectures whose logits pass through more than the output layer (soft-capping, scaling)
# are left to the model's own forward pass.
LOGIT_EXTRAS = ("final_logit_softcapping", "logit_scale", "logits_scaling", "output_multiplier")


# ``host_memory=auto`` goes lean when the fast setting's peak, about this many times the weights
# (measured: 4.0x in bf16, 4.8x in fp32, SmolLM2-135M at batch 4 x 256), would take more than a
# quarter of the machine's memory.
FAST_PEAK_TIMES_WEIGHTS = 5
LEAN_ABOVE_SHARE = 0.25


class LMTrainer(Trainer):
    def __init__(
        self, model: ModelHandle, data: TrainData, params: dict[str, Any], context: RunContext
    ) -> None:
        self.module: LMModule = model.module
        self.data = data
        self.params = params
        self.context = context
        self.device = context.device
        self.total = max(1, context.total_steps)
        trainable = list(self.module.trainable.values())
        self.optimizer = torch.optim.AdamW(
            trainable,
            lr=params["lr"],
            betas=(0.9, 0.999),
            weight_decay=params["weight_decay"],
            foreach=True,
        )
        self.autocast = use_bf16(self.device, params["precision"], context.log)
        self.host_memory = host_memory_choice(self.module, params["host_memory"], context.log)
        if params["checkpointing"]:
            enable_checkpointing(self.module.hf)
        text = self.module.hf.config.get_text_config()
        self.chunked = not any(getattr(text, name, None) for name in LOGIT_EXTRAS)
        count = sum(p.numel() for p in trainable)
        context.log(f"training {count / 1e6:.2f}M parameters ({params['method']})")

    # -- the schedule ---------------------------------------------------------------------------

    def learning_rate(self, step: int) -> float:
        """Linear warm-up over a fraction of the run, then cosine decay to ``min_lr``."""
        warmup = max(1, round(self.params["warmup_fraction"] * self.total))
        peak, low = self.params["lr"], self.params["min_lr"]
        if step <= warmup:
            return peak * step / warmup
        progress = min(1.0, (step - warmup) / max(1, self.total - warmup))
        return low + 0.5 * (peak - low) * (1 + math.cos(math.pi * progress))

    # -- one step -------------------------------------------------------------------------------

    def step(self, batch: torch.Tensor, step: int) -> dict[str, float]:
        values: dict[str, float] = {}
        if step == 1 and self.data.validation is not None:
            # The starting point of the curve: the base model alone, before any update.
            with torch.no_grad():
                set_adapters_enabled(self.module, False)
                try:
                    values["bits_per_byte/base"] = self.evaluate()["bits_per_byte/val"]
                finally:
                    set_adapters_enabled(self.module, True)
        began = time.perf_counter()
        for group in self.optimizer.param_groups:
            group["lr"] = self.learning_rate(step)
        inputs, targets = batch[:, :-1], batch[:, 1:]
        try:
            with torch.autocast(self.device.type, torch.bfloat16, enabled=self.autocast):
                loss = self.loss(inputs, targets)
            loss.backward()
        except torch.OutOfMemoryError as error:
            # The weights are untouched (no optimiser step yet); drop the gradients so the memory
            # can be freed, and say what helps. Studio keeps the last checkpoint.
            self.optimizer.zero_grad(set_to_none=True)
            error.add_note("try a shorter context, a smaller batch_size or a lower lora_rank")
            raise
        if self.params["grad_clip"]:
            torch.nn.utils.clip_grad_norm_(self.module.trainable.values(), self.params["grad_clip"])
        self.optimizer.step()
        self.optimizer.zero_grad(set_to_none=True)
        seconds = time.perf_counter() - began
        values["loss/train"] = float(loss.detach())
        values["speed/tokens_per_s"] = targets.numel() / seconds
        return values

    def loss(self, inputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        """Mean cross-entropy of ``targets`` after ``inputs``."""
        model = self.module.hf
        if not self.chunked:
            logits = model(input_ids=inputs, use_cache=False).logits
            return F.cross_entropy(logits.flatten(0, 1).float(), targets.flatten())
        hidden = model.base_model(input_ids=inputs, use_cache=False).last_hidden_state
        hidden, targets = hidden.flatten(0, 1), targets.flatten()
        head = model.get_output_embeddings()
        total = hidden.new_zeros(())
        for start in range(0, len(targets), LOSS_CHUNK):
            part = slice(start, start + LOSS_CHUNK)
            total = total + checkpoint(
                _summed_loss, head, hidden[part], targets[part], use_reentrant=False
            )
        return total / len(targets)

    # -- evaluation and previews ----------------------------------------------------------------

    def evaluate(self) -> dict[str, float]:
        validation = self.data.validation
        if validation is None:
            return {}
        was_training = self.module.training
        self.module.eval()
        nats, count, size = 0.0, 0, 0
        windows = min(len(validation), self.params["eval_windows"])
        try:
            for index in range(windows):
                row = validation[index].to(self.device)
                inputs, targets = row[None, :-1], row[None, 1:]
                with torch.autocast(self.device.type, torch.bfloat16, enabled=self.autocast):
                    logits = self.module.hf(input_ids=inputs, use_cache=False).logits
                nats += float(F.cross_entropy(logits[0].float(), targets[0], reduction="sum"))
                count += targets.numel()
                size += self.module.tokens.byte_count(targets[0].tolist())
        finally:
            self.module.train(was_training)
        return {"loss/val": nats / count, "bits_per_byte/val": nats / LN2 / max(1, size)}

    def preview(self, step: int) -> list[TextChunk]:
        options = SamplingOptions(max_new_tokens=self.params["preview_tokens"], temperature=0.8)
        self.module.eval()
        try:
            text = "".join(
                generate_text(
                    self.module,
                    self.params["preview_prompt"],
                    options,
                    seed=step,
                    device=self.device,
                )
            )
        finally:
            self.module.train()
        return [TextChunk(text, 0, step)]

    def state_dict(self) -> dict[str, Any]:
        # The precision chosen is kept, so a resumed run computes exactly as the first part did.
        return {"optimizer": self.optimizer.state_dict(), "bf16": int(self.autocast)}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.optimizer.load_state_dict(state["optimizer"])
        self.autocast = bool(state.get("bf16", self.autocast))


def host_memory_choice(module: LMModule, setting: str, log: Any) -> str:
    """The engine's host-memory mode for this run (``Trainer.host_memory``).

    Kept freed blocks fragment the heap: SmolLM2-135M's LoRA step peaked at 4-5x its weights
    that way, and at 2.4x when every big block went back to the system at once, which made the
    step 40-45 % slower on a CPU (each fresh page is cleared by the system again). So ``auto``
    pays that only where the memory is worth it.
    """
    if setting != "auto":
        return "lean" if setting == "lean" else "reuse"
    weights = sum(p.numel() * p.element_size() for p in module.hf.parameters())
    total = _physical_memory()
    lean = total is None or FAST_PEAK_TIMES_WEIGHTS * weights > LEAN_ABOVE_SHARE * total
    if lean:
        log(
            f"lean host memory: the model's {weights / 2**30:.1f} GiB of weights are big beside "
            "this machine's memory (host_memory=fast is faster, if memory allows)"
        )
    return "lean" if lean else "reuse"


def _physical_memory() -> int | None:
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):  # Windows has no sysconf
        return None


def enable_checkpointing(model: torch.nn.Module) -> None:
    """Activation checkpointing per decoder layer (transformers' own), non-reentrant: frozen
    inputs need no gradient, and the random state is replayed, so dropout masks match."""
    if not getattr(model, "supports_gradient_checkpointing", False):
        return
    kwargs = {"use_reentrant": False}
    if hasattr(model, "activation_checkpointing_enable"):
        model.activation_checkpointing_enable(activation_checkpointing_kwargs=kwargs)
    else:
        model.gradient_checkpointing_enable(gradient_checkpointing_kwargs=kwargs)


def use_bf16(device: torch.device, precision: str, log: Any) -> bool:
    """bf16 autocast on CUDA; on the CPU only when asked, or (``auto``) when it measures faster.

    CPUs with bf16 instructions (AVX-512 BF16, AMX) multiply bf16 matrices several times faster
    than fp32 ones; others emulate it and are slower. A few products of a typical shape, timed
    here, decide; the master weights and the optimiser stay in fp32 either way.
    """
    if device.type == "cuda":
        return precision in ("auto", "bf16")
    if precision != "auto":
        return precision == "bf16"
    timings = {dtype: _matmul_seconds(dtype) for dtype in (torch.float32, torch.bfloat16)}
    faster = timings[torch.bfloat16] < 0.8 * timings[torch.float32]
    ratio = timings[torch.float32] / timings[torch.bfloat16]
    log(
        f"bf16 matrix products measured {ratio:.1f}x the speed of fp32 on this CPU: "
        + ("training with bf16 autocast" if faster else "training in fp32")
    )
    return faster


def _matmul_seconds(dtype: torch.dtype, size: int = 384, repeats: int = 5) -> float:
    a, b = torch.randn(size, size, dtype=dtype), torch.randn(size, 4 * size, dtype=dtype)
    torch.mm(a, b)  # the first call pays for kernel selection
    best = float("inf")
    for _ in range(repeats):
        began = time.perf_counter()
        torch.mm(a, b)
        best = min(best, time.perf_counter() - began)
    return best


def _summed_loss(
    head: torch.nn.Module, hidden: torch.Tensor, targets: torch.Tensor
) -> torch.Tensor:
    return F.cross_entropy(head(hidden).float(), targets, reduction="sum")
