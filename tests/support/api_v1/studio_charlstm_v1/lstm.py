"""The torch half of charlstm: data, model, trainer and sampling."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from studio.api import GenerateRequest, ModelHandle, RunContext, TextChunk, Trainer


class CharSequences:
    """Item i: ``seq_len`` characters from i * seq_len (as ids) and the same shifted by one.

    Non-overlapping windows: each character is a target once per epoch, and the engine's seeded
    permutation of these items is the whole of the shuffling.
    """

    def __init__(self, text: str, vocab: list[str], seq_len: int) -> None:
        lookup = {ch: i for i, ch in enumerate(vocab)}
        self.ids = torch.tensor([lookup[ch] for ch in text], dtype=torch.long)
        self.seq_len = seq_len

    def __len__(self) -> int:
        return max(0, (len(self.ids) - 1) // self.seq_len)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        start = index * self.seq_len
        chunk = self.ids[start : start + self.seq_len + 1]
        return chunk[:-1], chunk[1:]


class LSTMModel(nn.Module):
    def __init__(self, vocab: int, embed: int, hidden: int, layers: int, dropout: float) -> None:
        super().__init__()
        self.embed = nn.Embedding(vocab, embed)
        # PyTorch applies LSTM dropout between layers only, so it is meaningless with one layer.
        self.lstm = nn.LSTM(
            embed, hidden, layers, batch_first=True, dropout=dropout if layers > 1 else 0.0
        )
        self.drop = nn.Dropout(dropout)
        self.head = nn.Linear(hidden, vocab)

    def forward(
        self, ids: torch.Tensor, state: tuple[torch.Tensor, torch.Tensor] | None = None
    ) -> tuple[torch.Tensor, tuple[torch.Tensor, torch.Tensor]]:
        """Logits for every position of ``ids`` (batch, time), and the memory after the last."""
        out, state = self.lstm(self.embed(ids), state)
        return self.head(self.drop(out)), state


def sequence_loss(model: LSTMModel, ids: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    logits, _ = model(ids)
    return F.cross_entropy(logits.flatten(0, 1), targets.flatten())


class LSTMTrainer(Trainer):
    def __init__(self, model: ModelHandle, data: Any, params: dict[str, Any], context: Any) -> None:
        self.model, self.data, self.context = model, data, context
        self.clip = params["clip"]
        self.optimizer = torch.optim.AdamW(model.module.parameters(), lr=params["lr"])

    def step(self, batch: Any, step: int) -> dict[str, float]:
        ids, targets = batch
        loss = sequence_loss(self.model.module, ids, targets)
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        metrics = {"loss/train": loss.item()}
        if self.clip:
            # Recurrent nets have exploding gradients now and then; clipping keeps one bad batch
            # from wrecking the weights. The norm before clipping is worth watching.
            norm = nn.utils.clip_grad_norm_(self.model.module.parameters(), self.clip)
            metrics["grad/norm"] = float(norm)
        self.optimizer.step()
        return metrics

    @torch.no_grad()
    def evaluate(self) -> dict[str, float]:
        validation = self.data.validation
        if not validation:
            return {}
        items = [validation[i] for i in range(min(64, len(validation)))]
        ids = torch.stack([i for i, _ in items]).to(self.context.device)
        targets = torch.stack([t for _, t in items]).to(self.context.device)
        self.model.module.eval()
        loss = sequence_loss(self.model.module, ids, targets).item()
        self.model.module.train()
        return {"loss/val": loss}

    def preview(self, step: int) -> list[TextChunk]:
        request = GenerateRequest({"length": 120, "temperature": 0.8, "top_k": 0}, seed=step)
        self.model.module.eval()
        text = "".join(c.text for c in sample(self.model, request, RunContext(self.context.device)))
        self.model.module.train()
        return [TextChunk(text, 0, step)]

    def state_dict(self) -> dict[str, Any]:
        return {"optimizer": self.optimizer.state_dict()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.optimizer.load_state_dict(state["optimizer"])


@torch.no_grad()
def sample(
    model: ModelHandle, request: GenerateRequest, context: RunContext
) -> Iterator[TextChunk]:
    """Read the prompt once, then write one character at a time, carrying the LSTM's memory."""
    vocab: list[str] = model.config["vocab"]
    lookup = {ch: i for i, ch in enumerate(vocab)}
    length = request.params["length"]
    temperature, top_k = request.params["temperature"], request.params.get("top_k", 0)
    device = context.device
    prompt = [lookup[ch] for ch in request.prompt if ch in lookup]
    if request.prompt and len(prompt) < len(request.prompt):
        unknown = len(request.prompt) - len(prompt)
        context.log(f"{unknown} prompt characters are not in the model's alphabet; left out")
    for index in range(request.count):
        seed = request.seed + index  # each sample its own seed: any one can be remade alone
        rng = torch.Generator(device=device).manual_seed(seed)
        start = torch.tensor([prompt or [0]], device=device)
        logits, state = model.module(start)
        logits = logits[0, -1]
        for produced in range(length):
            if temperature == 0:
                choice = int(logits.argmax())
            else:
                scaled = logits / temperature
                if top_k and top_k < scaled.numel():
                    floor = torch.topk(scaled, top_k).values[-1]
                    scaled = scaled.masked_fill(scaled < floor, float("-inf"))
                choice = int(torch.multinomial(F.softmax(scaled, dim=-1), 1, generator=rng))
            context.progress(index * length + produced + 1, request.count * length)
            yield TextChunk(vocab[choice], index, seed)
            step_logits, state = model.module(torch.tensor([[choice]], device=device), state)
            logits = step_logits[0, -1]
