"""Training on several processes under torchrun: ranks, gradients, and who writes.

torchrun (``torch.distributed.run``) starts one process per rank and sets RANK, WORLD_SIZE and
LOCAL_RANK; :func:`start` finds them and joins the group (gloo on the CPU, nccl on CUDA, one GPU
per local rank). Then, for the training loop:

- **Gradients.** The modules a trainer names in ``Trainer.distributed_modules()`` are wrapped in
  DistributedDataParallel (their gradients are averaged while the backward pass runs). Every
  other parameter, which is all of them for a trainer that names none, has its gradient averaged
  just before its optimiser steps (a hook on every optimiser): any trainer works unchanged,
  a GAN's two optimisers included. Gradient clipping in such a trainer then sees its rank's
  gradient, not the average.
- **Data.** Every rank draws the same global batch (batch_size x ranks, from the engine's seeded
  permutation, the epoch in its seed) and takes its own slice: each example once per epoch.
- **Agreement.** Each step's metrics are averaged over the ranks in one all-reduce that also
  carries every rank's cancel flag, so all ranks stop at the same step. Checkpoints are written
  by rank 0 between two barriers, with every rank's random state, and after checking that the
  parameters are identical on every rank.
- **Randomness.** Rank r > 0 reseeds with ``seed + r`` after the model is built (identical
  weights on every rank, different dropout and noise); resume restores each rank's own state.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from studio.api import StudioError
from studio.engine.process.lifeline import die_with_parent


def detect() -> tuple[int, int, int] | None:
    """(rank, world size, local rank) under torchrun; None for one process."""
    world = int(os.environ.get("WORLD_SIZE", "1") or 1)
    if world <= 1:
        return None
    return int(os.environ["RANK"]), world, int(os.environ.get("LOCAL_RANK", "0"))


@dataclass
class Ranks:
    rank: int
    world: int
    local_rank: int
    device: Any
    wrapped: dict[str, Any] = field(default_factory=dict)  # trainer attribute -> inner module
    _hook: Any = None

    @property
    def main(self) -> bool:
        return self.rank == 0

    # -- collectives ----------------------------------------------------------------------------

    def barrier(self) -> None:
        import torch.distributed as dist

        dist.barrier()

    def _cpu_or_device(self, tensor: Any) -> Any:
        return tensor.to(self.device) if self.device.type == "cuda" else tensor

    def broadcast_text(self, text: str | None) -> str:
        """Rank 0's ``text`` on every rank (a run's folder, the checkpoint a resume starts from)."""
        return self.gather_json(text if self.main else None)[0]

    def gather_json(self, value: Any) -> list[Any]:
        """Every rank's JSON-able ``value``, in rank order, on every rank (bytes, not pickle)."""
        import torch
        import torch.distributed as dist

        data = json.dumps(value).encode()
        size = self._cpu_or_device(torch.tensor([len(data)], dtype=torch.long))
        sizes = [torch.zeros_like(size) for _ in range(self.world)]
        dist.all_gather(sizes, size)
        longest = max(int(s) for s in sizes)
        buffer = torch.zeros(longest, dtype=torch.uint8)
        buffer[: len(data)] = torch.frombuffer(bytearray(data), dtype=torch.uint8)
        buffer = self._cpu_or_device(buffer)
        parts = [torch.zeros_like(buffer) for _ in range(self.world)]
        dist.all_gather(parts, buffer)
        return [
            json.loads(bytes(p[: int(s)].cpu().tolist())) for p, s in zip(parts, sizes, strict=True)
        ]

    def reduce_step(self, values: dict[str, float], cancel: bool) -> tuple[dict[str, float], bool]:
        """The step's metrics averaged over the ranks, and whether any rank was cancelled."""
        import torch
        import torch.distributed as dist

        names = sorted(values)
        packed = torch.tensor([values[n] for n in names] + [float(cancel)], dtype=torch.float64)
        packed = self._cpu_or_device(packed)
        dist.all_reduce(packed)
        total = packed.cpu().tolist()
        return {n: total[i] / self.world for i, n in enumerate(names)}, total[-1] > 0

    # -- the model ------------------------------------------------------------------------------

    def prepare(self, torch: Any, model: Any, trainer: Any) -> None:
        """Same weights everywhere, DDP around what the trainer names, averaging for the rest."""
        import torch.distributed as dist
        from torch.nn.parallel import DistributedDataParallel
        from torch.optim.optimizer import register_optimizer_step_pre_hook

        for tensor in model.module.state_dict().values():
            dist.broadcast(tensor, 0)
        names = list(getattr(trainer, "distributed_modules", lambda: [])() or [])
        covered: set[int] = set()
        for name in names:
            inner = getattr(trainer, name, None)
            if not isinstance(inner, torch.nn.Module):
                raise StudioError(
                    f"Trainer.distributed_modules() named '{name}', which is not a torch module"
                )
            ids = [self.local_rank] if self.device.type == "cuda" else None
            # No buffer broadcast: a forward pass never waits for the other ranks (rank 0 alone
            # runs previews). Batch-norm statistics stay each rank's own; rank 0's are saved.
            setattr(
                trainer,
                name,
                DistributedDataParallel(inner, device_ids=ids, broadcast_buffers=False),
            )
            self.wrapped[name] = inner
            covered |= {id(p) for p in inner.parameters()}
        world = self.world

        def average(optimizer: Any, _args: Any, _kwargs: Any) -> None:
            grads = [
                p.grad
                for group in optimizer.param_groups
                for p in group["params"]
                if p.grad is not None and id(p) not in covered
            ]
            for same in _by_kind(grads):
                flat = torch._utils._flatten_dense_tensors(same)
                dist.all_reduce(flat)
                flat /= world
                for grad, synced in zip(
                    same, torch._utils._unflatten_dense_tensors(flat, same), strict=True
                ):
                    grad.copy_(synced)

        self._hook = register_optimizer_step_pre_hook(average)

    @contextlib.contextmanager
    def unwrapped(self, trainer: Any) -> Iterator[None]:
        """Evaluation and previews (rank 0 only) call the plain modules: no collective inside."""
        wrappers = {name: getattr(trainer, name) for name in self.wrapped}
        for name, inner in self.wrapped.items():
            setattr(trainer, name, inner)
        try:
            yield
        finally:
            for name, wrapper in wrappers.items():
                setattr(trainer, name, wrapper)

    def check_identical(self, module: Any, step: int) -> str:
        """Fail loudly if the ranks' parameters ever differ; a line for the log when they agree."""
        digest = hashlib.sha256()
        for name, tensor in sorted(module.state_dict().items()):
            if tensor.is_floating_point() and "running" not in name:
                digest.update(tensor.detach().cpu().contiguous().numpy().tobytes())
        digests = self.gather_json(digest.hexdigest())
        if len(set(digests)) != 1:
            raise RuntimeError(f"parameters differ between ranks at step {step}: {digests}")
        return f"step {step}: parameters identical on all {self.world} ranks ({digests[0][:12]})"

    def close(self) -> None:
        if self._hook is not None:
            self._hook.remove()
            self._hook = None


