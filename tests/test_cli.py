"""The ``studio`` command, run as a user runs it: a subprocess, piped or on a terminal."""

from __future__ import annotations

import fcntl
import json
import os
import pty
import select
import struct
import subprocess
import termios

import pytest
from support.entrypoints import studio_command

# Not about isolation: the test plugin's jobs run in-process here (see conftest).
pytestmark = pytest.mark.usefixtures("in_process_jobs")


def studio(env, *args: str, timeout: int = 180) -> subprocess.CompletedProcess:
    return subprocess.run(
        studio_command(*args), env=env, capture_output=True, text=True, timeout=timeout
    )


@pytest.fixture
def trained_run(env, corpus) -> str:
    result = studio(
        env,
        "train",
        "tinychar",
        "--data",
        str(corpus),
        "--steps",
        "12",
        "--name",
        "voice",
        "--set",
        "hidden=16",
    )
    assert result.returncode == 0, result.stderr
    return "voice"


def test_train_piped_prints_plain_lines(env, corpus) -> None:
    result = studio(env, "train", "tinychar", "--data", str(corpus), "--steps", "10")
    assert result.returncode == 0, result.stderr
    assert "step 10/10" in result.stderr
    assert "\r" not in result.stderr  # no progress-bar redraws in a log file
    assert "checkpoint saved at step 10 (final)" in result.stderr


def test_generate_writes_outputs_with_sidecars(env, trained_run, tmp_path) -> None:
    out = tmp_path / "out"
    result = studio(
        env,
        "generate",
        "tinychar",
        "--model",
        trained_run,
        "--prompt",
        "To be",
        "--seed",
        "5",
        "--count",
        "2",
        "--set",
        "max_new_chars=12",
        "--out",
        str(out),
    )
    assert result.returncode == 0, result.stderr
    texts = sorted(out.glob("*.txt"))
    assert len(texts) == 2
    sidecar = json.loads(texts[0].with_suffix(".json").read_text())
    assert sidecar["generator"] == "tinychar"
    assert sidecar["seed"] == 5 and sidecar["params"]["max_new_chars"] == 12
    assert len(sidecar["model_hash"]) == 64
    # The streamed text reached stdout as it was written, and matches the file.
    assert texts[0].read_text(encoding="utf-8") in result.stdout
    # Same model, same seed: the same text.
    again = tmp_path / "again"
    studio(
        env,
        "generate",
        "tinychar",
        "--model",
        trained_run,
        "--prompt",
        "To be",
        "--seed",
        "5",
        "--set",
        "max_new_chars=12",
        "--out",
        str(again),
    )
    assert (again / texts[0].name).read_text() == texts[0].read_text()


def test_images_are_written_as_png(env, tmp_path) -> None:
    out = tmp_path / "img"
    result = studio(env, "generate", "tinypix", "--count", "3", "--seed", "1", "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in out.glob("*.png")) == [
        "tinypix-1-000.png",
        "tinypix-2-001.png",
        "tinypix-3-002.png",
    ]


def test_runs_and_models_listings(env, trained_run) -> None:
    runs = json.loads(studio(env, "runs", "--json").stdout)
    assert [(r["name"], r["status"], r["step"]) for r in runs] == [("voice", "finished", 12)]
    models = json.loads(studio(env, "models", "--json").stdout)
    assert {"voice", "voice@12"} <= {m["name"] for m in models}
    plain = studio(env, "runs").stdout
    assert "voice" in plain and "finished" in plain


def test_fine_tune_and_resume_from_the_command_line(env, trained_run, corpus) -> None:
    result = studio(
        env,
        "train",
        "tinychar",
        "--data",
        str(corpus),
        "--from",
        trained_run,
        "--steps",
        "4",
        "--name",
        "child",
    )
    assert result.returncode == 0, result.stderr
    result = studio(env, "resume", "child", "--steps", "6")
    assert result.returncode == 0, result.stderr
    assert "resumed from step 4" in result.stderr
    runs = {r["name"]: r for r in json.loads(studio(env, "runs", "--json").stdout)}
    assert runs["child"]["step"] == 6
    assert runs["child"]["parent"]["step"] == 12


@pytest.mark.parametrize(
    ("args", "code", "words"),
    [
        (("train", "tinychar", "--data", "/no/such/folder"), 2, "no file or folder"),
        (("train", "nosuchgen", "--data", "."), 2, "no generator 'nosuchgen'"),
        (("train", "tinychar", "--data", ".", "--set", "lr=9"), 2, "parameter 'lr'"),
        (("generate", "tinychar", "--model", "ghost", "--out", "x"), 2, "no model or run"),
        (("resume", "ghost"), 2, "no run named 'ghost'"),
        (("describe", "tinychar"), 0, "max_new_chars (int, default 40)"),
        (("describe", "fastgan"), 0, "resolution (int, default 64) [one of 64|128|256]"),
        (("evaluate", "ghost", "--data", "."), 2, "no model or run"),
    ],
)
def test_errors_are_one_line_with_a_hint(env, args, code, words) -> None:
    result = studio(env, *args)
    assert result.returncode == code, result.stderr
    output = result.stderr + result.stdout
    assert words in output
    assert "Traceback" not in output
    if code:
        assert "hint:" in result.stderr


def test_debug_shows_the_traceback(env) -> None:
    result = studio(env, "--debug", "resume", "ghost")
    assert result.returncode == 2
    assert "Traceback" in result.stderr


def test_progress_bar_on_a_terminal(env, corpus) -> None:
    main, child = pty.openpty()
    fcntl.ioctl(child, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    process = subprocess.Popen(
        studio_command("train", "tinychar", "--data", str(corpus), "--steps", "30"),
        env=env,
        stdin=child,
        stdout=child,
        stderr=child,
        close_fds=True,
    )
    os.close(child)
    captured = b""
    while True:
        ready, _, _ = select.select([main], [], [], 120)
        if not ready:
            break
        try:
            chunk = os.read(main, 4096)
        except OSError:
            break
        if not chunk:
            break
        captured += chunk
    assert process.wait(timeout=60) == 0
    text = captured.decode(errors="replace")
    assert "30/30" in text and "|" in text and "\r" in text  # tqdm redraws one line in place


def test_no_subcommand_opens_window_or_explains(env) -> None:
    result = subprocess.run(
        studio_command(),
        env={**env, "DISPLAY": "", "WAYLAND_DISPLAY": "", "QT_QPA_PLATFORM": ""},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert result.stderr.strip()


def test_version(env) -> None:
    result = studio(env, "--version")
    assert result.returncode == 0 and result.stdout.startswith("studio ")
