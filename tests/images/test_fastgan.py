"""fastgan through the engine: it learns a tiny folder, KID falls, seeds repeat, walks, lineage."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from studio.engine.evaluation import EvaluateJob
from studio.engine.events import Finished
from studio.engine.store.checkpoints import read_checkpoint

from .corpus import write_folder
from .helpers import generate, metrics, pixels, pngs, series, train

TINY = {
    "resolution": 64,
    "latent": 16,
    "g_width": 4,
    "d_width": 4,
    "batch_size": 8,
    "preview_count": 4,
    "cache_mb": 16,
}


def evaluate(host, home, model: str, data: Path) -> dict:
    events = list(EvaluateJob(host, home, model, data=data, params={"count": 48}).run())
    assert isinstance(events[-1], Finished), events[-1]
    return events[-1].result


@pytest.fixture
def folder(tmp_path):
    return write_folder(tmp_path / "squares", 16)


@pytest.mark.slow
def test_fastgan_learns_a_tiny_folder(host, home, folder) -> None:
    # The same seed and one step at a learning rate of 1e-7: the untrained start, measured alike.
    start = train(host, home, "fastgan", folder, steps=1, lr=1e-7, **TINY)
    trained = train(
        host, home, "fastgan", folder, steps=120, lr=2e-3, eval_every=40, preview_every=60, **TINY
    )
    rows = metrics(trained["run"])
    recon = series(rows, "loss/recon")
    assert recon[-20:].mean() < 0.5 * recon[:5].mean()  # the decoder learns to redraw its input
    gap = series(rows, "D/D(x)") - series(rows, "D/D(G(z))")
    assert gap[-20:].mean() > 0  # real pictures score above generated ones
    assert len(series(rows, "KID/kid")) == 3 and len(series(rows, "augment/p")) == 120
    before = evaluate(host, home, start["model"], folder)["kid"]
    after = evaluate(host, home, trained["model"], folder)["kid"]
    assert after < 0.7 * before, (before, after)
    # Previews: the fixed-noise grid and the memorisation view, each with a PNG.
    previews = sorted(p.name for p in (Path(trained["run"]) / "previews").glob("*.png"))
    assert previews == [f"step-{s:07d}-{i}.png" for s in (60, 120) for i in (0, 1)]


def test_seeded_generation_interpolation_and_fine_tune_lineage(
    host, home, folder, tmp_path
) -> None:
    trained = train(host, home, "fastgan", folder, steps=6, lr=1e-3, **TINY)
    model = trained["model"]
    first = pngs(generate(host, home, "fastgan", model, tmp_path / "a", seed=40, count=3))
    again = pngs(generate(host, home, "fastgan", model, tmp_path / "b", seed=40, count=3))
    alone = pngs(generate(host, home, "fastgan", model, tmp_path / "c", seed=42, count=1))
    for a, b in zip(first, again, strict=True):
        assert np.array_equal(pixels(a), pixels(b))
    assert np.array_equal(pixels(first[2]), pixels(alone[0]))
    assert pixels(first[0]).shape == (64, 64, 3)
    with Image.open(first[1]) as image:
        meta = json.loads(image.text["studio"])
    assert meta["seed"] == 41 and meta["generator"] == "fastgan"
    assert meta["model_hash"] == read_checkpoint(Path(model)).model_hash

    params = {"frames": 5, "to_seed": 9}
    walk = generate(
        host, home, "fastgan", model, tmp_path / "walk", seed=3, mode="interpolate", params=params
    )
    assert len([p for p in walk if p.suffix == ".gif"]) == 1
    ends = pngs(generate(host, home, "fastgan", model, tmp_path / "e", seed=9, count=1))
    assert np.array_equal(pixels(pngs(walk)[4]), pixels(ends[0]))

    tuned = train(host, home, "fastgan", folder, steps=2, from_checkpoint=model, **TINY)
    child = read_checkpoint(Path(tuned["model"]))
    assert child.manifest["parent"]["model_hash"] == read_checkpoint(Path(model)).model_hash
