"""Fine-tuning an imported model: LoRA learns, checkpoints hold the adapter, resume is exact."""

from __future__ import annotations

import math
import signal
import subprocess
import time

import pytest
import torch
from safetensors.torch import load_file
from support.entrypoints import studio_command

from studio.api import DataReport
from studio.engine import Failed, Finished, GenerateJob, Metric, TrainJob, find_run, newest_valid
from studio.engine.store import checkpoints as ckpt

FAST = {"batch_size": 2, "context": 32, "lr": 5e-3, "preview_every": 0, "checkpoint_every": 1000}


def _train(host, home, data, model, name, **params):
    events = list(
        TrainJob(
            host, home, "lm", data=data, from_checkpoint=model, name=name, params={**FAST, **params}
        ).run()
    )
    assert isinstance(events[-1], Finished), events[-1]
    return events, [e.values for e in events if isinstance(e, Metric)]


def test_lora_lowers_the_loss_and_checkpoints_hold_only_the_adapter(
    lm_host, home, llama, lm_corpus
) -> None:
    events, metrics = _train(
        lm_host, home, lm_corpus, llama, "learns", steps=30, eval_every=15, preview_every=15
    )
    base = metrics[0]["bits_per_byte/base"]
    assert metrics[-1]["bits_per_byte/val"] < 0.8 * base, (base, metrics[-1])
    assert metrics[-1]["loss/train"] < metrics[0]["loss/train"]
    assert all(m["speed/tokens_per_s"] > 0 for m in metrics)
    final = ckpt.read_checkpoint(events[-1].result["checkpoint"])
    weights = load_file(str(final.path / ckpt.WEIGHTS))
    assert weights and all("lora_" in name for name in weights)
    source = home.base_models / final.base / "model.safetensors"
    assert (final.path / ckpt.WEIGHTS).stat().st_size < source.stat().st_size
    assert final.manifest["config"]["adapter"]["rank"] == 16
    assert any(e.__class__.__name__ == "SampleEvent" for e in events)  # a preview was written
    # The fine-tuned model writes.
    out = list(GenerateJob(lm_host, home, "lm", model="learns", prompt="The cat", seed=2).run())
    assert isinstance(out[-1], Finished), out[-1]


def test_full_fine_tuning_saves_every_weight(lm_host, home, llama, lm_corpus) -> None:
    events, _ = _train(lm_host, home, lm_corpus, llama, "full", steps=3, method="full")
    weights = load_file(
        str(ckpt.read_checkpoint(events[-1].result["checkpoint"]).path / "model.safetensors")
    )
    assert not any("lora_" in name for name in weights) and len(weights) > 10


def _adapter(home, run_name):
    final = newest_valid(find_run(home.runs, run_name).checkpoints_dir)
    return final.step, load_file(str(final.path / ckpt.WEIGHTS))


