"""Training under SIGKILL: the fault test and the longer stress benchmark share this driver."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from studio.engine.store import checkpoints as ckpt
from studio.engine.store.runs import read_metrics

from .entrypoints import studio_command


@dataclass
class KillReport:
    kills: int = 0
    mid_save: int = 0  # kills that left an unfinished checkpoint behind
    resumed_from: list[int] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def wait_for(predicate, timeout: float = 120) -> bool:
    """Poll ``predicate`` until it is true (True) or ``timeout`` seconds pass (False)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.01)
    return False


def logged_steps(run: Path) -> list[int]:
    """The steps a run's metrics.jsonl holds, in file order."""
    return [r["step"] for r in read_metrics(run / "metrics.jsonl")]


def start_training(env: dict[str, str], corpus: Path, name: str, *sets: str) -> subprocess.Popen:
    """``studio train tinychar`` on ``corpus`` as run ``name``, each of ``sets`` a --set KEY=V."""
    command = studio_command("train", "tinychar", "--data", str(corpus), "--name", name,
                             "--set", "preview_every=0", "--set", "eval_every=0",
                             *(arg for kv in sets for arg in ("--set", kv)))  # fmt: skip
    return subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True)  # fmt: skip


def _unfinished(folder: Path) -> bool:
    if not folder.is_dir():
        return False
    return any(
        child.name.startswith(ckpt.TEMP_PREFIX) or not (child / ckpt.MANIFEST).exists()
        for child in folder.iterdir()
    )


def kill_and_resume(
    corpus: Path, env: dict[str, str], home: Path, kills: int, seed: int = 0, max_delay: float = 0.6
) -> KillReport:
    """Train, SIGKILL at random moments ``kills`` times, resume after each; check every time."""
    rng = random.Random(seed)
    run_dir = home / "runs" / "killed"
    checkpoints = run_dir / "checkpoints"
    report = KillReport()
    train = studio_command(
        "train",
        "tinychar",
        "--data",
        str(corpus),
        "--name",
        "killed",
        "--steps",
        "1000000",
        "--set",
        "checkpoint_every=1",
        "--set",
        "keep_checkpoints=2",
        "--set",
        "step_delay_ms=2",
        "--set",
        "preview_every=0",
    )
    command = train
    for _ in range(kills):
        newest = ckpt.newest_valid(checkpoints)
        floor = newest.step if newest else 0
        process = subprocess.Popen(
            command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        started = wait_for(
            lambda: (
                bool(list(read_metrics(run_dir / "metrics.jsonl")))
                and ckpt.newest_valid(checkpoints) is not None
                and ckpt.newest_valid(checkpoints).step > floor  # noqa: B023 — read at once
            ),
            timeout=120,
        )
        if not started:
            process.kill()
            report.problems.append(f"never trained: {process.communicate()[0][-2000:]}")
            return report
        time.sleep(rng.uniform(0.0, max_delay))
        process.send_signal(signal.SIGKILL)
        output = process.communicate()[0]
        report.kills += 1
        if newest is not None:
            expected = f"resumed from step {newest.step}"
            if expected not in output:
                report.problems.append(f"expected '{expected}' in: {output[-500:]}")
            report.resumed_from.append(newest.step)
        report.mid_save += _unfinished(checkpoints)
        _check_newest_loads(checkpoints, report)
        command = studio_command("resume", "killed")
    return report


def _check_newest_loads(folder: Path, report: KillReport) -> None:
    import torch

    from studio.engine.plugins.host import load_plugins

    newest = ckpt.newest_valid(folder)
    if newest is None:
        report.problems.append("no complete checkpoint after a kill")
        return
    try:
        generator = load_plugins().generator("tinychar")
        ckpt.load_model(generator, newest, torch.device("cpu"))
        ckpt.load_trainer_state(newest)
    except Exception as error:
        report.problems.append(f"newest checkpoint {newest.path} does not load: {error}")


def interrupt_and_check(env: dict[str, str], home: Path) -> tuple[int, int, list[int]]:
    """Resume once more, stop it with Ctrl+C (SIGINT); return exit code, step, logged steps."""
    run_dir = home / "runs" / "killed"
    before = ckpt.newest_valid(run_dir / "checkpoints").step
    process = subprocess.Popen(
        studio_command("resume", "killed"),
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    wait_for(lambda: ckpt.newest_valid(run_dir / "checkpoints").step > before + 5, 120)
    process.send_signal(signal.SIGINT)
    code = process.wait(timeout=120)
    steps = [r["step"] for r in read_metrics(run_dir / "metrics.jsonl")]
    return code, ckpt.newest_valid(run_dir / "checkpoints").step, steps


if os.name != "posix":  # pragma: no cover
    raise ImportError("SIGKILL tests need POSIX")
