"""The user's path on the command line: train on a folder, then generate PNGs with metadata."""

from __future__ import annotations

import json
import subprocess

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
