"""One optimisation step of the GPT, plus held-out loss and preview continuations.

The engine owns the loop (batches, cadence, checkpoints, resume); this owns AdamW, the learning
rate schedule, gradient clipping and mixed precision. The schedule is a pure function of the step,
so resuming needs only the optimiser's state.
"""

from __future__ import annotations

import contextlib
import math
import time
from typing import Any

import torch

from plugins.textkit.params import SamplingOptions
from studio.api import ModelHandle, RunContext, TextChunk, TrainData, Trainer

from .sampling import generate_text
from .tokenizer import Tokenizer


def learning_rate(step: int, *, lr: float, min_lr: float, warmup: int, total: int) -> float:
    """Linear warm-up to ``lr``, then cosine decay to ``min_lr`` at the last step."""
    if step <= warmup:
        return lr * step / max(1, warmup)
    progress = min(1.0, (step - warmup) / max(1, total - warmup))
    return min_lr + 0.5 * (1.0 + math.cos(math.pi * progress)) * (lr - min_lr)


def autocast_dtype(precision: str, device: torch.device) -> torch.dtype | None:
    """bf16 autocast on a CUDA GPU that has it; full fp32 elsewhere (faster on CPUs we measured)."""
    if precision == "fp32":
        return None
    if precision == "bf16" or (precision == "auto" and device.type == "cuda"):
        if device.type == "cuda" and not torch.cuda.is_bf16_supported():
            return None
        return torch.bfloat16
    return None


class GPTTrainer(Trainer):
    def __init__(
        self,
        model: ModelHandle,
        data: TrainData,
        params: dict[str, Any],
        context: RunContext,
        tokenizer: Tokenizer,
    ) -> None:
        self.model = model
        self.module = model.module
        self.data = data
        self.params = params
        self.context = context
        self.tokenizer = tokenizer
        # Weight decay on matrices only; norms' gains and biases are left alone (as in GPT-2).
        matrices = [p for p in self.module.parameters() if p.dim() >= 2]
        others = [p for p in self.module.parameters() if p.dim() < 2]
        self.optimizer = torch.optim.AdamW(
            [
                {"params": matrices, "weight_decay": params["weight_decay"]},
                {"params": others, "weight_decay": 0.0},
            ],
            lr=params["lr"],
            betas=(params["beta1"], params["beta2"]),
            # Fused kernels on CUDA and on the CPU: on the CPU the default per-parameter loop
            # measured about 5 ms of a 65 ms step slower (nanoGPT's CPU configuration).
            fused=context.device.type in ("cuda", "cpu") or None,
        )
        self.dtype = autocast_dtype(params["precision"], context.device)
        if self.dtype is not None:
            context.log(f"mixed precision: {self.dtype} autocast on {context.device.type}")

    def _autocast(self) -> contextlib.AbstractContextManager:
        if self.dtype is None:
            return contextlib.nullcontext()
        return torch.autocast(self.context.device.type, dtype=self.dtype)

    def step(self, batch: torch.Tensor, step: int) -> dict[str, float]:
        began = time.perf_counter()
        lr = learning_rate(
            step,
            lr=self.params["lr"],
            min_lr=self.params["min_lr"],
            warmup=self.params["warmup_steps"],
            total=self.context.total_steps or self.params["steps"],
        )
        for group in self.optimizer.param_groups:
            group["lr"] = lr
        inputs, targets = batch[:, :-1], batch[:, 1:]
        with self._autocast():
            _, loss = self.module(inputs, targets)
        loss.backward()
        if self.params["grad_clip"] > 0:
            torch.nn.utils.clip_grad_norm_(self.module.parameters(), self.params["grad_clip"])
        self.optimizer.step()
        self.optimizer.zero_grad(set_to_none=True)
        # The one device sync per step: the loss value the user sees.
        value = loss.item()
        seconds = time.perf_counter() - began
        return {
            "loss/train": value,
            "lr/lr": lr,
            "speed/tokens_per_s": inputs.numel() / seconds,
        }

    # The engine puts the model in eval mode (and back) around evaluate and preview.

    def evaluate(self) -> dict[str, float]:
        """Mean loss over random held-out windows (nanoGPT's estimate), the same ones each time."""
        validation = self.data.validation
        if validation is None or len(validation) == 0:
            return {}
        generator = torch.Generator().manual_seed(1234)
        batch_size = self.params["batch_size"]
        losses = []
        for _ in range(self.params["eval_batches"]):
            rows = torch.randint(len(validation), (batch_size,), generator=generator).tolist()
            batch = torch.stack([validation[i] for i in rows]).to(self.context.device)
            with self._autocast():
                _, loss = self.module(batch[:, :-1], batch[:, 1:])
            losses.append(loss.float())
        return {"loss/val": torch.stack(losses).mean().item()}

    def preview(self, step: int) -> list[TextChunk]:
        """A continuation of the same prompt with the same seed, so previews show progress only."""
        options = SamplingOptions(max_new_tokens=self.params["preview_tokens"], temperature=0.8)
        text = "".join(
            generate_text(
                self.module,
                self.tokenizer,
                self.params["preview_prompt"],
                options,
                seed=0,
                device=self.context.device,
            )
        )
        return [TextChunk(text, 0, 0)]

    def distributed_modules(self) -> list[str]:
        # One forward and one backward of the whole model per step: DDP averages the gradients
        # while the backward pass runs, and clipping then sees the averaged gradient.
        return ["module"]

    def state_dict(self) -> dict[str, Any]:
        return {"optimizer": self.optimizer.state_dict()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.optimizer.load_state_dict(state["optimizer"])
