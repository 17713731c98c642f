"""Generation jobs: load a model (or make a fresh one), stream samples, write them with metadata."""

from __future__ import annotations

import random
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from studio.api import (
    GenerateRequest,
    ImageSample,
    Param,
    ParamError,
    RunContext,
    Schema,
    TextChunk,
)
from studio.engine.device.devices import free_memory, resolve_device
from studio.engine.events import (
    Event,
    Finished,
    GenerateResult,
    Log,
    Progress,
    SampleEvent,
    Started,
)
from studio.engine.home import Home
from studio.engine.jobs import Job
from studio.engine.plugins.exporters import export
from studio.engine.plugins.health import PluginHealth
from studio.engine.plugins.host import PluginHost
from studio.engine.store import checkpoints as ckpt
from studio.engine.store.library import resolve_checkpoint
from studio.engine.store.manifest import UNVERIFIED
from studio.engine.train.loop_params import training_schema
from studio.engine.train.seeding import seed_everything

# Studio's own part of every generation request, checked like a generator's parameters.
REQUEST_PARAMS = Schema(
    [
        Param("count", "int", 1, "how many samples to make", minimum=1, maximum=10_000),
        Param("seed", "int", 0, "seed of the first sample", minimum=0, maximum=2**63 - 1),
    ]
)


class GenerateJob(Job):
    """Generate ``count`` samples; text streams chunk by chunk, images arrive one by one."""

    kind = "generate"

    def __init__(
        self,
        host: PluginHost,
        home: Home,
        generator_id: str,
        *,
        model: str | Path | None = None,
        prompt: str = "",
        seed: int | None = None,
        count: int = 1,
        params: dict[str, Any] | None = None,
        inputs: list[Path] | None = None,
        out_dir: Path | None = None,
        device: str = "auto",
        mode: str = "sample",
        health: PluginHealth | None = None,
    ) -> None:
        super().__init__(health)
        self.host = host
        self.home = home
        self.generator_id = generator_id
        self.model_ref = model
        self.prompt = prompt
        # A seed is always recorded, so every output can be remade exactly.
        self.seed = seed if seed is not None else random.SystemRandom().randrange(2**31)
        self.count = count
        self.raw_params = dict(params or {})
        self.inputs = list(inputs or [])
        self.out_dir = out_dir
        self.device_choice = device
        self.mode = mode
        self._logs: list[str] = []
        self.title = f"Generate with {generator_id}"

    def body(self) -> Iterator[Event]:
        import torch

        generator = self.host.generator(self.generator_id)
        params = generator.generate_params.validate(self.raw_params)
        REQUEST_PARAMS.validate({"count": self.count, "seed": self.seed})
        if self.mode not in generator.modes:
            offered = ", ".join(generator.modes)
            raise ParamError(
                "mode", f"{generator.id} does not offer {self.mode!r} (it offers {offered})"
            )
        # Only now, with every value checked, does anything touch the disk.
        if self.out_dir is not None:
            Path(self.out_dir).mkdir(parents=True, exist_ok=True)
        device = resolve_device(self.device_choice)
        yield Started(self.kind, self.title)
        if self.model_ref:
            checkpoint = resolve_checkpoint(self.home, self.model_ref)
            if not checkpoint.sealed:
                yield Log(f"{checkpoint.path}: {UNVERIFIED}", "warning")
            model = ckpt.load_model(generator, checkpoint, device, self.home.base_models)
            model_hash = checkpoint.model_hash
        else:
            seed_everything(self.seed)
            model = generator.create_model(training_schema(generator).validate({}), None)
            model.module.to(device)
            model_hash = "untrained"
            yield Log("no model chosen: generating with a fresh, untrained model", "warning")
        model.module.eval()
        request = GenerateRequest(
            params, self.prompt, self.seed, self.count, self.inputs, mode=self.mode
        )
        context = RunContext(device=device, log=self._logs.append, progress=self._progress)
        metadata = {
            "generator": generator.id,
            "generator_version": generator.version,
            "model": str(self.model_ref or ""),
            "model_hash": model_hash,
            # An imported base model the weights are built on: remaking the sample needs it too.
            "base_model": model.base,
            "seed": self.seed,
            "mode": self.mode,
            "params": params,
            "prompt": self.prompt,
        }
        self._pending: list[Progress] = []
        texts: dict[int, list[str]] = {}
        text_seeds: dict[int, int | None] = {}
        outputs: list[str] = []
        stream = generator.generate(model, request, context)
        try:
            while True:
                self.check_cancel()
                # no_grad only around the plugin's own code, not around whoever consumes events.
                with torch.no_grad():
                    try:
                        sample = next(stream)
                    except StopIteration:
                        break
                yield from self._drain()
                if isinstance(sample, TextChunk):
                    texts.setdefault(sample.index, []).append(sample.text)
                    text_seeds.setdefault(sample.index, sample.seed)
                    yield SampleEvent(sample, final=False)
                elif isinstance(sample, ImageSample):
                    paths = self._write(sample, sample.index, sample.seed, metadata, sample.extra)
                    outputs += [str(p) for p in paths]
                    yield SampleEvent(sample, paths=tuple(paths))
            yield from self._drain()
        finally:
            stream.close()
            free_memory()
        for index in sorted(texts):
            whole = TextChunk("".join(texts[index]), index, text_seeds[index])
            paths = self._write(whole, index, whole.seed, metadata, {})
            outputs += [str(p) for p in paths]
            yield SampleEvent(whole, paths=tuple(paths))
        yield Finished(GenerateResult(self.seed, tuple(Path(p) for p in outputs)))

    def _progress(self, done: int, total: int) -> None:
        self._pending.append(Progress(done, total))

    def _drain(self) -> Iterator[Event]:
        while self._logs:
            yield Log(self._logs.pop(0))
        if self._pending:
            yield self._pending[-1]
            self._pending.clear()

    def _write(
        self,
        sample: Any,
        index: int,
        seed: int | None,
        metadata: dict[str, Any],
        extra: dict[str, Any],
    ) -> list[Path]:
        if self.out_dir is None:
            return []
        sample_meta = {
            **metadata,
            "index": index,
            "seed": seed if seed is not None else self.seed,
            "request_seed": self.seed,
            "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            **({"extra": extra} if extra else {}),
        }
        stem = f"{self.generator_id}-{sample_meta['seed']}-{index:03d}"
        return export(self.host, sample, Path(self.out_dir), stem, sample_meta)
