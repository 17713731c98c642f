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
    # A finished run is its published model: listed once, not also as voice@12.
    assert [m["name"] for m in models] == ["voice"]
    plain = studio(env, "runs").stdout
    assert "voice" in plain and "finished" in plain
    lines = studio(env, "models").stdout.splitlines()
    assert lines[0].split() == ["MODEL", "GENERATOR", "STEP", "HASH"]
    assert len(lines) == 2 and lines[1].split()[:3] == ["voice", "tinychar", "12"]


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


def test_evaluate_and_export_load_the_plugins_once(env, trained_run, corpus, tmp_path) -> None:
    """One session per command: the test plugin's startup hook runs once, as for train."""
    log = tmp_path / "startups.txt"
    counted = {**env, "STUDIO_TESTGEN_STARTUP_LOG": str(log)}
    result = studio(
        counted, "evaluate", trained_run, "--data", str(corpus), "--prompts", "2", "--json"
    )
    assert result.returncode == 0, result.stderr
    assert trained_run in json.loads(result.stdout)["models"]
    assert len(log.read_text().split()) == 1
    log.unlink()
    # The test generator has no exporter: refused in one line, by the command's one session.
    result = studio(counted, "export", trained_run, "--format", "merged", "--out", str(tmp_path))
    assert result.returncode == 2 and "it has no exporter" in result.stderr, result.stderr
    assert len(log.read_text().split()) == 1


def test_runs_and_models_are_removed_renamed_and_exported(env, trained_run, tmp_path) -> None:
    import csv

    out = tmp_path / "voice.csv"
    result = studio(env, "runs", "export", "voice", "--out", str(out))
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert [int(r["step"]) for r in rows] == list(range(1, 13))
    assert all(float(r["loss/train"]) > 0 for r in rows)
    renamed = studio(env, "models", "rename", "voice", "my-voice")
    assert renamed.returncode == 0, renamed.stderr
    assert [m["name"] for m in json.loads(studio(env, "models", "--json").stdout)] == ["my-voice"]
    runs = json.loads(studio(env, "runs", "--json").stdout)
    assert runs[0]["name"] == "voice"
    bad = studio(env, "models", "rename", "my-voice", "../escape")
    assert bad.returncode == 2 and "cannot name a model" in bad.stderr
    assert studio(env, "models", "remove", "nothing").returncode == 2
    assert studio(env, "runs", "remove", "voice").returncode == 0
    assert json.loads(studio(env, "runs", "--json").stdout) == []
    # The model outlives the run that made it.
    assert [m["name"] for m in json.loads(studio(env, "models", "--json").stdout)] == ["my-voice"]
    assert studio(env, "models", "remove", "my-voice").returncode == 0
    assert json.loads(studio(env, "models", "--json").stdout) == []


def test_every_flag_has_help_and_plugin_help_lists_every_action(env) -> None:
    import argparse

    from studio.cli.main import build_parser

    def walk(parser: argparse.ArgumentParser, where: str):
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, child in action.choices.items():
                    yield from walk(child, f"{where} {name}")
            elif not isinstance(action, argparse._HelpAction):
                yield where, action

    missing = [f"{where} {a.dest}" for where, a in walk(build_parser(), "studio") if not a.help]
    assert missing == []
    text = studio(env, "plugin", "--help").stdout
    for action in ("enable", "disable", "new", "install", "uninstall", "rollback", "snapshots"):
        assert f"    {action}" in text, (action, text)


def test_a_closed_pipe_exits_quietly(env) -> None:
    import sys

    # The reader takes nothing and leaves: the listing meets a closed pipe at once.
    script = (
        "import subprocess, sys\n"
        f"p = subprocess.Popen({studio_command('plugins')!r}, stdout=subprocess.PIPE,"
        " stderr=subprocess.PIPE)\n"
        "p.stdout.close()\n"
        "err = p.stderr.read().decode()\n"
        "sys.exit(f'{p.wait()}|{err}')\n"
    )
    result = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True)
    code, _, err = result.stderr.strip().partition("|")
    assert code == "0" and "BrokenPipe" not in err and "Traceback" not in err, result.stderr
