"""Runs and the library keep their promises: damaged checkpoints, live runs, names, signals."""

from __future__ import annotations

import json
import os
import signal
import subprocess
from pathlib import Path

import pytest
from support.entrypoints import studio_command
from support.killing import logged_steps as _steps
from support.killing import start_training, wait_for

from studio.engine.events import Failed, Finished, Log
from studio.engine.store import checkpoints as ckpt
from studio.engine.train.job import TrainJob

FAST = {"preview_every": 0, "eval_every": 0}


def _train(host, home, corpus, **kwargs) -> list:
    params = {**FAST, **kwargs.pop("params", {})}
    return list(TrainJob(host, home, "tinychar", data=corpus, params=params, **kwargs).run())


def test_resume_sets_damaged_newest_checkpoints_aside_and_completes(host, home, corpus) -> None:
    events = _train(host, home, corpus, name="r", params={"steps": 6, "checkpoint_every": 2,
                                                          "keep_checkpoints": 5})  # fmt: skip
    assert isinstance(events[-1], Finished), events[-1]
    folder = home.runs / "r" / "checkpoints"
    # The newest one's weights flipped, the one before lost its manifest's tail.
    weights = folder / "step-0000006" / ckpt.WEIGHTS
    weights.write_bytes(weights.read_bytes()[:-8] + b"\x00" * 8)
    manifest = folder / "step-0000004" / ckpt.MANIFEST
    manifest.write_bytes(manifest.read_bytes()[:40])
    events = list(TrainJob(host, home, resume="r", extra_steps=8).run())
    assert isinstance(events[-1], Finished), events[-1]
    warnings = [e.message for e in events if isinstance(e, Log) and e.level == "warning"]
    assert sum("skipped a damaged checkpoint" in w for w in warnings) == 2, warnings
    assert any(isinstance(e, Log) and e.message == "resumed from step 2" for e in events)
    aside = sorted(p.name.rsplit("-", 1)[0] for p in (home.runs / "r" / "damaged").iterdir())
    assert aside == ["step-0000004", "step-0000006"]  # moved, not deleted
    assert [c.step for c in ckpt.list_checkpoints(folder)][-1] == 8
    assert _steps(home.runs / "r") == list(range(1, 9))


def _parent_of(pid: int) -> int:
    # /proc/PID/stat: "pid (comm) state ppid ...", comm may hold spaces.
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])


def test_a_live_run_refuses_a_second_writer_with_its_pid(env, studio_home, corpus) -> None:
    live = start_training(env, corpus, "live", "steps=100000", "step_delay_ms=20",
                          "checkpoint_every=5")  # fmt: skip
    run = studio_home / "runs" / "live"
    try:
        assert wait_for(lambda: ckpt.newest_valid(run / "checkpoints") is not None)
        second = subprocess.run(studio_command("resume", "live"), env=env, capture_output=True,
                                text=True, timeout=120)  # fmt: skip
        assert second.returncode == 2, second.stderr
        # The process that trains: the command itself, or the child it runs a plugin's job in.
        holder = json.loads((run / "run.json").read_text())["pid"]
        assert holder == live.pid or _parent_of(holder) == live.pid
        assert f"is being trained by process {holder}" in second.stderr
        before = len(_steps(run))
        assert wait_for(lambda: len(_steps(run)) > before + 5)  # the live run trains on
        info = json.loads((run / "run.json").read_text())
        assert info["status"] == "running" and info["pid"] == holder
    finally:
        live.send_signal(signal.SIGINT)
        live.communicate(timeout=120)
    steps = _steps(run)
    assert steps == list(range(1, len(steps) + 1))  # nothing lost, nothing written twice


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP])
def test_sigterm_and_sighup_save_a_checkpoint_and_exit_like_ctrl_c(
    env, studio_home, corpus, signum
) -> None:
    process = start_training(env, corpus, "stopped", "steps=100000", "step_delay_ms=10",
                             "checkpoint_every=100000")  # fmt: skip
    run = studio_home / "runs" / "stopped"
    assert wait_for(lambda: len(_steps(run)) >= 3)
    process.send_signal(signum)
    output, _ = process.communicate(timeout=120)
    assert process.returncode == 128 + signum, output
    assert "(cancelled)" in output and "checkpoint saved" in output, output
    newest = ckpt.newest_valid(run / "checkpoints")
    assert newest is not None and newest.step == _steps(run)[-1]
    assert json.loads((run / "run.json").read_text())["status"] == "cancelled"


