"""Check a dataset without training: run the generator's ``load_data`` for its report.

The window's dataset picker shows which files would be used and which skipped (and why) before a
user commits to a run. ``load_data`` may import torch, so the window runs this as a job on its
worker, like any other.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from studio.api import DataError, DataReport
from studio.engine.events import DataCheckResult, Event, Finished, Started
from studio.engine.home import Home
from studio.engine.jobs import Job
from studio.engine.plugins.health import PluginHealth
from studio.engine.plugins.host import PluginHost
from studio.engine.train.loop_params import training_schema


def check_data(
    host: PluginHost,
    generator_id: str,
    source: Path,
    params: dict[str, Any] | None = None,
    *,
    home: Home | None = None,
    model: str | None = None,
) -> DataReport:
    """The report ``generator_id`` would make of ``source``; DataError when nothing is usable.

    ``model`` (a library model in ``home``) is handed to ``load_data`` for generators that only
    fine-tune (``trains_from_scratch = False``): lm reads text with its model's tokenizer."""
    generator = host.generator(generator_id)
    source = Path(source)
    if not source.exists():
        raise DataError(f"no file or folder at {source}")
    values = training_schema(generator).validate(params or {})
    report = DataReport(source=str(source))
    handle = None
    if model and home is not None and not getattr(generator, "trains_from_scratch", True):
        from studio.engine.device.devices import resolve_device
        from studio.engine.store import checkpoints as ckpt
        from studio.engine.store.library import resolve_checkpoint

        checkpoint = resolve_checkpoint(home, model)
        handle = ckpt.load_model(generator, checkpoint, resolve_device("cpu"), home.base_models)
    data = generator.load_data(source, values, handle, report)
    report.stats.setdefault("examples", len(data.train))
    return report


class DataCheckJob(Job):
    kind = "datacheck"
    needs_device = False  # reads files with the plugin's reader: runs beside a training

    def __init__(
        self,
        host: PluginHost,
        home: Home,
        generator_id: str,
        source: Path,
        params: dict[str, Any] | None = None,
        *,
        model: str | None = None,
        health: PluginHealth | None = None,
    ) -> None:
        super().__init__(health)
        self.host, self.home = host, home
        self.generator_id, self.source, self.params = generator_id, Path(source), params
        self.model = model
        self.title = f"Check data {self.source.name}"

    def body(self) -> Iterator[Event]:
        yield Started(self.kind, self.title)
        report = check_data(
            self.host, self.generator_id, self.source, self.params, home=self.home, model=self.model
        )
        yield Finished(DataCheckResult(report.to_json()))
