"""A training run's checkpoints: when one is due (by steps or by time) and what a save writes.

TrainJob asks after every step whether a checkpoint is due and saves on cancel or failure when
steps were taken since the last save; this module keeps the cadence and does the saving.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any, Protocol

from studio.api import Generator, ModelHandle
from studio.engine.events import CheckpointSaved, Event, Log
from studio.engine.store import checkpoints as ckpt
from studio.engine.store.runs import Run
from studio.engine.train import distributed
from studio.engine.train.batching import EpochSampler
from studio.engine.train.seeding import capture_rng


class _Metrics(Protocol):
    def sync(self) -> None: ...


class Checkpointer:
    """Saves one run's checkpoints on their cadence: every so many steps or minutes, and last."""

    def __init__(
        self,
        *,
        run: Run,
        generator: Generator,
        model: ModelHandle,
        trainer: Any,
        sampler: EpochSampler,
        params: dict[str, Any],
        fingerprint: str,
        lineage: dict[str, Any] | None,
        metrics: _Metrics,
        ranks: distributed.Ranks | None,
        main: bool,
        last_saved: int,
    ) -> None:
        self.run = run
        self.generator = generator
        self.model = model
        self.trainer = trainer
        self.sampler = sampler
        self.params = params
        self.fingerprint = fingerprint
        self.lineage = lineage
        self.metrics = metrics
        self.ranks = ranks
        self.main = main
        self.last_saved = last_saved
        # Checkpoints by time as well as steps: whichever comes first.
        # Ranks of a distributed run save together, so only step counts (which they share, where
        # their clocks do not) decide there.
        self.minutes = params["checkpoint_minutes"] if ranks is None else 0
        self.saved_at = time.monotonic()

    def due(self, step: int, total: int) -> str | None:
        """Why a checkpoint is due after ``step`` ("final", "scheduled", "timed"), or None."""
        if step == total:
            return "final"
        if step % self.params["checkpoint_every"] == 0:
            return "scheduled"
        if self.minutes and time.monotonic() - self.saved_at >= self.minutes * 60:
            return "timed"
        return None

    def unsaved(self, step: int) -> bool:
        """Whether steps were taken since the last checkpoint (worth a save on cancel)."""
        return step > self.last_saved

    def save(self, step: int, reason: str) -> Iterator[Event]:
        """Save the checkpoint at ``step``; the time cadence restarts when it is written."""
        yield from self._write(step, reason)
        self.last_saved, self.saved_at = step, time.monotonic()

    def _write(self, step: int, reason: str) -> Iterator[Event]:
        ranks, run = self.ranks, self.run
        rng = capture_rng()
        if ranks is not None:  # every rank takes part; rank 0 alone writes
            ranks.barrier()
            yield Log(ranks.check_identical(self.model.module, step))
            every = ranks.gather_json(distributed.rng_to_json(rng))
            if not self.main:
                ranks.barrier()
                return
        self.metrics.sync()
        saved = ckpt.save_checkpoint(
            run.checkpoints_dir / f"step-{step:07d}",
            generator=self.generator,
            model=self.model,
            step=step,
            params=self.params,
            dataset_fingerprint=self.fingerprint,
            parent=self.lineage,
            trainer_state={
                "trainer": self.trainer.state_dict(),
                "rng": rng,
                "data": self.sampler.position(),
                **({"rng_ranks": json.dumps(every)} if ranks is not None else {}),
            },
            origin={"run": run.name, "run_id": run.info.get("id")},
        )
        ckpt.prune(run.checkpoints_dir, self.params["keep_checkpoints"])
        run.save(step=step, last_checkpoint=str(saved.path))
        if ranks is not None:
            ranks.barrier()
        yield CheckpointSaved(saved.path, step, reason)
