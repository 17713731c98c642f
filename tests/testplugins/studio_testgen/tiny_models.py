"""The torch half of the test generators, imported only when a job needs it."""

from __future__ import annotations

import os
import signal
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from studio.api import DataError, ImageSample, ModelHandle, TextChunk, Trainer


class CharWindows:
    """Item i: (context characters, the next one) as index tensors."""

    def __init__(self, text: str, vocab: list[str], context: int) -> None:
        lookup = {ch: i for i, ch in enumerate(vocab)}
        self.ids = torch.tensor([lookup[ch] for ch in text], dtype=torch.long)
        self.context = context

    def __len__(self) -> int:
        return max(0, len(self.ids) - self.context)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        return self.ids[index : index + self.context], self.ids[index + self.context]


class CharMLP(nn.Module):
    def __init__(self, vocab: int, context: int, hidden: int, dropout: float) -> None:
        super().__init__()
        self.embed = nn.Embedding(vocab, 8)
        self.hidden = nn.Linear(8 * context, hidden)
        self.drop = nn.Dropout(dropout)
        self.out = nn.Linear(hidden, vocab)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        x = self.embed(ids).flatten(1)
        return self.out(self.drop(torch.tanh(self.hidden(x))))


class CharTrainer(Trainer):
    def __init__(self, model: ModelHandle, data: Any, params: dict[str, Any], context: Any) -> None:
        self.model = model
        self.data = data
        self.params = params
        self.context = context
        self.optimizer = torch.optim.AdamW(model.module.parameters(), lr=params["lr"])

    def step(self, batch: Any, step: int) -> dict[str, float]:
        if self.params["step_delay_ms"]:
            time.sleep(self.params["step_delay_ms"] / 1000)
        how = self.params["fail_with"]
        # A crash of the process happens in a fresh run only, so a resumed run goes past it.
        fresh = how in ("error", "out-of-memory") or self.context.start_step == 0
        if self.params["fail_at_step"] and step == self.params["fail_at_step"] and fresh:
            crash(how, step)
        ids, target = batch
        loss = F.cross_entropy(self.model.module(ids), target)
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        self.optimizer.step()
        return {"loss/train": loss.item()}

    def evaluate(self) -> dict[str, float]:
        if self.data.validation is None or len(self.data.validation) == 0:
            return {}
        items = [self.data.validation[i] for i in range(min(64, len(self.data.validation)))]
        ids = torch.stack([i for i, _ in items]).to(self.context.device)
        target = torch.stack([t for _, t in items]).to(self.context.device)
        loss = F.cross_entropy(self.model.module(ids), target).item()
        return {"loss/val": loss}

    def preview(self, step: int) -> list[TextChunk]:
        from studio.api import GenerateRequest, RunContext

        request = GenerateRequest(
            {"max_new_chars": 20, "temperature": 1.0, "delay_ms": 0}, seed=step
        )
        text = "".join(
            c.text for c in sample_chars(self.model, request, RunContext(self.context.device))
        )
        return [TextChunk(text, 0, step)]

    def state_dict(self) -> dict[str, Any]:
        return {"optimizer": self.optimizer.state_dict()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.optimizer.load_state_dict(state["optimizer"])


def crash(how: str, step: int) -> None:
    """The ways a plugin's step goes wrong, from an exception to taking its process down."""
    if how == "out-of-memory":
        raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 20.00 GiB")
    if how == "segfault":
        import ctypes

        ctypes.string_at(0)  # reads address 0: SIGSEGV
    elif how == "abort":
        os.abort()
    elif how == "exit":
        os._exit(3)
    elif how == "sys-exit":
        sys.exit(0)  # a plugin that ends the process "successfully" mid-step
    elif how == "sigkill":
        os.kill(os.getpid(), signal.SIGKILL)
    elif how == "hang":
        time.sleep(3600)
    raise RuntimeError(f"planned failure at step {step}")


def sample_chars(model: ModelHandle, request: Any, context: Any) -> Iterator[TextChunk]:
    vocab: list[str] = model.config["vocab"]
    lookup = {ch: i for i, ch in enumerate(vocab)}
    width = model.config["context"]
    device = context.device
    total = request.params["max_new_chars"] * request.count
    for index in range(request.count):
        seed = request.seed + index
        generator = torch.Generator(device=device).manual_seed(seed)
        ids = [lookup[ch] for ch in request.prompt if ch in lookup] or [0]
        ids = ([0] * width + ids)[-width:]
        for produced in range(request.params["max_new_chars"]):
            logits = model.module(torch.tensor([ids[-width:]], device=device))[0]
            temperature = request.params["temperature"]
            if temperature == 0:
                choice = int(logits.argmax())
            else:
                probs = F.softmax(logits / temperature, dim=-1)
                choice = int(torch.multinomial(probs, 1, generator=generator))
            ids.append(choice)
            if request.params.get("delay_ms"):
                time.sleep(request.params["delay_ms"] / 1000)
            if request.params.get("exit_after") and produced + 1 >= request.params["exit_after"]:
                sys.exit(0)  # a plugin that ends the process "successfully" mid-generation
            context.progress(index * request.params["max_new_chars"] + produced + 1, total)
            yield TextChunk(vocab[choice], index, seed)


def read_images(source: Path, size: int, report: Any) -> list[torch.Tensor]:
    from PIL import Image

    files = [source] if source.is_file() else sorted(p for p in source.rglob("*") if p.is_file())
    images = []
    for file in files:
        try:
            with Image.open(file) as image:
                grey = image.convert("L").resize((size, size))
                images.append(torch.from_numpy(np.asarray(grey, dtype=np.float32) / 255.0))
                report.use(file)
        except Exception as error:
            report.skip(file, f"{type(error).__name__}: {error}")
    if not images:
        raise DataError(f"no readable images in {source}")
    return images


class PixNet(nn.Module):
    def __init__(self, latent: int, size: int) -> None:
        super().__init__()
        self.latent = latent
        self.size = size
        self.net = nn.Sequential(nn.Linear(latent, 32), nn.ReLU(), nn.Linear(32, size * size))

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(self.net(z)).view(-1, self.size, self.size)


class PixTrainer(Trainer):
    def __init__(self, model: ModelHandle, params: dict[str, Any], context: Any) -> None:
        self.model = model
        self.context = context
        self.optimizer = torch.optim.Adam(model.module.parameters(), lr=params["lr"])

    def step(self, batch: torch.Tensor, step: int) -> dict[str, float]:
        z = torch.randn(batch.shape[0], self.model.module.latent, device=batch.device)
        loss = F.mse_loss(self.model.module(z), batch)
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        self.optimizer.step()
        return {"loss/mse": loss.item()}

    def preview(self, step: int) -> list[ImageSample]:
        from studio.api import GenerateRequest, RunContext

        request = GenerateRequest({"brightness": 1.0}, seed=0, count=2)
        return list(sample_images(self.model, request, RunContext(self.context.device)))

    def state_dict(self) -> dict[str, Any]:
        return {"optimizer": self.optimizer.state_dict()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.optimizer.load_state_dict(state["optimizer"])


def sample_images(model: ModelHandle, request: Any, context: Any) -> Iterator[ImageSample]:
    module = model.module
    for index in range(request.count):
        seed = request.seed + index
        generator = torch.Generator(device=context.device).manual_seed(seed)
        z = torch.randn(1, module.latent, generator=generator, device=context.device)
        image = (module(z)[0] * request.params["brightness"]).clamp(0, 1)
        pixels = (image * 255).round().to(torch.uint8).cpu().numpy()[:, :, None]
        context.progress(index + 1, request.count)
        yield ImageSample(pixels, index, seed)
