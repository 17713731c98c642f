"""``studio evaluate`` for text: the voice report of a trained model, beside another, as JSON."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from support.entrypoints import studio_command


def studio(env, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        studio_command(*args), env=env, capture_output=True, text=True, timeout=240
    )


@pytest.fixture
def two_runs(env, tmp_path: Path) -> tuple[Path, Path]:
    sentence = "the boats came home in the fog and she wrote their names in the book"
    words = sentence.split(" ")
    training = tmp_path / "novel.txt"
    training.write_text(" ".join(words[i % len(words)] for i in range(3000)), encoding="utf-8")
    for name, steps in (("short", "4"), ("long", "30")):
        result = studio(
            env,
            "train",
            "tinychar",
            "--data",
            str(training),
            "--steps",
            steps,
            "--name",
            name,
            "--set",
            "hidden=16",
        )
        assert result.returncode == 0, result.stderr
    held_out = tmp_path / "held_out.txt"
    held_out.write_text(" ".join(words[(i * 7) % len(words)] for i in range(600)), encoding="utf-8")
    return training, held_out


@pytest.mark.slow
def test_voice_report_of_a_run_beside_another(
    env, two_runs, studio_home: Path, tmp_path: Path
) -> None:
    _training, held_out = two_runs
    result = studio(
        env,
        "evaluate",
        "long",
        "--data",
        str(held_out),
        "--against",
        "short",
        "--prompts",
        "3",
        "--json",
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert set(report["models"]) == {"long", "short"}
    assert len(report["samples"]) == 3
    for sample in report["samples"]:
        assert sample["real"] and set(sample["generated"]) == {"long", "short"}
    for label in ("long", "short"):
        assert 0.0 <= report["figures"][f"copy_rate/{label}"] <= 1.0
        assert 0.0 <= report["figures"][f"style_distance/{label}"] <= 1.0
    assert report["notes"] == ["Tiny character model (test) does not measure bits per byte"]
    # The training text came from the run; the report is kept in the run's folder.
    saved = json.loads((studio_home / "runs" / "long" / "voice-report.json").read_text())
    assert saved["figures"] == report["figures"]
    table = studio(env, "evaluate", "long", "--data", str(held_out), "--prompts", "2")
    assert table.returncode == 0, table.stderr
    assert "copy rate" in table.stdout and "long" in table.stdout

    # An image model is measured the image way (KID); this test generator cannot: a plain refusal.
    images = tmp_path / "images"
    images.mkdir()
    from PIL import Image

    for i in range(4):
        Image.new("L", (8, 8), color=i * 40).save(images / f"{i}.png")
    trained = studio(
        env, "train", "tinypix", "--data", str(images), "--steps", "2", "--name", "pix"
    )
    assert trained.returncode == 0, trained.stderr
    result = studio(env, "evaluate", "pix", "--data", str(images))
    assert result.returncode == 2
    assert "generator 'tinypix' cannot evaluate models yet" in result.stderr
    # The voice report job itself refuses an image model plainly too.
    from studio.engine import Failed, Home, VoiceReportJob, load_plugins

    job = VoiceReportJob(
        load_plugins(), Home.open(studio_home), "pix", data=held_out, training=held_out
    )
    end = list(job.run())[-1]
    assert isinstance(end, Failed) and end.message == "'pix' is an image model: no voice report"
