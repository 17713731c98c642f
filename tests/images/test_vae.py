"""VAE through the engine: it learns, and every generation mode behaves as promised."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from studio.engine.store.checkpoints import read_checkpoint

from .corpus import write_folder
from .helpers import generate, metrics, pixels, pngs, series, train

TINY = {
    "resolution": 16,
    "latent": 4,
    "width": 4,
    "dense": 64,
    "batch_size": 16,
    "colour": "greyscale",
    "preview_count": 4,
    "cache_mb": 16,
}


@pytest.fixture
def data(tmp_path) -> Path:
    return write_folder(tmp_path / "squares", 32, size=16)


@pytest.fixture
def trained(host, home, data):
    return train(
        host,
        home,
        "vae",
        data,
        steps=150,
        lr=5e-3,
        preview_every=50,
        eval_every=50,
        validation=0.25,
        **TINY,
    )


def test_tiny_vae_learns(trained) -> None:
    rows = metrics(trained["run"])
    recon = series(rows, "loss/recon")
    # 256 pixels at chance cost 256 x ln 2 = 177 nats; the squares are learnt well below that.
    assert recon[0] > 150
    assert recon[-10:].mean() < 0.6 * recon[0]
    assert recon[-10:].mean() < 110
    elbo = series(rows, "ELBO/ELBO")
    assert elbo[-10:].mean() > elbo[:10].mean()
    assert np.all(series(rows, "loss/KL") >= 0)
    assert len(list((Path(trained["run"]) / "previews").glob("*.png"))) == 3
    # A quarter of the pictures were held out; their loss is measured every 50 steps.
    held = series(rows, "loss/val_recon")
    assert len(held) == 3 and held[-1] < held[0] and held[-1] < 1.3 * recon[-10:].mean()
    report = json.loads((Path(trained["run"]) / "run.json").read_text())["report"]
    assert len(report["used"]) == 32 and "8 pictures held out" in " ".join(report["notes"])


def test_mlp_architecture_learns(host, home, data) -> None:
    params = {**TINY, "architecture": "mlp", "hidden": 32}
    result = train(host, home, "vae", data, steps=100, lr=5e-3, **params)
    recon = series(metrics(result["run"]), "loss/recon")
    assert recon[-10:].mean() < 0.7 * recon[0]


def test_samples_are_seeded_per_image(host, home, trained, tmp_path) -> None:
    model = trained["model"]
    first = pngs(generate(host, home, "vae", model, tmp_path / "a", seed=7, count=3))
    again = pngs(generate(host, home, "vae", model, tmp_path / "b", seed=9, count=1))
    assert np.array_equal(pixels(first[2]), pixels(again[0]))
    assert pixels(first[0]).shape == (16, 16)  # greyscale PNG


def test_reconstruct_variations_and_interpolate_between_images(
    host, home, trained, data, tmp_path
) -> None:
    model = trained["model"]
    inputs = sorted(data.glob("*.png"))[:2]
    recon = pngs(
        generate(host, home, "vae", model, tmp_path / "r", inputs=inputs, mode="reconstruct")
    )
    assert len(recon) == 2
    # A reconstruction resembles its source more than the other source.
    sources = [np.asarray(Image.open(p).convert("L"), float) for p in inputs]
    first = pixels(recon[0]).astype(float)
    assert np.abs(first - sources[0]).mean() < np.abs(first - sources[1]).mean()
    # Spread 0: every variation is the reconstruction itself; spread 1: they differ.
    same = pngs(
        generate(
            host,
            home,
            "vae",
            model,
            tmp_path / "v0",
            inputs=inputs[:1],
            count=2,
            params={"spread": 0.0},
            mode="variations",
        )
    )
    assert all(np.array_equal(pixels(p), pixels(recon[0])) for p in same)
    spread = pngs(
        generate(
            host,
            home,
            "vae",
            model,
            tmp_path / "v1",
            inputs=inputs[:1],
            count=2,
            seed=4,
            params={"spread": 1.5},
            mode="variations",
        )
    )
    assert not np.array_equal(pixels(spread[0]), pixels(spread[1]))
    walk = generate(
        host,
        home,
        "vae",
        model,
        tmp_path / "i",
        inputs=inputs,
        params={"frames": 5},
        mode="interpolate",
    )
    frames = [
        p for p in pngs(walk) if "animation" not in json.loads(p.with_suffix(".json").read_text())
    ]
    assert len(frames) == 5
    assert np.array_equal(pixels(frames[0]), pixels(recon[0]))
    assert np.array_equal(pixels(frames[-1]), pixels(recon[1]))
    assert len([p for p in walk if p.suffix == ".gif"]) == 1


def test_modes_that_need_inputs_say_so(host, home, trained, tmp_path) -> None:
    from studio.engine.events import Failed
    from studio.engine.generation import GenerateJob

    job = GenerateJob(
        host, home, "vae", model=trained["model"], out_dir=tmp_path, mode="variations"
    )
    events = list(job.run())
    assert isinstance(events[-1], Failed) and "--input" in events[-1].message


def test_fine_tune_records_lineage_and_keeps_the_shape(host, home, trained, tmp_path) -> None:
    other = write_folder(tmp_path / "other", 8, size=30, seed=3)
    tuned = train(
        host,
        home,
        "vae",
        other,
        steps=5,
        from_checkpoint=trained["model"],
        **{**TINY, "resolution": 32, "colour": "colour"},
    )
    child = read_checkpoint(Path(tuned["model"]))
    assert (
        child.manifest["parent"]["model_hash"] == read_checkpoint(Path(trained["model"])).model_hash
    )
    assert child.manifest["config"]["resolution"] == 16
    assert child.manifest["config"]["channels"] == 1


def test_conv_config_without_dense_builds_the_first_model() -> None:
    """Checkpoints from before ``dense`` existed keep loading: no key means no dense layer."""
    from plugins.vae.model import build

    # 16 px: one stride-2 stage, so 4 channels of 8 x 8 features.
    config = {"architecture": "conv", "channels": 1, "resolution": 16, "latent": 4, "width": 4}
    old = build(config).state_dict()
    assert {"posterior.weight", "expand.weight"} <= set(old)
    assert old["posterior.weight"].shape == (8, 4 * 8 * 8)
    new = build({**config, "dense": 8}).state_dict()
    assert new["posterior.0.weight"].shape == (8, 4 * 8 * 8)
    assert new["expand.2.weight"].shape == (4 * 8 * 8, 8)


def test_conv_activation_defaults_to_silu_and_old_configs_keep_relu() -> None:
    """New models use SiLU; a config without ``activation`` (an older checkpoint) builds ReLU,
    with the same weight names, so those checkpoints still load."""
    from torch import nn

    from plugins.vae import VAE
    from plugins.vae.model import build
    from studio.engine.train.loop_params import training_schema

    params = training_schema(VAE()).validate({"resolution": 16, "latent": 4, "width": 4})
    config = VAE()._config(params)
    assert config["activation"] == "silu"
    new = build(config)
    old_config = {k: v for k, v in config.items() if k != "activation"}
    old = build(old_config)
    kinds = {type(m) for m in new.modules()}, {type(m) for m in old.modules()}
    assert nn.SiLU in kinds[0] and nn.ReLU not in kinds[0]
    assert nn.ReLU in kinds[1] and nn.SiLU not in kinds[1]
    assert set(new.state_dict()) == set(old.state_dict())
    old.load_state_dict(new.state_dict())  # same shapes, same names
