"""Running the image generators through the engine, as the window and command line do."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from studio.engine.events import Finished
from studio.engine.generation import GenerateJob
from studio.engine.train.job import TrainJob


def train(host, home, generator: str, data: Path, **params: Any) -> dict[str, Any]:
    source = params.pop("from_checkpoint", None)
    events = list(
        TrainJob(host, home, generator, data=data, params=params, from_checkpoint=source).run()
    )
    assert isinstance(events[-1], Finished), events[-1]
    return events[-1].result


def metrics(run: str | Path) -> list[dict[str, Any]]:
    lines = (Path(run) / "metrics.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines]


def series(rows: list[dict[str, Any]], name: str) -> np.ndarray:
    return np.array([r["values"][name] for r in rows if name in r["values"]], dtype=float)


def generate(host, home, generator: str, model: str, out: Path, **kwargs: Any) -> list[Path]:
    events = list(GenerateJob(host, home, generator, model=model, out_dir=out, **kwargs).run())
    assert isinstance(events[-1], Finished), events[-1]
    return [Path(p) for p in events[-1].result["outputs"]]


def pixels(path: Path) -> np.ndarray:
    with Image.open(path) as image:
        return np.asarray(image).copy()


def pngs(paths: list[Path]) -> list[Path]:
    return [p for p in paths if p.suffix == ".png"]