def test_library_models_are_copies_never_hard_links(host, home, corpus) -> None:
    events = _train(host, home, corpus, name="copied", params={"steps": 2})
    model = Path(events[-1].result["model"])
    source = Path(events[-1].result["checkpoint"])
    for file in model.rglob("*"):
        if file.is_file():
            assert file.stat().st_nlink == 1, file
            assert file.stat().st_ino != (source / file.relative_to(model)).stat().st_ino
    # Damage to the run's copy does not reach the library's.
    weights = source / ckpt.WEIGHTS
    weights.write_bytes(b"\x00" * weights.stat().st_size)
    ckpt.read_checkpoint(model, verify=True)


def test_names_never_overwrite_another_lineage_or_the_parent(host, home, corpus) -> None:
    first = _train(host, home, corpus, name="same", params={"steps": 2})
    original = ckpt.read_checkpoint(home.models / "same").model_hash
    # The run folder deleted, then a new run with the same name.
    import shutil

    shutil.rmtree(home.runs / "same")
    second = _train(host, home, corpus, name="same", params={"steps": 3, "seed": 5})
    assert isinstance(first[-1], Finished) and isinstance(second[-1], Finished)
    assert ckpt.read_checkpoint(home.models / "same").model_hash == original
    assert Path(second[-1].result["model"]) == home.models / "same-2"
    said = [e.message for e in second if isinstance(e, Log) and e.level == "warning"]
    assert any("saved as 'same-2' and nothing was replaced" in m for m in said), said
    # A fine-tune of 'same' named 'same' keeps its parent and points at it, not at itself.
    tuned = _train(host, home, corpus, name="same", from_checkpoint="same", params={"steps": 2})
    assert isinstance(tuned[-1], Finished), tuned[-1]
    assert ckpt.read_checkpoint(home.models / "same").model_hash == original
    child = ckpt.read_checkpoint(Path(tuned[-1].result["model"]))
    assert child.path != home.models / "same"
    assert child.manifest["parent"]["path"] == str(home.models / "same")
    # Resuming a finished run for more steps replaces its own model (same lineage).
    more = list(TrainJob(host, home, resume="same", extra_steps=4).run())
    assert isinstance(more[-1], Finished), more[-1]
    assert Path(more[-1].result["model"]) == home.models / "same-2"
    assert ckpt.read_checkpoint(home.models / "same-2").step == 4


def test_sys_exit_in_a_step_or_in_generate_fails_only_that_job(host, home, corpus) -> None:
    events = _train(host, home, corpus, name="exits", params={"steps": 5, "fail_at_step": 2,
                                                              "fail_with": "sys-exit"})  # fmt: skip
    assert isinstance(events[-1], Failed), events[-1]
    assert "called sys.exit(0)" in events[-1].message
    assert json.loads((home.runs / "exits" / "run.json").read_text())["status"] == "failed"
    from studio.engine.generation import GenerateJob

    job = GenerateJob(host, home, "tinychar", params={"exit_after": 3}, seed=1)
    events = list(job.run())
    assert isinstance(events[-1], Failed) and "called sys.exit(0)" in events[-1].message


def test_sys_exit_in_a_step_exits_non_zero_with_a_message(env, corpus) -> None:
    result = subprocess.run(
        studio_command("train", "tinychar", "--data", str(corpus), "--steps", "4",
                       "--set", "fail_at_step=2", "--set", "fail_with=sys-exit"),
        env=env, capture_output=True, text=True, timeout=180,
    )  # fmt: skip
    assert result.returncode == 1, result.stderr
    assert "called sys.exit(0); Studio stopped this job only" in result.stderr


if os.name != "posix":  # pragma: no cover
    pytest.skip("signals and file modes are POSIX here", allow_module_level=True)
