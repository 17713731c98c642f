"""The user's path on the command line: train on a folder, then generate PNGs with metadata."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from PIL import Image
from support.entrypoints import studio_command

from .corpus import write_bad, write_folder

TINY = ["resolution=32", "latent=8", "g_width=4", "d_width=4", "batch_size=4", "cache_mb=8"]


def _run(env, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**env, "OMP_NUM_THREADS": "1"}  # tiny layers: one thread is fastest on a busy CPU
    return subprocess.run(
        studio_command(*args), env=env, capture_output=True, text=True, timeout=240
    )


def test_train_then_generate_on_the_command_line(env, studio_home, tmp_path) -> None:
    data = write_folder(tmp_path / "pics", 6)
    write_bad(data / "bad")
    sets = [item for pair in TINY for item in ("--set", pair)]
    trained = _run(
        env, "train", "dcgan", "--data", str(data), "--steps", "3", "--name", "cli", *sets
    )
    assert trained.returncode == 0, trained.stderr + trained.stdout
    log = trained.stdout + trained.stderr  # the dataset report goes with the progress output
    assert "6 file(s) used, 6 skipped" in log
    assert "decompression bomb refused" in log
    out = tmp_path / "d"
    made = _run(
        env,
        "generate",
        "dcgan",
        "--model",
        "cli",
        "--count",
        "2",
        "--seed",
        "11",
        "--out",
        str(out),
    )
    assert made.returncode == 0, made.stderr + made.stdout
    images = sorted(out.glob("*.png"))
    assert len(images) == 2
    for index, path in enumerate(images):
        with Image.open(path) as image:
            meta = json.loads(image.text["studio"])
            assert image.size == (32, 32)
        assert meta["generator"] == "dcgan" and meta["seed"] == 11 + index
        assert len(meta["model_hash"]) == 64 and meta["mode"] == "sample"
        assert json.loads(path.with_suffix(".json").read_text())["seed"] == 11 + index

    # Evaluate the run's model against its folder: figures as JSON, results in the run folder.
    measured = _run(env, "evaluate", "cli", "--data", str(data), "--json", "--set", "count=12")
    assert measured.returncode == 0, measured.stderr + measured.stdout
    figures = json.loads(measured.stdout)
    assert figures["kid"] > 0 and figures["kid_std"] >= 0 and figures["images"] == 12
    assert figures["training_images"] == 6
    (folder,) = figures["results"]
    assert folder.startswith(str(studio_home / "runs" / "cli" / "evaluations"))
    saved = json.loads((Path(folder) / "results.json").read_text())
    assert saved["figures"]["kid"] == figures["kid"] and saved["generator"] == "dcgan"
    assert len(saved["details"]["nearest"]) == 12
    with Image.open(Path(folder) / "nearest.png") as view:
        assert view.width > 2 * 32
    text = _run(env, "evaluate", "cli", "--data", str(data), "--set", "count=12")
    assert text.returncode == 0 and text.stdout.startswith("KID "), text.stderr
    missing = _run(env, "evaluate", "cli", "--data", str(tmp_path / "nowhere"))
    assert missing.returncode == 2 and "no file or folder" in missing.stderr
