"""The voice report job: how close a text model writes to the writer's held-out text, and whether
it copies its training text, for one model or beside another (``--against``).

Generic over text generators: prompts are taken evenly through the held-out text, each model
continues them through its own ``generate`` (seeded, so the report can be made again), and the
measures of ``studio.api.voice`` are applied to what came back. Held-out bits per byte comes from
the generator when it measures it (a ``bits_per_byte(model, text, context)`` method); a generator
that does not gets the rest of the report and a note saying so.

The report (figures, each model's copying and style, the samples beside the real continuations)
is written as JSON into the model's run folder when it came from a run, and into ``out`` if given.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

from studio.api import DataError, DataReport, GenerateRequest, RunContext, StudioError, TextChunk
from studio.api import text as corpus
from studio.api.voice import prompts_from, voice_report
from studio.engine.device.devices import free_memory, resolve_device
from studio.engine.events import Event, Finished, Log, Progress, Started
from studio.engine.home import Home
from studio.engine.jobs import Job
from studio.engine.plugins.health import PluginHealth
from studio.engine.plugins.host import PluginHost
from studio.engine.store import checkpoints as ckpt
from studio.engine.store.atomic import write_json
from studio.engine.store.library import resolve_checkpoint
from studio.engine.store.runs import RUN_FILE
from studio.engine.train.seeding import seed_everything

REPORT_FILE = "voice-report.json"


class VoiceReportJob(Job):
    """The voice report of ``model`` (and ``against``) on the held-out text at ``data``."""

    kind = "evaluate"

    def __init__(
        self,
        host: PluginHost,
        home: Home,
        model: str | Path,
        *,
        data: str | Path,
        against: str | Path | None = None,
        training: str | Path | None = None,
        prompts: int = 8,
        words: int = 48,
        seed: int = 0,
        device: str = "auto",
        out: Path | None = None,
        health: PluginHealth | None = None,
    ) -> None:
        super().__init__(health)
        self.host = host
        self.home = home
        self.refs = {str(model): model, **({str(against): against} if against else {})}
        self.data_path = Path(data)
        self.training_path = Path(training) if training else None
        self.prompts, self.words, self.seed = prompts, words, seed
        self.device_choice = device
        self.out = out
        self.title = f"Voice report of {model}"
        self._logs: list[str] = []

    def body(self) -> Iterator[Event]:
        checkpoints = {
            label: resolve_checkpoint(self.home, ref) for label, ref in self.refs.items()
        }
        held_out = _read(self.data_path, "held-out text")
        main = next(iter(checkpoints.values()))
        training_path = self.training_path or _run_data(self.home, main)
        if training_path is None:
            raise StudioError(
                "which text was this model trained on? pass --training PATH (for the copy rate)"
            )
        training = _read(training_path, "training text")
        try:
            pairs = prompts_from(held_out, self.prompts, continuation_words=self.words)
        except ValueError as error:
            raise DataError(str(error)) from None
        device = resolve_device(self.device_choice)
        yield Started(self.kind, self.title)
        samples = [{"prompt": p, "real": r, "generated": {}} for p, r in pairs]
        bits: dict[str, float] = {}
        notes: list[str] = []
        total, done = len(pairs) * len(checkpoints), 0
        for label, checkpoint in checkpoints.items():
            generator = self.host.generator(checkpoint.generator_id)
            self.generator_id = generator.id  # a failure now counts against its plugin
            if generator.modality != "text":
                raise StudioError(f"'{label}' is an {generator.modality} model: no voice report")
            try:
                model = ckpt.load_model(generator, checkpoint, device, self.home.base_models)
                model.module.eval()
                context = RunContext(device=device, log=self._logs.append)
                for index, sample in enumerate(samples):
                    self.check_cancel()
                    sample["generated"][label] = self._continue(
                        generator, model, sample["prompt"], self.seed + index, context
                    )
                    done += 1
                    yield Progress(done, total)
                    yield from self._drain()
                measure = getattr(generator, "bits_per_byte", None)
                if measure is not None:
                    bits[label] = float(measure(model, held_out, context))
                elif f"{generator.name} does not measure bits per byte" not in notes:
                    notes.append(f"{generator.name} does not measure bits per byte")
            finally:
                free_memory()
        report = voice_report(training=training, held_out=held_out, samples=samples, bits=bits)
        report.update(
            {
                "models": {
                    label: {**entry, "path": str(checkpoints[label].path)}
                    for label, entry in report["models"].items()
                },
                "held_out": str(self.data_path.resolve()),
                "training": str(training_path.resolve()),
                "seed": self.seed,
                "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                "notes": notes,
            }
        )
        for warning in report["warnings"]:
            yield Log(warning, "warning")
        written = []
        for folder in self._folders(main):
            write_json(folder / REPORT_FILE, report)
            written.append(str(folder / REPORT_FILE))
        yield Finished({"figures": report["figures"], "report": report, "written": written})

    def _continue(self, generator, model, prompt: str, seed: int, context: RunContext) -> str:
        """One continuation of ``prompt``, cut to the report's length in words."""
        import torch

        seed_everything(seed)
        params = generator.generate_params.validate({})
        request = GenerateRequest(params, prompt, seed, 1, [])
        pieces = []
        with torch.no_grad():
            for chunk in generator.generate(model, request, context):
                if isinstance(chunk, TextChunk):
                    pieces.append(chunk.text)
        return " ".join(" ".join(pieces).split()[: self.words])

    def _drain(self) -> Iterator[Event]:
        while self._logs:
            yield Log(self._logs.pop(0))

    def _folders(self, checkpoint: ckpt.Checkpoint) -> list[Path]:
        folders = []
        run = _run_of(self.home, checkpoint)
        if run is not None:
            folders.append(run)
        if self.out is not None:
            Path(self.out).mkdir(parents=True, exist_ok=True)
            folders.append(Path(self.out))
        return folders


def _run_of(home: Home, checkpoint: ckpt.Checkpoint) -> Path | None:
    """The run a model came from: its own run (RUN/checkpoints/step-N), or the run that a library
    model of the same name was published from."""
    for run in (checkpoint.path.parent.parent, home.runs / checkpoint.path.name):
        if (run / RUN_FILE).is_file():
            return run
    return None


def _run_data(home: Home, checkpoint: ckpt.Checkpoint) -> Path | None:
    """The training data its run recorded, when the model came from a run."""
    from studio.engine.store.atomic import read_json

    run = _run_of(home, checkpoint)
    info = read_json(run / RUN_FILE, {}) if run is not None else {}
    data = info.get("data") if isinstance(info, dict) else None
    return Path(data) if data and Path(data).exists() else None


def _read(path: Path, what: str) -> str:
    if not path.exists():
        raise DataError(f"no {what} at {path}")
    report = DataReport(source=str(path))
    text = corpus.read_corpus(path, "utf-8", report)
    if not text.strip():
        raise DataError(f"the {what} at {path} is empty")
    return text
