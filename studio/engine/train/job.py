"""The training loop. The engine owns it; a generator's Trainer owns one optimisation step.

Seeding, device placement, shuffling and batching, cancellation between steps, the metric log,
evaluation and previews on their cadence, checkpoints on theirs and on cancel (kept and saved by
``checkpointing``), and exact resume all live here, once, for every generator.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from studio.api import DataError, DataReport, Generator, ModelHandle, RunContext, StudioError
from studio.engine.device import host_memory
from studio.engine.device.devices import describe_device, free_memory, resolve_device
from studio.engine.events import (
    Event,
    Finished,
    Log,
    Metric,
    SampleEvent,
    Started,
    TrainResult,
)
from studio.engine.home import Home
from studio.engine.jobs import Job, JobCancelled, ProgressClock
from studio.engine.plugins.exporters import export
from studio.engine.plugins.health import PluginHealth
from studio.engine.plugins.host import PluginHost
from studio.engine.store import checkpoints as ckpt
from studio.engine.store.atomic import read_json
from studio.engine.store.checkpoints import lineage_of
from studio.engine.store.library import publish_run_model, resolve_checkpoint
from studio.engine.store.manifest import UNVERIFIED
from studio.engine.store.runs import (
    RUN_FILE,
    MetricsLog,
    Run,
    RunLock,
    create_run,
    find_run,
    truncate_metrics,
)
from studio.engine.train import distributed, tensorboard
from studio.engine.train.batching import EpochSampler, default_collate, gather, to_device
from studio.engine.train.checkpointing import Checkpointer
from studio.engine.train.fingerprint import data_fingerprint
from studio.engine.train.loop_params import training_schema
from studio.engine.train.modes import evaluating
from studio.engine.train.seeding import preserved_rng, restore_rng, seed_everything


class TrainJob(Job):
    """Train a new model, fine-tune one (``from_checkpoint``), or resume a run (``resume``)."""

    kind = "train"

    def __init__(
        self,
        host: PluginHost,
        home: Home,
        generator_id: str | None = None,
        *,
        data: Path | str | None = None,
        params: dict[str, Any] | None = None,
        from_checkpoint: str | Path | None = None,
        name: str | None = None,
        resume: str | Path | None = None,
        extra_steps: int | None = None,
        health: PluginHealth | None = None,
    ) -> None:
        super().__init__(health)
        self.host = host
        self.home = home
        self.generator_id = generator_id
        self.data_path = Path(data) if data is not None else None
        self.raw_params = dict(params or {})
        self.from_checkpoint = from_checkpoint
        self.name = name
        self.resume_ref = resume
        self.extra_steps = extra_steps
        self.step = 0
        self.run_record: Run | None = None
        self._logs: list[str] = []
        self.ranks: distributed.Ranks | None = None  # under torchrun
        self._warnings: list[str] = []  # found while preparing; told once the job has started
        self._lock: RunLock | None = None
        verb = "Resume" if resume else "Fine-tune" if from_checkpoint else "Train"
        self.title = f"{verb} {resume or generator_id}"

    # -- set-up ---------------------------------------------------------------------------------

    def _prepare(self) -> tuple[Generator, Run, dict[str, Any], ckpt.Checkpoint | None, bool]:
        """The generator, the run folder, the validated parameters, the starting checkpoint."""
        if self.resume_ref is not None:
            run = find_run(self.home.runs, str(self.resume_ref))
            generator = self.host.generator(run.info["generator"])
            # A resumed job's failures count against its plugin like any other (plugin health).
            self.generator_id = generator.id
            params = training_schema(generator).validate(run.info["params"])
            if self.extra_steps:
                params["steps"] = max(params["steps"], self.extra_steps)
            tensorboard.check_available(params)
            self._join_ranks(params)
            start = None
            if self.main:
                # Before anything is written: a run another process is training is refused.
                self._lock = RunLock(run).acquire()
                ckpt.sweep_temporaries(run.checkpoints_dir)
                start, notes = ckpt.newest_setting_aside(run.checkpoints_dir, run.path / "damaged")
                self._warnings += notes
            if self.ranks is not None:  # every rank resumes from the checkpoint rank 0 chose
                chosen = self.ranks.broadcast_text(str(start.path) if start else None)
                start = ckpt.read_checkpoint(Path(chosen)) if chosen else None
            if start is None:
                raise StudioError(f"run '{run.name}' has no complete checkpoint to resume from")
            self.data_path = Path(run.info["data"])
            if self.main:
                run.info.setdefault("id", uuid.uuid4().hex)  # runs from before ids: one from now
                run.save(status="running", pid=os.getpid(), params=params)
            return generator, run, params, start, True

        if self.generator_id is None or self.data_path is None:
            raise StudioError("training needs a generator and data (a file or a folder)")
        generator = self.host.generator(self.generator_id)
        params = training_schema(generator).validate(self.raw_params)
        tensorboard.check_available(params)  # before the run folder exists
        parent = (
            resolve_checkpoint(self.home, self.from_checkpoint) if self.from_checkpoint else None
        )
        if parent is not None and parent.generator_id != generator.id:
            raise StudioError(
                f"cannot fine-tune '{generator.id}' from a '{parent.generator_id}' checkpoint"
            )
        if not self.data_path.exists():
            raise DataError(f"no file or folder at {self.data_path}")
        self._join_ranks(params)
        if not self.main:  # rank 0 makes the run's folder; the others only read it
            path = Path(self.ranks.broadcast_text(None))
            return generator, Run(path, read_json(path / RUN_FILE)), params, parent, False
        run = create_run(
            self.home.runs,
            generator.id,
            self.name,
            {
                "params": params,
                "data": str(self.data_path.resolve()),
                "status": "running",
                "pid": os.getpid(),
                "step": 0,
                "generator_version": generator.version,
                "parent": lineage_of(parent),
                **({"processes": self.ranks.world} if self.ranks else {}),
            },
        )
        self._lock = RunLock(run).acquire()
        if self.name and run.name != self.name:
            self._warnings.append(
                f"a run named '{self.name}' already exists, so this one is '{run.name}'"
            )
        if self.ranks is not None:
            self.ranks.broadcast_text(str(run.path))
        return generator, run, params, parent, False

    def _join_ranks(self, params: dict[str, Any]) -> None:
        self.ranks = distributed.start(resolve_device(params["device"]))

    @property
    def main(self) -> bool:
        """One process, or rank 0: the one that writes metrics, previews and checkpoints."""
        return self.ranks is None or self.ranks.main

    def body(self) -> Iterator[Event]:
        import torch

        try:
            generator, run, params, start, resuming = self._prepare()
            self.run_record = run
            device = self.ranks.device if self.ranks else resolve_device(params["device"])
            yield Started(self.kind, self.title, run_dir=run.path)
            where = f" (rank 0 of {self.ranks.world})" if self.ranks else ""
            yield Log(f"training on {describe_device(device)['name']}{where} in {run.path}")
            for warning in self._warnings:
                yield Log(warning, "warning")
            if start is not None and not start.sealed:
                yield Log(f"{start.path}: {UNVERIFIED}", "warning")
            yield from self._guarded(torch, generator, run, params, start, resuming, device)
        finally:
            if self._lock is not None:
                self._lock.release()

    def _guarded(self, torch, generator, run, params, start, resuming, device) -> Iterator[Event]:
        """Train, recording how the run ended in its run.json whatever happens."""
        host_memory.keep_freed_memory()  # until free_memory() below: no page faults per step
        try:
            for event in self._train(torch, generator, run, params, start, resuming, device):
                if self.main or isinstance(event, Finished):
                    yield event  # rank 0 reports; the others stay quiet
        except JobCancelled:
            self._set_status(run, "cancelled")
            raise
        except GeneratorExit:
            # Whoever ran the job stopped listening (the app is closing): resumable, not failed.
            self._set_status(run, "interrupted")
            raise
        except BaseException:
            self._set_status(run, "failed")
            raise
        finally:
            if self.ranks is not None:
                self.ranks.close()
            free_memory()

    def _set_status(self, run: Run, status: str) -> None:
        if self.main:
            run.save(status=status, pid=0)

    def _train(self, torch, generator, run, params, start, resuming, device) -> Iterator[Event]:
        fingerprint = data_fingerprint(self.data_path)
        if resuming and fingerprint != run.info.get("data_fingerprint"):
            yield Log("the training data changed since this run started", "warning")
        seed_everything(params["seed"])
        report = DataReport(source=str(self.data_path))
        model: ModelHandle | None = (
            ckpt.load_model(generator, start, device, self.home.base_models) if start else None
        )
        data = generator.load_data(self.data_path, params, model, report)
        if len(data.train) == 0:
            raise DataError(f"no usable training examples in {self.data_path}")
        if self.main:
            run.save(data_fingerprint=fingerprint, report=report.to_json())
        yield Log(report.summary())
        if model is None:
            # Re-seeded so initial weights depend on the seed alone, not on how data was read.
            seed_everything(params["seed"])
            model = generator.create_model(params, data)
            model.module.to(device)
        model.module.train()

        context = RunContext(
            device=device,
            log=self._logs.append,
            total_steps=params["steps"],
            start_step=start.step if resuming else 0,
        )
        trainer = generator.create_trainer(model, data, params, context)
        if getattr(trainer, "host_memory", "reuse") == "lean":
            host_memory.return_freed_memory()
        ranks = self.ranks
        rank, world = (ranks.rank, ranks.world) if ranks else (0, 1)
        sampler = EpochSampler(len(data.train), params["batch_size"], params["seed"], rank, world)
        if ranks is not None:
            ranks.prepare(torch, model, trainer)
            if rank:  # the same weights on every rank, but each its own dropout and noise
                seed_everything(distributed.rank_seed(params["seed"], rank))
        step = 0
        if resuming:
            state = ckpt.load_trainer_state(start)
            trainer.load_state_dict(state["trainer"])
            sampler.restore(state["data"])
            restore_rng(distributed.own_rng(state, rank, world))
            step = start.step
            if self.main:
                truncate_metrics(run.metrics_file, step)
            yield Log(f"resumed from step {step}")
        self.step = step
        lineage = lineage_of(start) if (start and not resuming) else run.info.get("parent")

        collate = data.collate or default_collate
        total = params["steps"]
        clock = ProgressClock(total, start=step)
        metrics = MetricsLog(run.metrics_file) if self.main else _NoMetrics()
        stop = False  # every rank agreed to stop (a cancel on any of them)
        events = tensorboard.EventWriter(run.path, params["tensorboard"] and self.main)
        checkpoints = Checkpointer(
            run=run,
            generator=generator,
            model=model,
            trainer=trainer,
            sampler=sampler,
            params=params,
            fingerprint=fingerprint,
            lineage=lineage,
            metrics=metrics,
            ranks=ranks,
            main=self.main,
            last_saved=step if resuming else -1,
        )
        in_step = False
        try:
            yield clock.progress(step)
            while step < total:
                if stop:
                    raise JobCancelled
                if ranks is None:  # several ranks agree on a cancel in reduce_step instead
                    self.check_cancel()
                batch = to_device(collate(gather(data.train, sampler.next_indices())), device)
                in_step = True
                values = trainer.step(batch, step + 1)
                in_step = False
                step += 1
                self.step = step
                values = {name: float(value) for name, value in values.items()}
                if ranks is not None:
                    values, stop = ranks.reduce_step(values, self.cancel_token.cancelled)
                if params["eval_every"] and step % params["eval_every"] == 0 and self.main:
                    plain = self._plain_modules(trainer)
                    with preserved_rng(), torch.no_grad(), plain, evaluating(model.module):
                        values.update({k: float(v) for k, v in trainer.evaluate().items()})
                metrics.append(step, values)
                events.add(step, values)
                yield Metric(step, values)
                yield clock.progress(step)
                yield from self._drain_logs()
                if params["preview_every"] and step % params["preview_every"] == 0 and self.main:
                    with self._plain_modules(trainer), evaluating(model.module):
                        samples = self._preview_samples(torch, trainer, step)
                    yield from self._previews(generator, samples, run, step)
                reason = checkpoints.due(step, total)
                if reason is not None:
                    yield from checkpoints.save(step, reason)
        except JobCancelled:
            if checkpoints.unsaved(step) and not in_step:
                yield from checkpoints.save(step, "cancelled")
            raise
        except Exception as failure:
            # A failure inside a step may leave weights half-updated: keep the last good checkpoint.
            if checkpoints.unsaved(step) and not in_step:
                try:
                    yield from checkpoints.save(step, "failure")
                except Exception as error:  # the original failure is the one to report
                    failure.add_note(f"the failure checkpoint could not be saved: {error}")
            raise
        finally:
            metrics.close()
            events.close()

        final = run.checkpoints_dir / f"step-{step:07d}"
        if not self.main:
            yield Finished(TrainResult(run.path, final, None, step))  # rank 0 publishes
            return
        published, notice = publish_run_model(self.home, run, final)
        if notice:
            yield Log(notice, "warning")
        run.save(status="finished", pid=0, model=str(published.path))
        yield Finished(TrainResult(run.path, final, published.path, step))

    def _plain_modules(self, trainer: Any) -> Any:
        return self.ranks.unwrapped(trainer) if self.ranks else contextlib.nullcontext()

    def _drain_logs(self) -> Iterator[Event]:
        while self._logs:
            yield Log(self._logs.pop(0))

    @staticmethod
    def _preview_samples(torch, trainer, step: int) -> list:
        with preserved_rng(), torch.no_grad():
            return trainer.preview(step)

    def _previews(self, generator, samples: list, run: Run, step: int) -> Iterator[Event]:
        for index, sample in enumerate(samples):
            metadata = {
                "generator": generator.id,
                "run": run.name,
                "step": step,
                "index": index,
                "seed": getattr(sample, "seed", None),
                # e.g. {"view": "nearest"}: what kind of picture it is, for the Runs view.
                **({"extra": sample.extra} if getattr(sample, "extra", None) else {}),
            }
            paths = export(
                self.host, sample, run.previews_dir, f"step-{step:07d}-{index}", metadata
            )
            yield SampleEvent(sample, step=step, paths=tuple(paths))


class _NoMetrics:
    """Ranks other than 0 log nothing."""

    def append(self, step: int, values: dict[str, float]) -> None: ...

    def sync(self) -> None: ...

    def close(self) -> None: ...
