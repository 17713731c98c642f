"""Resume is exact: N straight steps equal N/2, a kill, a resume, and N/2 more."""

from __future__ import annotations

import pytest
import torch

from studio.engine.events import Cancelled, Finished, Metric
from studio.engine.store import checkpoints as ckpt
from studio.engine.store.runs import find_run, read_metrics
from studio.engine.train.batching import EpochSampler
from studio.engine.train.job import TrainJob

STEPS = 24
# Dropout on, so resume is exact only if the random state is restored.
PARAMS = {
    "steps": STEPS,
    "batch_size": 5,
    "dropout": 0.3,
    "checkpoint_every": 1000,
    "preview_every": 5,
    "eval_every": 4,
}


def _final_weights(home, name):
    run = find_run(home.runs, name)
    final = ckpt.newest_valid(run.checkpoints_dir)
    from safetensors.torch import load_file

    return final, load_file(str(final.path / ckpt.WEIGHTS))


def _train(host, home, corpus, name, cancel_after=None):
    job = TrainJob(host, home, "tinychar", data=corpus, params=PARAMS, name=name)
    events = []
    for event in job.run():
        events.append(event)
        if cancel_after is not None and isinstance(event, Metric) and event.step == cancel_after:
            job.cancel()
    return events


def test_straight_run_equals_cancel_and_resume(host, home, corpus) -> None:
    straight = _train(host, home, corpus, "straight")
    assert isinstance(straight[-1], Finished)

    half = _train(host, home, corpus, "halves", cancel_after=STEPS // 2)
    assert isinstance(half[-1], Cancelled) and half[-1].step == STEPS // 2
    resumed = list(TrainJob(host, home, resume="halves").run())
    assert isinstance(resumed[-1], Finished), resumed[-1]
    first_step = next(e.step for e in resumed if isinstance(e, Metric))
    assert first_step == STEPS // 2 + 1  # step numbers continue

    straight_ckpt, straight_weights = _final_weights(home, "straight")
    halves_ckpt, halves_weights = _final_weights(home, "halves")
    assert straight_ckpt.step == halves_ckpt.step == STEPS
    assert straight_weights.keys() == halves_weights.keys()
    for name, tensor in straight_weights.items():
        assert torch.equal(tensor, halves_weights[name]), name

    # The metric logs agree step for step, with no step logged twice.
    def losses(run_name):
        return [
            (r["step"], r["values"])
            for r in read_metrics(find_run(home.runs, run_name).metrics_file)
        ]

    assert losses("straight") == losses("halves")


def test_batch_order_continues_across_resume() -> None:
    straight = EpochSampler(size=13, batch_size=5, seed=7)
    expected = [straight.next_indices() for _ in range(9)]
    first = EpochSampler(size=13, batch_size=5, seed=7)
    got = [first.next_indices() for _ in range(4)]
    second = EpochSampler(size=13, batch_size=5, seed=0)
    second.restore(first.position())
    got += [second.next_indices() for _ in range(5)]
    assert got == expected
    # Every epoch is a permutation: each index once per 13 draws.
    flat = [i for batch in expected for i in batch]
    assert sorted(flat[:13]) == list(range(13))


def test_resume_needs_a_checkpoint(host, home, corpus) -> None:
    events = _train(host, home, corpus, "early", cancel_after=None)
    assert isinstance(events[-1], Finished)
    run = find_run(home.runs, "early")
    for checkpoint in ckpt.list_checkpoints(run.checkpoints_dir):
        (checkpoint.path / ckpt.MANIFEST).unlink()
    failed = list(TrainJob(host, home, resume="early").run())[-1]
    assert "no complete checkpoint" in failed.message


@pytest.mark.parametrize("fail_at", [7])
def test_failure_keeps_last_good_checkpoint_and_reports(host, home, corpus, fail_at) -> None:
    params = {**PARAMS, "fail_at_step": fail_at, "checkpoint_every": 5}
    events = list(TrainJob(host, home, "tinychar", data=corpus, params=params, name="f").run())
    failed = events[-1]
    assert "planned failure at step 7" in failed.message
    assert "RuntimeError" in failed.traceback
    run = find_run(home.runs, "f")
    assert run.info["status"] == "failed"
    # The failure happened inside a step, so the last checkpoint is the scheduled one at step 5.
    assert ckpt.newest_valid(run.checkpoints_dir).step == 5


def test_out_of_memory_ends_the_job_with_advice(host, home, corpus) -> None:
    params = {**PARAMS, "fail_at_step": 3, "fail_with": "out-of-memory"}
    failed = list(TrainJob(host, home, "tinychar", data=corpus, params=params).run())[-1]
    assert failed.message == "out of memory on the device"
    assert "batch_size" in failed.hint and "OutOfMemoryError" in failed.traceback
    # The app lives on: the next job on the same host runs to the end.
    again = list(TrainJob(host, home, "tinychar", data=corpus, params={"steps": 3}).run())
    assert isinstance(again[-1], Finished)


def test_abandoned_job_leaves_a_resumable_run(host, home, corpus) -> None:
    job = TrainJob(host, home, "tinychar", data=corpus, params=PARAMS, name="abandoned")
    events = job.run()
    for event in events:
        if isinstance(event, Metric) and event.step == 3:
            break
    events.close()  # the window closed without cancelling
    run = find_run(home.runs, "abandoned")
    assert run.info["status"] == "interrupted"
