"""A real Studio for a plugin's own tests, in a temporary library: ``studio.testing``.

In the spirit of datasette's ``Datasette(memory=True).client``: a plugin author registers the
plugin module, trains a few steps, generates, and reads metrics, previews and samples, through
the same engine the window and the command line drive, without importing its internals::

    from studio.testing import Harness

    def test_trains_and_generates(tmp_path):
        studio = Harness(tmp_path, {"charlstm": studio_charlstm})
        trained = studio.train("charlstm", data=corpus, params={"steps": 20})
        assert trained.metric("loss/train")[-1] < trained.metric("loss/train")[0]
        written = studio.generate("charlstm", model=trained.model, prompt="the ", seed=3)
        assert len(written.texts[0]) == 30

Every call runs a real job to its end and returns a typed result; a failed job does not raise,
it is in ``result.failure`` (``result.check()`` raises with the job's traceback). The library
lives under the folder given, never in the user's own.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from studio.api import DataReport, Generator, ImageSample, Sample, TextChunk
from studio.engine import (
    Cancelled,
    CheckpointSaved,
    Event,
    Failed,
    Finished,
    Home,
    Job,
    Log,
    Metric,
    PluginHealth,
    SampleEvent,
    Session,
    Settings,
    check_data,
    load_plugins,
)


@dataclass
class JobResult:
    """What one job did: every event it yielded, and how it ended."""

    events: list[Event]

    @property
    def failure(self) -> Failed | None:
        return next((e for e in self.events if isinstance(e, Failed)), None)

    @property
    def cancelled(self) -> bool:
        return any(isinstance(e, Cancelled) for e in self.events)

    @property
    def ok(self) -> bool:
        return isinstance(self.events[-1], Finished) if self.events else False

    @property
    def logs(self) -> list[str]:
        return [e.message for e in self.events if isinstance(e, Log)]

    def check(self) -> JobResult:
        """Raise ``AssertionError`` with the failure's message and traceback unless it finished."""
        if self.failure is not None:
            raise AssertionError(f"{self.failure.message}\n{self.failure.traceback}")
        if not self.ok:
            raise AssertionError(f"the job ended with {self.events[-1]!r}")
        return self

    @property
    def _finished(self) -> dict[str, Any]:
        last = self.events[-1] if self.events else None
        return last.result if isinstance(last, Finished) else {}


@dataclass
class TrainResult(JobResult):
    """A training run: its metrics by name, preview samples, checkpoints, and the model made."""

    @property
    def run(self) -> Path | None:
        started = next((e for e in self.events if getattr(e, "run_dir", None)), None)
        return Path(started.run_dir) if started is not None else None

    @property
    def model(self) -> str | None:
        """The library model the run published (pass it to ``generate`` or ``train(from_=)``)."""
        return self._finished.get("model")

    @property
    def step(self) -> int:
        return int(self._finished.get("step", 0))

    def metric(self, name: str) -> list[float]:
        """Every value of metric ``name`` (e.g. ``loss/train``), in step order."""
        return [e.values[name] for e in self.events if isinstance(e, Metric) and name in e.values]

    def metric_steps(self, name: str) -> list[int]:
        return [e.step for e in self.events if isinstance(e, Metric) and name in e.values]

    @property
    def previews(self) -> list[Sample]:
        return [e.sample for e in self.events if isinstance(e, SampleEvent)]

    @property
    def checkpoints(self) -> list[Path]:
        return [Path(e.path) for e in self.events if isinstance(e, CheckpointSaved)]


@dataclass
class GenerateResult(JobResult):
    """Generated samples: whole texts by index, images in order, and the files written."""

    @property
    def texts(self) -> list[str]:
        whole = [
            e.sample
            for e in self.events
            if isinstance(e, SampleEvent) and e.final and isinstance(e.sample, TextChunk)
        ]
        return [chunk.text for chunk in sorted(whole, key=lambda chunk: chunk.index)]

    @property
    def chunks(self) -> list[TextChunk]:
        """Text as it streamed, chunk by chunk."""
        return [
            e.sample
            for e in self.events
            if isinstance(e, SampleEvent) and not e.final and isinstance(e.sample, TextChunk)
        ]

    @property
    def images(self) -> list[ImageSample]:
        return [
            e.sample
            for e in self.events
            if isinstance(e, SampleEvent) and isinstance(e.sample, ImageSample)
        ]

    @property
    def outputs(self) -> list[Path]:
        return [Path(p) for p in self._finished.get("outputs", [])]


@dataclass
class Harness:
    """Studio with ``plugins`` registered (name → module), in a library under ``folder``.

    Built-in generators load too, as in the app. ``plugins`` may also be an iterable of modules,
    each registered under its module name.
    """

    folder: Path
    plugins: Mapping[str, ModuleType] | Iterable[ModuleType] = ()
    session: Session = field(init=False)

    def __post_init__(self) -> None:
        modules = (
            dict(self.plugins)
            if isinstance(self.plugins, Mapping)
            else {module.__name__: module for module in self.plugins}
        )
        home = Home.open(Path(self.folder) / "studio-library")
        settings = Settings.load(home.settings_file)
        host = load_plugins(extra=list(modules.items()))
        failed = [r for r in host.records.values() if r.name in modules and r.status != "loaded"]
        if failed:
            raise AssertionError(f"plugin '{failed[0].name}' did not load: {failed[0].reason}")
        self.session = Session(home, settings, host, PluginHealth(host, settings))

    @property
    def home(self) -> Home:
        return self.session.home

    def generator(self, generator_id: str) -> Generator:
        return self.session.host.generator(generator_id)

    def train(
        self,
        generator_id: str,
        *,
        data: Path | str,
        params: dict[str, Any] | None = None,
        from_: str | Path | None = None,
        name: str | None = None,
    ) -> TrainResult:
        """Train (or fine-tune ``from_`` a model) to the end; ``params`` as ``--set`` takes them."""
        job = self.session.train_job(
            generator_id, data=data, params=params, from_checkpoint=from_, name=name
        )
        return TrainResult(_run(job))

    def resume(self, run: str | Path, extra_steps: int | None = None) -> TrainResult:
        return TrainResult(_run(self.session.resume_job(run, extra_steps=extra_steps)))

    def generate(
        self,
        generator_id: str,
        *,
        model: str | Path | None = None,
        prompt: str = "",
        seed: int = 0,
        count: int = 1,
        params: dict[str, Any] | None = None,
        inputs: Iterable[Path | str] = (),
        mode: str = "sample",
        out: Path | None = None,
    ) -> GenerateResult:
        """Generate with ``model`` (a library model, run or checkpoint; None: an untrained one).

        Files are written to ``out``, or to the library's exports folder.
        """
        job = self.session.generate_job(
            generator_id,
            model=model,
            prompt=prompt,
            seed=seed,
            count=count,
            params=params,
            inputs=[Path(p) for p in inputs],
            mode=mode,
            out_dir=out or self.home.exports,
        )
        return GenerateResult(_run(job))

    def check_data(
        self, generator_id: str, source: Path | str, params: dict[str, Any] | None = None
    ) -> DataReport:
        """The report the user sees of ``source`` before training; DataError if none is usable."""
        return check_data(self.session.host, generator_id, Path(source), params)


def _run(job: Job) -> list[Event]:
    return list(job.run())
