"""Evaluation jobs: measure any model against a folder or file, with its generator's measure.

The job is generic: it loads the model, reads the data through the model's own generator (the way
the model was trained), and calls ``Generator.evaluate``. Images report KID and a memorisation
view; text generators bring their own figures through the same door. The results (figures,
details and the samples, as files) go into the model's run folder when it came from a run, and
into ``out_dir`` when one is given.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from studio.api import DataError, DataReport, RunContext, StudioError
from studio.engine.device.devices import free_memory, resolve_device
from studio.engine.events import Event, Finished, Log, SampleEvent, Started
from studio.engine.home import Home
from studio.engine.jobs import Job
from studio.engine.plugins.exporters import export
from studio.engine.plugins.health import PluginHealth
from studio.engine.plugins.host import PluginHost
from studio.engine.store import checkpoints as ckpt
from studio.engine.store.atomic import write_json
from studio.engine.store.library import resolve_checkpoint
from studio.engine.store.runs import RUN_FILE
from studio.engine.train.loop_params import training_schema
from studio.engine.train.seeding import seed_everything

#: Inside a run folder, each evaluation is a folder here: results.json and its samples.
EVALUATIONS = "evaluations"


def run_folder_of(home: Home, checkpoint: ckpt.Checkpoint) -> Path | None:
    """The run a checkpoint came from: its own run folder, or the run a library model names."""
    for candidate in (checkpoint.path.parent.parent, home.runs / checkpoint.path.name):
        if (candidate / RUN_FILE).is_file():
            return candidate
    return None


class EvaluateJob(Job):
    """Evaluate ``model`` (a checkpoint folder, library model or run name) against ``data``."""

    kind = "evaluate"

    def __init__(
        self,
        host: PluginHost,
        home: Home,
        model: str | Path,
        *,
        data: str | Path,
        params: dict[str, Any] | None = None,
        device: str = "auto",
        out_dir: Path | None = None,
        health: PluginHealth | None = None,
    ) -> None:
        super().__init__(health)
        self.host = host
        self.home = home
        self.model_ref = model
        self.data_path = Path(data)
        self.raw_params = dict(params or {})
        self.device_choice = device
        self.out_dir = out_dir
        self.title = f"Evaluate {model}"
        self._logs: list[str] = []

    def body(self) -> Iterator[Event]:
        import torch

        checkpoint = resolve_checkpoint(self.home, self.model_ref)
        generator = self.host.generator(checkpoint.generator_id)
        self.generator_id = generator.id  # its failures count against its plugin
        if not generator.can_evaluate():
            raise StudioError(f"generator '{generator.id}' cannot evaluate models yet")
        params = generator.evaluate_params.validate(self.raw_params)
        if not self.data_path.exists():
            raise DataError(f"no file or folder at {self.data_path}")
        device = resolve_device(self.device_choice)
        yield Started(self.kind, self.title)
        # The model's training parameters say how to read the data (resolution, colour, fit).
        train_params = training_schema(generator).validate(checkpoint.manifest.get("params", {}))
        seed_everything(params.get("seed", 0))
        try:
            model = ckpt.load_model(generator, checkpoint, device)
            model.module.eval()
            report = DataReport(source=str(self.data_path))
            data = generator.load_data(self.data_path, train_params, model, report)
            if len(data.train) == 0:
                raise DataError(f"no usable examples in {self.data_path}")
            yield Log(report.summary())
            context = RunContext(device=device, log=self._logs.append)
            with torch.no_grad():
                evaluation = generator.evaluate(model, data, params, context)
        finally:
            free_memory()
        while self._logs:
            yield Log(self._logs.pop(0))
        figures = {name: float(value) for name, value in evaluation.figures.items()}
        result: dict[str, Any] = {
            "model": str(checkpoint.path),
            "model_hash": checkpoint.model_hash,
            "generator": generator.id,
            "step": checkpoint.step,
            "data": str(self.data_path.resolve()),
            "params": params,
            "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "figures": figures,
            "details": evaluation.details,
        }
        folders = self._folders(checkpoint)
        for index, sample in enumerate(evaluation.samples):
            paths: list[Path] = []
            stem = str(getattr(sample, "extra", {}).get("view") or f"sample-{index}")
            meta = {"generator": generator.id, "model_hash": checkpoint.model_hash, "index": index}
            for folder in folders:
                paths += export(self.host, sample, folder, stem, meta)
            yield SampleEvent(sample, paths=tuple(paths))
        for folder in folders:
            write_json(folder / "results.json", result)
        yield Finished({**figures, "figures": figures, "results": [str(f) for f in folders]})

    def _folders(self, checkpoint: ckpt.Checkpoint) -> list[Path]:
        """Where the results go: the run's evaluations folder, and ``out_dir`` if given."""
        folders = []
        run = run_folder_of(self.home, checkpoint)
        if run is not None:
            folders.append(
                run / EVALUATIONS / f"step-{checkpoint.step:07d}-{time.strftime('%Y%m%d-%H%M%S')}"
            )
        if self.out_dir is not None:
            folders.append(Path(self.out_dir))
        for folder in folders:
            folder.mkdir(parents=True, exist_ok=True)
        return folders


def latest_evaluation(run_dir: Path) -> dict[str, Any] | None:
    """The newest ``results.json`` of a run's evaluations, with its folder, or None."""
    from studio.engine.store.atomic import read_json

    for folder in sorted((Path(run_dir) / EVALUATIONS).glob("*"), reverse=True):
        results = read_json(folder / "results.json")
        if isinstance(results, dict):
            return {**results, "folder": str(folder)}
    return None


def latest_view(run_dir: Path, view: str = "nearest", look: int = 8) -> tuple[Path, str] | None:
    """A run's newest picture of kind ``view`` (a preview or an evaluation's), and its label.

    Samples carry their kind in ``extra["view"]``, kept in each file's JSON sidecar; only the
    newest ``look`` previews are read, so a long run costs no more than a short one.
    """
    from studio.engine.store.atomic import read_json

    evaluation = latest_evaluation(run_dir)
    if evaluation is not None and (Path(evaluation["folder"]) / f"{view}.png").is_file():
        figures = evaluation.get("figures", {})
        label = f"evaluation of step {evaluation.get('step')}"
        if "kid" in figures:
            label += f": KID {figures['kid']:.4g} +- {figures.get('kid_std', 0):.2g}"
        return Path(evaluation["folder"]) / f"{view}.png", label
    previews = sorted((Path(run_dir) / "previews").glob("*.json"), reverse=True)[: look * 2]
    for sidecar in previews:
        meta = read_json(sidecar)
        if isinstance(meta, dict) and meta.get("extra", {}).get("view") == view:
            return sidecar.with_name(meta["file"]), f"preview at step {meta.get('step')}"
    return None
