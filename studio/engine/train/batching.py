"""Seeded shuffling and batching owned by the engine, with a position that resumes exactly.

Each epoch is a permutation drawn from (seed, epoch) alone, so the position (epoch, offset) is all
it takes to continue the same batch order after a restart. Batches run across epoch boundaries,
so a folder of twenty icons still fills a batch of 64.

Under torchrun every rank draws the same global batch (``batch_size`` x ``ranks``) and keeps its
own slice, so the ranks together see each example once per epoch and share one position.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


class EpochSampler:
    def __init__(
        self, size: int, batch_size: int, seed: int, rank: int = 0, ranks: int = 1
    ) -> None:
        if size <= 0:
            raise ValueError("cannot sample from an empty dataset")
        self.size = size
        self.rank = rank
        self.shard = batch_size  # this rank's part of each global batch
        self.batch_size = batch_size * ranks
        self.seed = seed
        self.epoch = 0
        self.offset = 0
        self._order: list[int] | None = None

    def _permutation(self, epoch: int) -> list[int]:
        import torch

        generator = torch.Generator().manual_seed(self.seed * 1_000_003 + epoch)
        return torch.randperm(self.size, generator=generator).tolist()

    def next_indices(self) -> list[int]:
        indices: list[int] = []
        while len(indices) < self.batch_size:
            if self._order is None:
                self._order = self._permutation(self.epoch)
            take = self._order[self.offset : self.offset + self.batch_size - len(indices)]
            indices.extend(take)
            self.offset += len(take)
            if self.offset >= self.size:
                self.epoch += 1
                self.offset = 0
                self._order = None
        return indices[self.rank * self.shard : (self.rank + 1) * self.shard]

    def position(self) -> dict[str, int]:
        return {"epoch": self.epoch, "offset": self.offset, "seed": self.seed}

    def restore(self, position: dict[str, int]) -> None:
        self.epoch = int(position["epoch"])
        self.offset = int(position["offset"])
        self.seed = int(position.get("seed", self.seed))
        self._order = None


def default_collate(items: list[Any]) -> Any:
    """Stack tensors, or tuples of tensors position by position."""
    import torch

    first = items[0]
    if isinstance(first, torch.Tensor):
        return torch.stack(items)
    if isinstance(first, (tuple, list)):
        return type(first)(default_collate(list(column)) for column in zip(*items, strict=True))
    if isinstance(first, dict):
        return {key: default_collate([item[key] for item in items]) for key in first}
    return torch.as_tensor(items)


def to_device(batch: Any, device: Any) -> Any:
    import torch

    if isinstance(batch, torch.Tensor):
        return batch.to(device, non_blocking=True)
    if isinstance(batch, (tuple, list)):
        return type(batch)(to_device(item, device) for item in batch)
    if isinstance(batch, dict):
        return {key: to_device(value, device) for key, value in batch.items()}
    return batch


def gather(data: Sequence[Any], indices: list[int]) -> list[Any]:
    return [data[i] for i in indices]
