"""Checkpoints by time as well as steps: a crash costs minutes, not the run."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from itertools import pairwise
from pathlib import Path

import pytest
from support.entrypoints import studio_command

from studio.engine.events import CheckpointSaved, Finished, Log, Metric
from studio.engine.store import checkpoints as ckpt
from studio.engine.store.runs import find_run
from studio.engine.train.job import TrainJob


def test_a_checkpoint_is_saved_when_its_minutes_have_passed(host, home, corpus: Path) -> None:
    params = {
        "steps": 16,
        "step_delay_ms": 40,
        "checkpoint_every": 1000,  # never by steps before the last
        "checkpoint_minutes": 0.004,  # 0.24 s
        "keep_checkpoints": 100,
    }
    saved: list[tuple[str, float]] = []
    events = []
    for event in TrainJob(host, home, "tinychar", data=corpus, params=params).run():
        events.append(event)
        if isinstance(event, CheckpointSaved):
            saved.append((event.reason, time.monotonic()))
    assert isinstance(events[-1], Finished)
    reasons = [reason for reason, _ in saved]
    assert reasons.count("timed") >= 1 and reasons[-1] == "final", reasons
    # The clock restarts at every save: timed saves are at least the interval apart.
    times = [at for reason, at in saved if reason == "timed"]
    assert all(later - earlier >= 0.24 for earlier, later in pairwise(times))


def test_minutes_zero_saves_by_steps_only(host, home, corpus: Path) -> None:
    params = {"steps": 6, "checkpoint_every": 3, "checkpoint_minutes": 0, "step_delay_ms": 30}
    events = list(TrainJob(host, home, "tinychar", data=corpus, params=params).run())
    assert [e.reason for e in events if isinstance(e, CheckpointSaved)] == ["scheduled", "final"]


@pytest.mark.usefixtures("in_process_jobs")  # kill -9 hits the process that trains
def test_a_killed_run_resumes_from_its_timed_checkpoint(
    env, studio_home, host, home, corpus: Path
) -> None:
    """kill -9 long before the step cadence: the timed checkpoint is what resume starts from."""
    command = studio_command(
        "train", "tinychar", "--data", str(corpus), "--name", "crash",
        "--set", "steps=2000", "--set", "step_delay_ms=20",
        "--set", "checkpoint_every=1000", "--set", "checkpoint_minutes=0.005",
    )  # fmt: skip
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    folder = studio_home / "runs" / "crash" / "checkpoints"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not ckpt.list_checkpoints(folder):
        time.sleep(0.05)
    time.sleep(0.2)
    os.kill(process.pid, signal.SIGKILL)
    process.wait(10)
    run = find_run(home.runs, "crash")
    assert run.status == "interrupted"
    start = ckpt.newest_valid(run.checkpoints_dir)
    assert start is not None and 0 < start.step < 1000
    job = TrainJob(host, home, resume="crash")
    logs, first_step = [], None
    for event in job.run():
        if isinstance(event, Log):
            logs.append(event.message)
        if isinstance(event, Metric) and first_step is None:
            first_step = event.step
            job.cancel()
    assert f"resumed from step {start.step}" in logs
    assert first_step == start.step + 1


def test_tensorboard_event_files_hold_every_metric(host, home, corpus: Path) -> None:
    pytest.importorskip("tensorboard")  # the optional extra
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    params = {"steps": 6, "eval_every": 3, "tensorboard": True}
    events = list(TrainJob(host, home, "tinychar", data=corpus, params=params).run())
    assert isinstance(events[-1], Finished), events[-1]
    folder = events[-1].result.run / "tensorboard"
    accumulator = EventAccumulator(str(folder))
    accumulator.Reload()
    train = accumulator.Scalars("loss/train")
    assert [s.step for s in train] == list(range(1, 7))
    logged = [e.values["loss/train"] for e in events if isinstance(e, Metric)]
    assert [s.value for s in train] == pytest.approx(logged)
    assert [s.step for s in accumulator.Scalars("loss/val")] == [3, 6]


def test_tensorboard_off_writes_no_event_files(host, home, corpus: Path) -> None:
    events = list(TrainJob(host, home, "tinychar", data=corpus, params={"steps": 2}).run())
    assert not (events[-1].result.run / "tensorboard").exists()
