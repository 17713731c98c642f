"""Finding the user's models: a checkpoint folder, a model in the library, or a run's latest."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

from studio.api import CheckpointError
from studio.engine.home import Home
from studio.engine.store.checkpoints import (
    MANIFEST,
    Checkpoint,
    list_checkpoints,
    newest_valid,
    read_checkpoint,
    refuse_pickle,
)
from studio.engine.store.runs import RUN_FILE, list_runs, open_run


def resolve_checkpoint(home: Home, reference: str | Path) -> Checkpoint:
    """A checkpoint from a path, a library model name, or a run name (its newest checkpoint)."""
    text = str(reference)
    path = Path(text).expanduser()
    refuse_pickle(path)
    for candidate in (path, home.models / text):
        if (candidate / MANIFEST).is_file():
            return read_checkpoint(candidate)
    for run_path in (path, home.runs / text):
        if (run_path / RUN_FILE).is_file():
            run = open_run(run_path)
            latest = newest_valid(run.checkpoints_dir)
            if latest is None:
                raise CheckpointError(f"run '{run.name}' has no complete checkpoint yet")
            return latest
    if path.is_dir():
        return read_checkpoint(path)  # explains what is wrong with it
    raise CheckpointError(
        f"no model or run named '{text}'; 'studio models' and 'studio runs' list them"
    )


def publish_model(home: Home, checkpoint: Checkpoint, name: str) -> Checkpoint:
    """Place a finished run's checkpoint in the library under ``name``.

    Files are hard-linked where the filesystem allows (checkpoint files never change), so a model
    costs no second copy of its weights.
    """
    destination = home.models / name
    if destination.exists():
        shutil.rmtree(destination)
    temp = home.models / f".tmp-publish-{name}"
    shutil.rmtree(temp, ignore_errors=True)
    shutil.copytree(checkpoint.path, temp, copy_function=_link_or_copy)
    os.rename(temp, destination)
    return read_checkpoint(destination, verify=False)


def _link_or_copy(source: str, destination: str) -> None:
    try:
        os.link(source, destination)
    except OSError:
        shutil.copy2(source, destination)


def list_models(home: Home) -> list[dict[str, Any]]:
    """The library's models, and each run's newest checkpoint, for pickers and ``studio models``."""
    models = [
        {**c.summary(), "name": c.path.name, "kind": "model"} for c in list_checkpoints(home.models)
    ]
    for run in list_runs(home.runs):
        checkpoints = list_checkpoints(run.checkpoints_dir)
        if checkpoints:
            latest = checkpoints[-1]
            models.append({**latest.summary(), "name": f"{run.name}@{latest.step}", "kind": "run"})
    return models
