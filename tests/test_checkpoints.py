"""Checkpoints: atomic folders, verified hashes, never a pickle."""

from __future__ import annotations

import pickle
import shutil
import subprocess
from pathlib import Path

import pytest
from support.entrypoints import studio_command

from studio.api import CheckpointError
from studio.engine.events import Finished
from studio.engine.store import checkpoints as ckpt
from studio.engine.store import state_io
from studio.engine.store.library import resolve_checkpoint
from studio.engine.train.job import TrainJob

# Not about isolation: the test plugin's jobs run in-process here (see conftest).
pytestmark = pytest.mark.usefixtures("in_process_jobs")


@pytest.fixture
def trained(host, home, corpus) -> ckpt.Checkpoint:
    events = list(
        TrainJob(host, home, "tinychar", data=corpus, params={"steps": 6}, name="base").run()
    )
    assert isinstance(events[-1], Finished)
    return ckpt.read_checkpoint(Path(events[-1].result["checkpoint"]))


class _Marker:
    """Unpickling this writes a file: the proof that a loader ran code from a checkpoint."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (Path.write_text, (self.marker, "pwned"))


def test_pickle_is_refused_and_never_unpickled(tmp_path, home, host, env) -> None:
    marker = tmp_path / "marker"
    for suffix in (".pt", ".ckpt", ".pth"):
        evil = tmp_path / f"model{suffix}"
        evil.write_bytes(pickle.dumps(_Marker(marker)))
        with pytest.raises(CheckpointError, match="pickle"):
            resolve_checkpoint(home, evil)
        result = subprocess.run(
            studio_command(
                "generate", "tinychar", "--model", str(evil), "--out", str(tmp_path / "out")
            ),
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 2
        assert "pickle" in result.stderr and "Traceback" not in result.stderr
    # A pickle smuggled into a checkpoint folder as its weights is not loadable either.
    folder = tmp_path / "smuggled"
    folder.mkdir()
    (folder / ckpt.WEIGHTS).write_bytes(pickle.dumps(_Marker(marker)))
    (folder / ckpt.MANIFEST).write_text(
        '{"format": "studio-checkpoint", "generator": {"id": "tinychar"}, "config": {},'
        ' "files": {"model.safetensors": "0"}}'
    )
    with pytest.raises(CheckpointError, match="corrupt checkpoint"):
        resolve_checkpoint(home, folder)
    assert not marker.exists()


def test_round_trip_loads_identical_weights(trained, host) -> None:
    import torch

    generator = host.generator("tinychar")
    model = ckpt.load_model(generator, trained, torch.device("cpu"))
    from safetensors.torch import load_file

    saved = load_file(str(trained.path / ckpt.WEIGHTS))
    for name, tensor in model.module.state_dict().items():
        assert torch.equal(tensor, saved[name])
    assert trained.manifest["generator"] == {"id": "tinychar", "version": "1.0"}
    assert trained.manifest["dataset_fingerprint"]
    assert trained.step == 6


@pytest.mark.parametrize("damage", ["truncate", "flip", "delete"])
def test_damaged_checkpoint_reads_as_corrupt(trained, tmp_path, host, damage) -> None:
    import torch

    copy = tmp_path / "copy"
    shutil.copytree(trained.path, copy)
    weights = copy / ckpt.WEIGHTS
    data = weights.read_bytes()
    if damage == "truncate":
        weights.write_bytes(data[: len(data) // 2])
    elif damage == "flip":
        weights.write_bytes(data[:-10] + bytes(b ^ 0xFF for b in data[-10:]))
    else:
        weights.unlink()
    with pytest.raises(CheckpointError, match="corrupt checkpoint"):
        ckpt.read_checkpoint(copy)
    # Even if verification is skipped, loading reports corruption rather than a traceback.
    if damage == "truncate":
        unverified = ckpt.read_checkpoint(copy, verify=False)
        with pytest.raises(CheckpointError, match="corrupt checkpoint"):
            ckpt.load_model(host.generator("tinychar"), unverified, torch.device("cpu"))


def test_unfinished_save_is_invisible(trained, tmp_path) -> None:
    folder = tmp_path / "ckpts"
    shutil.copytree(trained.path, folder / "step-0000006")
    # What a kill mid-save leaves: a temporary folder, and a folder with no manifest.
    shutil.copytree(trained.path, folder / f"{ckpt.TEMP_PREFIX}step-0000009-abc")
    half = folder / "step-0000012"
    shutil.copytree(trained.path, half)
    (half / ckpt.MANIFEST).unlink()
    assert [c.step for c in ckpt.list_checkpoints(folder)] == [6]
    assert ckpt.newest_valid(folder).path.name == "step-0000006"
    ckpt.sweep_temporaries(folder)
    assert not any(p.name.startswith(ckpt.TEMP_PREFIX) for p in folder.iterdir())


def test_generator_mismatch_is_refused(trained, host) -> None:
    import torch

    with pytest.raises(CheckpointError, match="made by generator 'tinychar'"):
        ckpt.load_model(host.generator("tinypix"), trained, torch.device("cpu"))


def test_state_io_round_trips_optimizer_like_state() -> None:
    import torch

    state = {
        "state": {0: {"step": torch.tensor(3.0), "exp_avg": torch.ones(2, 3)}},
        "param_groups": [{"lr": 0.1, "betas": (0.9, 0.999), "params": [0], "name": None}],
        "weird": {"__tensor__": "not a tensor ref"},
    }
    tree, tensors = state_io.flatten(state)
    back = state_io.unflatten(tree, tensors)
    assert back["param_groups"] == state["param_groups"]
    assert isinstance(back["param_groups"][0]["betas"], tuple)
    assert torch.equal(back["state"][0]["exp_avg"], state["state"][0]["exp_avg"])
    assert back["weird"] == state["weird"]
    with pytest.raises(TypeError):
        state_io.flatten({"x": object()})


def test_fine_tune_records_lineage(trained, host, home, corpus) -> None:
    events = list(
        TrainJob(
            host,
            home,
            "tinychar",
            data=corpus,
            params={"steps": 3},
            from_checkpoint=str(trained.path),
            name="child",
        ).run()
    )
    assert isinstance(events[-1], Finished), events[-1]
    child = ckpt.read_checkpoint(Path(events[-1].result["checkpoint"]))
    assert child.manifest["parent"]["model_hash"] == trained.model_hash
    assert child.manifest["parent"]["path"] == str(trained.path)
    assert child.step == 3