@pytest.mark.slow
def test_resume_after_sigkill_is_exact(lm_host, home, llama, lm_corpus, env) -> None:
    """20 straight steps equal 10, a SIGKILL, a resume and 10 more (dropout on: RNG restored)."""
    # bf16 autocast on, whatever this CPU measures: its arithmetic must resume exactly too.
    params = {
        **FAST,
        "steps": 20,
        "checkpoint_every": 10,
        "eval_every": 5,
        "batch_size": 4,
        "precision": "bf16",
    }
    _train(lm_host, home, lm_corpus, llama, "straight", **params)

    sets = [f"--set={k}={v}" for k, v in params.items() if k != "steps"]
    args = ["train", "lm", "--from", llama, "--data", str(lm_corpus), "--name", "killed"]
    process = subprocess.Popen(
        studio_command(*args, "--steps", "20", *sets),
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    checkpoints = home.runs / "killed" / "checkpoints"
    deadline = time.monotonic() + 120
    while not (checkpoints / "step-0000010" / ckpt.MANIFEST).exists():
        assert time.monotonic() < deadline and process.poll() is None, process.communicate()[0]
        time.sleep(0.005)
    process.send_signal(signal.SIGKILL)
    process.communicate()
    late = checkpoints / "step-0000020"
    if late.exists():  # the run outpaced the kill: resume from step 10 all the same
        ckpt.remove_checkpoint(late)
    # Resumed in this process (the kill was real; a second interpreter start would only cost time).
    resumed = list(TrainJob(lm_host, home, resume="killed").run())
    assert isinstance(resumed[-1], Finished), resumed[-1]
    assert "resumed from step 10" in [e.message for e in resumed if hasattr(e, "message")]

    straight_step, straight = _adapter(home, "straight")
    killed_step, killed = _adapter(home, "killed")
    assert straight_step == killed_step == 20
    assert straight.keys() == killed.keys()
    for name, tensor in straight.items():
        assert torch.equal(tensor, killed[name]), name


def test_a_changed_or_missing_base_model_is_refused(lm_host, home, llama, lm_corpus) -> None:
    events, _ = _train(lm_host, home, lm_corpus, llama, "tuned", steps=2)
    base = home.base_models / ckpt.read_checkpoint(events[-1].result["checkpoint"]).base
    weights = base / "model.safetensors"
    data = bytearray(weights.read_bytes())
    data[-5] ^= 0xFF  # one flipped byte in a weight
    weights.write_bytes(bytes(data))
    for model in ("tuned", llama):
        out = list(GenerateJob(lm_host, home, "lm", model=model, seed=1).run())
        assert isinstance(out[-1], Failed) and out[-1].user_error, out[-1]
        assert "changed since it was imported" in out[-1].message
    base.rename(base.with_name("elsewhere"))
    out = list(GenerateJob(lm_host, home, "lm", model="tuned", seed=1).run())
    assert isinstance(out[-1], Failed) and "not in the library" in out[-1].message


def test_lm_needs_an_imported_model(lm_host, home, lm_corpus) -> None:
    out = list(TrainJob(lm_host, home, "lm", data=lm_corpus, params={"steps": 1}).run())
    assert isinstance(out[-1], Failed) and "studio models add" in out[-1].message


def test_bits_per_byte_agrees_with_a_hand_computation(lm_host, home, llama, tmp_path) -> None:
    """Held-out NLL in bits over the UTF-8 bytes the scored tokens spell, by hand."""
    from plugins.lm import LMGenerator
    from studio.api import RunContext
    from studio.engine import resolve_device
    from studio.engine.store.library import resolve_checkpoint

    text = "Quelle belle journée ! 今日はいい天気です。 A fine day. " * 3
    (tmp_path / "a.txt").write_text("Training text about cats and mats. " * 20)
    (tmp_path / "b.txt").write_text(text)  # the last file is held out whole
    generator = LMGenerator()
    device = resolve_device("cpu")
    model = ckpt.load_model(generator, resolve_checkpoint(home, llama), device, home.base_models)
    params = generator_params(generator, context=16, precision="fp32")
    data = generator.load_data(tmp_path, params, model, DataReport())
    trainer = generator.create_trainer(model, data, params, RunContext(device=device))
    with torch.no_grad():
        figures = trainer.evaluate()

    tokenizer = model.module.tokens.tokenizer
    ids = [*tokenizer.encode(text, add_special_tokens=False), tokenizer.eos_token_id]
    nats, scored = 0.0, []
    with torch.no_grad():
        for start in range(0, len(ids) - 1, 16):
            window = ids[start : start + 17]
            logits = model.module.hf(input_ids=torch.tensor([window[:-1]])).logits[0]
            logp = torch.log_softmax(logits.double(), dim=-1)
            nats -= sum(float(logp[i, t]) for i, t in enumerate(window[1:]))
            scored += window[1:]
    size = len(tokenizer.decode(scored, skip_special_tokens=True).encode("utf-8"))
    assert math.isclose(figures["bits_per_byte/val"], nats / math.log(2) / size, rel_tol=1e-4)
    assert math.isclose(figures["loss/val"], nats / len(scored), rel_tol=1e-4)


def generator_params(generator, **overrides):
    from studio.engine import training_schema

    return training_schema(generator).validate(
        {"eval_windows": 1000, "val_fraction": 0.5, **overrides}
    )


def test_eval_mode_reaches_the_base_model_and_comes_back(lm_host, home, llama) -> None:
    """Studio switches eval mode around evaluate/preview: the hidden base model follows."""
    from plugins.lm import LMGenerator
    from studio.engine import resolve_device
    from studio.engine.store.library import resolve_checkpoint
    from studio.engine.train.modes import evaluating

    model = ckpt.load_model(
        LMGenerator(), resolve_checkpoint(home, llama), resolve_device("cpu"), home.base_models
    )
    module = model.module
    module.train()
    with evaluating(module):
        assert not any(m.training for m in module.hf.modules())
    assert all(m.training for m in module.hf.modules())
    assert not module.state_dict()  # an imported model alone: nothing of its own to save


def test_the_precision_chosen_is_kept_on_resume() -> None:
    import torch

    from plugins.lm.trainer import use_bf16

    cpu = torch.device("cpu")
    assert use_bf16(cpu, "fp32", print) is False and use_bf16(cpu, "bf16", print) is True
    notes: list[str] = []
    chosen = use_bf16(cpu, "auto", notes.append)
    assert ("bf16 autocast" in notes[0]) == chosen
    assert use_bf16(torch.device("cuda"), "auto", print) is True


def test_out_of_memory_ends_with_advice_and_keeps_the_checkpoint(
    lm_host, home, llama, lm_corpus, monkeypatch
) -> None:
    from plugins.lm.trainer import LMTrainer

    real, calls = LMTrainer.loss, []

    def loss(self, inputs, targets):
        calls.append(1)
        if len(calls) == 3:  # the third step runs out of memory, after the step-2 checkpoint
            raise torch.OutOfMemoryError("CPU out of memory (simulated)")
        return real(self, inputs, targets)

    monkeypatch.setattr(LMTrainer, "loss", loss)
    job = TrainJob(
        lm_host,
        home,
        "lm",
        data=lm_corpus,
        from_checkpoint=llama,
        name="oom",
        params={**FAST, "steps": 6, "checkpoint_every": 2},
    )
    events = list(job.run())
    assert isinstance(events[-1], Failed) and events[-1].message == "out of memory on the device"
    assert "lora_rank" in events[-1].hint
    assert newest_valid(find_run(home.runs, "oom").checkpoints_dir).step == 2


def test_checkpointing_changes_memory_not_results(lm_host, home, llama, lm_corpus) -> None:
    runs = {}
    for flag in (True, False):
        events, metrics = _train(
            lm_host, home, lm_corpus, llama, f"ckpt-{flag}", steps=3, checkpointing=flag
        )
        final = ckpt.read_checkpoint(events[-1].result["checkpoint"])
        runs[flag] = (metrics, load_file(str(final.path / ckpt.WEIGHTS)))
    assert [m["loss/train"] for m in runs[True][0]] == pytest.approx(
        [m["loss/train"] for m in runs[False][0]], rel=1e-5
    )
    for name, tensor in runs[True][1].items():
        assert torch.allclose(tensor, runs[False][1][name], atol=1e-6), name