def _by_kind(tensors: list[Any]) -> list[list[Any]]:
    kinds: dict[tuple[Any, Any], list[Any]] = {}
    for tensor in tensors:
        kinds.setdefault((tensor.device, tensor.dtype), []).append(tensor)
    return list(kinds.values())


def start(device: Any) -> Ranks | None:
    """Join torchrun's group when there is one; ``device`` is the device the user chose."""
    found = detect()
    if found is None:
        return None
    import torch
    import torch.distributed as dist

    rank, world, local_rank = found
    die_with_parent()  # torchrun's agent: if it is killed, so is every rank
    if device.type == "cuda":
        device = torch.device("cuda", local_rank)
        torch.cuda.set_device(device)
    elif device.type != "cpu":
        raise StudioError(f"training on several processes needs CUDA or the CPU, not {device}")
    if not dist.is_initialized():
        backend = "nccl" if device.type == "cuda" else "gloo"
        dist.init_process_group(backend, timeout=timedelta(minutes=30))
    return Ranks(rank, world, local_rank, device)


def rank_seed(seed: int, rank: int) -> int:
    return seed + rank


def rng_to_json(state: dict[str, Any]) -> dict[str, Any]:
    """capture_rng's state with torch's byte tensors as lists, for gather_json."""
    plain = dict(state)
    plain["torch"] = state["torch"].tolist()
    if "cuda" in state:
        plain["cuda"] = [s.tolist() for s in state["cuda"]]
    return plain


def rng_from_json(plain: dict[str, Any]) -> dict[str, Any]:
    import torch

    state = dict(plain)
    state["torch"] = torch.tensor(plain["torch"], dtype=torch.uint8)
    if "cuda" in plain:
        state["cuda"] = [torch.tensor(s, dtype=torch.uint8) for s in plain["cuda"]]
    return state


def own_rng(state: dict[str, Any], rank: int, world: int) -> dict[str, Any]:
    """This rank's random state from a checkpoint: exact when it has one per rank, as saved."""
    per_rank = json.loads(state["rng_ranks"]) if "rng_ranks" in state else None
    if per_rank is not None and len(per_rank) == world:
        return rng_from_json(per_rank[rank])
    return state["rng"]  # one process, or another world size: rank 0's (not bit-exact then)
