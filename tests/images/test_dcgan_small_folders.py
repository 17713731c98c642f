"""dcgan on a small folder: adaptive augmentation, the generator's moving average, old models."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch

from plugins.dcgan import DCGAN
from plugins.imagekit.gan import render
from plugins.imagekit.tensors import seeded_normal, to_pixels
from studio.engine.store.checkpoints import load_model, read_checkpoint, save_checkpoint
from studio.engine.train.loop_params import training_schema

from .corpus import write_folder
from .helpers import generate, metrics, pixels, pngs, series, train

TINY = {
    "resolution": 32,
    "latent": 8,
    "g_width": 8,
    "d_width": 8,
    "batch_size": 8,
    "preview_count": 4,
    "cache_mb": 16,
    "preview_every": 0,
}


def test_adaptive_probability_rises_when_the_discriminator_overfits(host, home, tmp_path) -> None:
    data = write_folder(tmp_path / "eight", 8)
    # A discriminator with a high learning rate memorises eight pictures within a few steps.
    trained = train(
        host, home, "dcgan", data, steps=60, lr=2e-3, augment="on", augment_ramp=800, **TINY
    )
    rows = metrics(trained["run"])
    p, r_t = series(rows, "augment/p"), series(rows, "augment/r_t")
    assert p[0] == 0.0 and p.max() > 0.15, p[::6]
    assert p[-20:].mean() > p[:10].mean() + 0.1, p[::6]  # it rose and stayed up
    assert r_t.max() > 0.6  # the overfitting signal crossed ADA's target
    notes = json.loads((Path(trained["run"]) / "run.json").read_text())["report"]["notes"]
    assert any("augmentation on (augment=on)" in n for n in notes)

    plain = train(host, home, "dcgan", data, steps=2, augment="off", **TINY)
    assert "augment/p" not in metrics(plain["run"])[0]["values"]
    auto = train(host, home, "dcgan", data, steps=1, **TINY)
    notes = json.loads((Path(auto["run"]) / "run.json").read_text())["report"]["notes"]
    assert any("augmentation on: 8 pictures is a small folder" in n for n in notes)


def test_generation_uses_the_moving_average(host, home, tmp_path) -> None:
    data = write_folder(tmp_path / "squares", 16)
    trained = train(host, home, "dcgan", data, steps=30, lr=1e-3, **TINY)
    model = load_model(DCGAN(), read_checkpoint(Path(trained["model"])), torch.device("cpu"))
    gan = model.module.eval()
    raw = dict(gan.generator.named_parameters())
    average = dict(gan.generator_ema.named_parameters())
    assert raw.keys() == average.keys()
    assert any(not torch.equal(raw[k], average[k]) for k in raw)
    made = pixels(pngs(generate(host, home, "dcgan", trained["model"], tmp_path / "g", seed=5))[0])
    z = seeded_normal(5, (8,))
    with torch.no_grad():
        from_average = to_pixels(render(model, z, torch.device("cpu")))
        from_raw = to_pixels((gan.generator(z[None, :, None, None])[0] + 1) / 2)
    assert np.array_equal(made, from_average)
    assert not np.array_equal(made, from_raw)


def test_old_checkpoints_load_generate_and_fine_tune(host, home, tmp_path) -> None:
    """A checkpoint written as dcgan 1.0 wrote them: no "ema" in its config, no average weights."""
    params = training_schema(DCGAN()).validate({**TINY, "seed": 3})
    old_params = {k: v for k, v in params.items() if not k.startswith("augment") and k != "ema"}
    config = {k: v for k, v in DCGAN()._config(params).items() if k != "ema"}
    old = DCGAN().load_model(config, {})
    assert old.module.generator_ema is None

    class DCGANOne(DCGAN):
        version = "1.0"

    path = tmp_path / "old-model"
    save_checkpoint(path, generator=DCGANOne(), model=old, step=100, params=old_params)
    manifest = read_checkpoint(path).manifest
    assert "ema" not in manifest["config"] and manifest["generator"]["version"] == "1.0"

    first = pngs(generate(host, home, "dcgan", str(path), tmp_path / "a", seed=7))
    z = seeded_normal(7, (8,))
    with torch.no_grad():
        expected = to_pixels((old.module.eval().generator(z[None, :, None, None])[0] + 1) / 2)
    assert np.array_equal(pixels(first[0]), expected)  # made by its one generator

    data = write_folder(tmp_path / "squares", 8)
    tuned = train(host, home, "dcgan", data, steps=3, from_checkpoint=str(path), **TINY)
    child = read_checkpoint(Path(tuned["model"]))
    assert child.manifest["config"]["ema"] is True  # fine-tuning gives it a moving average
    assert child.manifest["parent"]["model_hash"] == read_checkpoint(path).model_hash
