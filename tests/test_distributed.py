"""Training on two CPU processes with torchrun and gloo, as a user starts it from the terminal.

``studio train ... --nproc-per-node 2`` runs the command under ``torch.distributed.run``. The
two ranks must agree with one process training on the same global batch, keep identical
parameters (the engine checks them at every checkpoint and logs it), leave every file to rank 0,
and continue exactly after a kill; a GAN's two modules and two optimisers stay identical on both
ranks. Each run starts three interpreters, so the runs stay tiny.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time

import pytest
from images.corpus import write_folder
from support.entrypoints import studio_command

from studio.engine.store import checkpoints as ckpt
from studio.engine.store.runs import read_metrics

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]

TEXT = "It was the best of times, it was the worst of times, it was the age of wisdom. " * 12
GENERATORS = {
    # gpt names its model in Trainer.distributed_modules(): DDP. tinychar names nothing: the
    # engine averages gradients before each optimiser step.
    "gpt": [
        "preset=tiny",
        "dropout=0.0",
        "lr=0.003",
        "warmup_steps=2",
        "eval_batches=2",
        "preview_tokens=8",
    ],
    "tinychar": ["dropout=0.0", "hidden=16"],
    # Two modules, two optimisers, the discriminator run three times a step and frozen for the
    # generator's pass: it names nothing, and both optimisers' gradients are averaged.
    "dcgan": ["resolution=32", "latent=8", "g_width=8", "d_width=8", "preview_count=2"],
}


def _train(env, data, generator, name, batch, *extra, processes=1, steps=6):
    sets = [
        f"batch_size={batch}",
        "checkpoint_every=3",
        "eval_every=3",
        "preview_every=3",
        *GENERATORS[generator],
        *extra,
    ]
    command = studio_command(
        "train", generator, "--data", str(data), "--name", name, "--steps", str(steps)
    )
    for item in sets:
        command += ["--set", item]
    if processes > 1:
        command += ["--nproc-per-node", str(processes)]
    return command


def _finished(command, env) -> subprocess.CompletedProcess:
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return done


def _losses(home, name):
    return [
        (r["step"], r["values"]["loss/train"])
        for r in read_metrics(home / "runs" / name / "metrics.jsonl")
    ]


@pytest.mark.parametrize("generator", ["gpt", "tinychar"])
def test_two_ranks_train_like_one_process_and_only_rank_0_writes(
    env, studio_home, tmp_path, generator
) -> None:
    data = tmp_path / "text.txt"
    data.write_text(TEXT, encoding="utf-8")
    log = tmp_path / "writes"
    env = {**env, "STUDIO_TEST_WRITE_LOG": str(log), "OMP_NUM_THREADS": "1"}
    two = _finished(_train(env, data, generator, "two", 4, processes=2), env)
    _finished(_train(env, data, generator, "one", 8), env)

    for step in (3, 6):
        assert f"step {step}: parameters identical on all 2 ranks" in two.stderr
    # The same global batch of 8 (4 on each rank): the same losses, to float rounding.
    two_losses, one_losses = _losses(studio_home, "two"), _losses(studio_home, "one")
    assert [s for s, _ in two_losses] == list(range(1, 7))
    for (_, a), (_, b) in zip(two_losses, one_losses, strict=True):
        assert a == pytest.approx(b, rel=1e-4, abs=1e-5)
    # Rank 1 wrote nothing under the library; rank 0 wrote the run.
    # (Every process makes sure the library's folders exist: no-ops once rank 0 made them.)
    library = {f"os.mkdir {studio_home / f}" for f in ("models", "runs", "exports", "plugins")}
    assert set(json.loads((tmp_path / "writes.rank1").read_text())) <= library
    assert any(
        "runs/two/checkpoints" in w for w in json.loads((tmp_path / "writes.rank0").read_text())
    )
    assert two.stderr.count("checkpoint saved at step 6") == 1  # one rank reports


def test_killed_two_rank_run_resumes_exactly(env, studio_home, tmp_path) -> None:
    data = tmp_path / "text.txt"
    data.write_text(TEXT, encoding="utf-8")
    env = {**env, "OMP_NUM_THREADS": "1"}
    dropout = "dropout=0.2"  # each rank's own dropout stream must resume exactly too
    _finished(_train(env, data, "tinychar", "straight", 4, dropout, processes=2, steps=12), env)

    killed = subprocess.Popen(
        _train(
            env, data, "tinychar", "killed", 4, dropout, "step_delay_ms=150", processes=2, steps=12
        ),
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    checkpoints = studio_home / "runs" / "killed" / "checkpoints"
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        newest = ckpt.newest_valid(checkpoints)
        if newest is not None and newest.step >= 6:
            break
        time.sleep(0.05)
    os.killpg(killed.pid, signal.SIGKILL)  # the launcher and both ranks, at once
    killed.wait()
    stopped_at = ckpt.newest_valid(checkpoints).step
    assert 6 <= stopped_at < 12

    resumed = _finished(studio_command("resume", "killed", "--nproc-per-node", "2"), env)
    assert f"resumed from step {stopped_at}" in resumed.stderr, resumed.stderr[:1500]
    # Every step once, in order, with the losses of the run that was never killed.
    assert _losses(studio_home, "killed") == _losses(studio_home, "straight")


def test_a_gan_trains_on_two_ranks_with_identical_weights(env, studio_home, tmp_path) -> None:
    # Batch norm keeps each rank's own batch statistics, so the losses cannot match one process
    # on the global batch; what must hold is that both modules stay identical on every rank
    # (the engine checks every float parameter at each checkpoint and fails the job if not).
    data = write_folder(tmp_path / "squares", 16)
    log = tmp_path / "writes"
    env = {**env, "STUDIO_TEST_WRITE_LOG": str(log), "OMP_NUM_THREADS": "1"}
    two = _finished(
        _train(env, data, "dcgan", "gan", 4, "checkpoint_every=2", processes=2, steps=4), env
    )
    for step in (2, 4):
        assert f"step {step}: parameters identical on all 2 ranks" in two.stderr
    rows = read_metrics(studio_home / "runs" / "gan" / "metrics.jsonl")
    assert [r["step"] for r in rows] == [1, 2, 3, 4]  # rank 0 alone logs
    assert all(r["values"]["loss/D"] > 0 and r["values"]["loss/G"] > 0 for r in rows)
    saved = ckpt.newest_valid(studio_home / "runs" / "gan" / "checkpoints")
    assert saved is not None and saved.step == 4
    assert "runs/gan" not in (tmp_path / "writes.rank1").read_text()


def test_lm_with_lora_and_the_vae_train_on_two_ranks(env, studio_home, tmp_path) -> None:
    """The other built-ins, unchanged: lm (LoRA on an imported model) and the VAE keep identical
    parameters on both ranks at every checkpoint, and only rank 0 logs."""
    from support import tiny_lm

    env = {**env, "OMP_NUM_THREADS": "1"}
    base = tiny_lm.llama_folder(tmp_path / "tiny-llama")
    _finished(studio_command("models", "add", str(base), "--name", "tiny-llama"), env)
    text = tmp_path / "novel.txt"
    text.write_text(tiny_lm.TEXT * 12, encoding="utf-8")
    pictures = write_folder(tmp_path / "squares", 16)
    runs = {
        "lm": (
            text,
            ["--from", "tiny-llama"],
            ["context=32", "lr=0.005", "preview_every=0", "lora_dropout=0.0"],
        ),
        "vae": (pictures, [], ["architecture=mlp", "hidden=16", "latent=4", "resolution=16"]),
    }
    for generator, (data, extra, sets) in runs.items():
        command = studio_command(
            "train", generator, "--data", str(data), "--name", generator, "--steps", "4", *extra
        )
        for item in ["batch_size=2", "checkpoint_every=2", "eval_every=2", *sets]:
            command += ["--set", item]
        done = _finished([*command, "--nproc-per-node", "2"], env)
        for step in (2, 4):
            assert f"step {step}: parameters identical on all 2 ranks" in done.stderr, generator
        rows = read_metrics(studio_home / "runs" / generator / "metrics.jsonl")
        assert [r["step"] for r in rows] == [1, 2, 3, 4], generator
