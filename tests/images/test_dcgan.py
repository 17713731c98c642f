"""DCGAN through the engine: it learns, generation is seeded per image, interpolation, lineage."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from studio.engine.events import Failed
from studio.engine.store.checkpoints import read_checkpoint
from studio.engine.train.job import TrainJob

from .corpus import write_folder
from .helpers import generate, metrics, pixels, pngs, series, train

TINY = {
    "resolution": 32,
    "latent": 8,
    "g_width": 8,
    "d_width": 8,
    "batch_size": 16,
    "preview_count": 4,
    "cache_mb": 16,
}


@pytest.fixture
def trained(host, home, tmp_path):
    data = write_folder(tmp_path / "squares", 24)
    return train(host, home, "dcgan", data, steps=60, lr=1e-3, preview_every=5, **TINY)


def test_tiny_gan_learns(trained) -> None:
    rows = metrics(trained["run"])
    assert len(rows) == 60
    loss_d = series(rows, "loss/D")
    # The discriminator starts at chance (log 4) and learns to tell real from fake.
    assert abs(loss_d[0] - np.log(4)) < 0.3
    assert loss_d[-10:].mean() < loss_d[:3].mean()
    gap = series(rows, "D/D(x)") - series(rows, "D/D(G(z))")
    assert gap[-10:].mean() > 0.05
    # The generator moves towards the data: the dark ground (20/255) darkens its previews.
    previews = sorted((Path(trained["run"]) / "previews").glob("*-0.png"))  # the grids
    first, last = pixels(previews[0]).mean(), pixels(previews[-1]).mean()
    data_mean = 20 + (230 + 200 + 40) / 3 * 0.25 - 20 * 0.25
    assert abs(last - data_mean) < abs(first - data_mean)


def test_seeded_generation_repeats_and_any_image_is_remade_alone(
    host, home, trained, tmp_path
) -> None:
    model = trained["model"]
    first = pngs(generate(host, home, "dcgan", model, tmp_path / "a", seed=40, count=3))
    again = pngs(generate(host, home, "dcgan", model, tmp_path / "b", seed=40, count=3))
    alone = pngs(generate(host, home, "dcgan", model, tmp_path / "c", seed=42, count=1))
    assert len(first) == 3
    for a, b in zip(first, again, strict=True):
        assert np.array_equal(pixels(a), pixels(b))
    assert np.array_equal(pixels(first[2]), pixels(alone[0]))
    assert not np.array_equal(pixels(first[0]), pixels(first[1]))
    with Image.open(first[1]) as image:
        meta = json.loads(image.text["studio"])
    assert meta["seed"] == 41 and meta["generator"] == "dcgan"
    assert meta["model_hash"] == read_checkpoint(Path(model)).model_hash


@pytest.mark.parametrize("kind", ["gif", "webp"])
def test_interpolation_frames_and_end_frames(host, home, trained, tmp_path, kind) -> None:
    model = trained["model"]
    params = {"frames": 7, "to_seed": 9, "animation": kind}
    out = generate(
        host, home, "dcgan", model, tmp_path / "walk", seed=3, params=params, mode="interpolate"
    )
    frames = [
        p for p in pngs(out) if "animation" not in json.loads(p.with_suffix(".json").read_text())
    ]
    assert len(frames) == 7
    ends = pngs(generate(host, home, "dcgan", model, tmp_path / "ends", seed=3, count=1))
    ends += pngs(generate(host, home, "dcgan", model, tmp_path / "ends2", seed=9, count=1))
    assert np.array_equal(pixels(frames[0]), pixels(ends[0]))
    assert np.array_equal(pixels(frames[-1]), pixels(ends[1]))
    assert not np.array_equal(pixels(frames[3]), pixels(frames[0]))
    animations = [p for p in out if p.suffix == f".{kind}"]
    assert len(animations) == 1
    with Image.open(animations[0]) as animation:
        assert animation.n_frames == 7
    extras = [json.loads(p.with_suffix(".json").read_text())["extra"] for p in frames]
    assert [e["frame"] for e in extras] == list(range(7))
    assert extras[-1]["t"] == 1.0 and extras[0]["to_seed"] == 9


def test_checkpoint_round_trip_and_fine_tune_lineage(host, home, trained, tmp_path) -> None:
    other = write_folder(tmp_path / "other", 10, size=40, seed=5)
    # Fine-tuning keeps the model's resolution and widths whatever the parameters say.
    tuned = train(
        host,
        home,
        "dcgan",
        other,
        steps=4,
        from_checkpoint=trained["model"],
        **{**TINY, "resolution": 64, "g_width": 4},
    )
    parent = read_checkpoint(Path(trained["model"]))
    child = read_checkpoint(Path(tuned["model"]))
    assert child.manifest["parent"]["model_hash"] == parent.model_hash
    assert child.manifest["config"]["resolution"] == 32
    assert child.manifest["config"]["g_width"] == 8
    run_info = json.loads((Path(tuned["run"]) / "run.json").read_text())
    assert run_info["parent"]["model_hash"] == parent.model_hash
    # Round trip: the saved weights make the same images as the run's own final checkpoint.
    a = pngs(generate(host, home, "dcgan", tuned["model"], tmp_path / "m", seed=1))
    b = pngs(generate(host, home, "dcgan", tuned["checkpoint"], tmp_path / "c", seed=1))
    assert np.array_equal(pixels(a[0]), pixels(b[0]))


def test_resolution_must_be_supported(host, home, tmp_path) -> None:
    data = write_folder(tmp_path / "d", 4)
    params = {**TINY, "resolution": 48, "steps": 1}
    events = list(TrainJob(host, home, "dcgan", data=data, params=params).run())
    assert isinstance(events[-1], Failed) and events[-1].user_error
    assert "resolution" in events[-1].message and "32, 64, 128" in events[-1].message
