"""How long a training with a generator's defaults takes on this machine: measured, not guessed.

A few real steps of the generator's own trainer, with its default parameters, on synthetic data
of its kind (text, or pictures), in a throwaway library so nothing lands in the user's. The time
of the steps after the first (which pays for warm-up) times the default step count is the
estimate the welcome panel shows.
"""

from __future__ import annotations

import shutil
import statistics
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path

from studio.api import StudioError
from studio.engine.events import Event, Failed, Finished, Metric, Result, Started
from studio.engine.home import Home
from studio.engine.jobs import Job
from studio.engine.plugins.host import PluginHost
from studio.engine.train.job import TrainJob
from studio.engine.train.loop_params import training_schema

CALIBRATION_STEPS = 4  # the first pays for warm-up; the others are timed


@dataclass(frozen=True)
class CalibrationResult(Result):
    generator: str
    seconds_per_step: float
    default_steps: int

    @property
    def estimate_seconds(self) -> float:
        return self.seconds_per_step * self.default_steps


class CalibrationJob(Job):
    kind = "calibrate"

    def __init__(self, host: PluginHost, generator_id: str, device: str = "auto") -> None:
        super().__init__()
        self.host, self.generator_id, self.device = host, generator_id, device
        self.title = f"Measure {generator_id} on this machine"

    def body(self) -> Iterator[Event]:
        generator = self.host.generator(self.generator_id)
        yield Started(self.kind, self.title)
        work = Path(tempfile.mkdtemp(prefix="studio-calibrate-"))
        try:
            data = _sample_data(work, generator.modality)
            params = {
                "steps": CALIBRATION_STEPS,
                "device": self.device,
                "preview_every": 0,
                "eval_every": 0,
                "checkpoint_every": 10**6,
                "checkpoint_minutes": 0,
            }
            job = TrainJob(
                self.host, Home.open(work / "home"), generator.id, data=data, params=params
            )
            stamps: list[float] = []
            for event in job.run():
                self.check_cancel()
                if isinstance(event, Metric):
                    stamps.append(time.perf_counter())
                elif isinstance(event, Failed):
                    raise StudioError(f"could not measure {generator.id}: {event.message}")
        finally:
            shutil.rmtree(work, ignore_errors=True)
        gaps = [later - earlier for earlier, later in pairwise(stamps)]
        if not gaps:
            raise StudioError(f"could not measure {generator.id}: no steps were timed")
        steps = int(training_schema(generator).defaults()["steps"])
        yield Finished(CalibrationResult(generator.id, statistics.median(gaps), steps))


def _sample_data(folder: Path, modality: str) -> Path:
    """Data of the generator's kind: enough text or pictures for its default batch."""
    if modality == "text":
        path = folder / "sample.txt"
        line = "The quick brown fox jumps over the lazy dog, and the harbour lights come on.\n"
        path.write_text(line * 800, encoding="utf-8")
        return path
    import numpy as np
    from PIL import Image

    pictures = folder / "pictures"
    pictures.mkdir()
    rng = np.random.default_rng(0)
    for index in range(128):
        pixels = rng.integers(0, 256, (64, 64, 3), dtype=np.uint8)
        Image.fromarray(pixels).save(pictures / f"sample-{index:03d}.png")
    return pictures
