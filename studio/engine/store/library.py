"""Finding the user's models: a checkpoint folder, a model in the library, or a run's latest."""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path
from typing import Any

from studio.api import CheckpointError
from studio.engine.home import Home
from studio.engine.store.atomic import fsync_dir, fsync_tree
from studio.engine.store.checkpoints import (
    MANIFEST,
    Checkpoint,
    list_checkpoints,
    newest_valid,
    read_checkpoint,
    refuse_pickle,
)
from studio.engine.store.imports import read_record
from studio.engine.store.runs import RUN_FILE, Run, list_runs, open_run


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


def publish_model(
    home: Home, checkpoint: Checkpoint, name: str, *, run_id: str | None = None
) -> tuple[Checkpoint, str]:
    """Place a finished run's checkpoint in the library under ``name`` (or a free variant of it).

    A library model is replaced only by a later checkpoint of the same run (``run_id``, recorded
    in each checkpoint's origin): a run of another lineage that shares the name, or a fine-tune
    of the model itself, gets the next free name (``name-2``...) instead. Returns the model and
    the name it got. The files are copied, never hard-linked, so damage to one copy (a disk
    error, an edit) never reaches the other.
    """
    chosen = _free_name(home, checkpoint, name, run_id)
    destination = home.models / chosen
    temp = home.models / f".tmp-publish-{chosen}-{uuid.uuid4().hex[:8]}"
    shutil.copytree(checkpoint.path, temp)
    fsync_tree(temp)
    if destination.exists():
        retired = home.models / f".tmp-retired-{chosen}-{uuid.uuid4().hex[:8]}"
        os.rename(destination, retired)  # out of sight first: a kill never leaves half of it
        os.rename(temp, destination)
        shutil.rmtree(retired, ignore_errors=True)
    else:
        os.rename(temp, destination)
    fsync_dir(home.models)
    return read_checkpoint(destination, verify=False), chosen


def publish_run_model(home: Home, run: Run, final: Path) -> tuple[Checkpoint, str]:
    """Publish ``run``'s final checkpoint; returns the model and a notice if it got a new name.

    A resumed run updates the model it published before, under the name it got then.
    """
    wanted = Path(run.info["model"]).name if run.info.get("model") else run.name
    checkpoint = read_checkpoint(final, verify=False)
    published, chosen = publish_model(home, checkpoint, wanted, run_id=run.info.get("id"))
    if chosen == wanted:
        return published, ""
    return published, (
        f"the library already has a model '{wanted}' from another run; this one is saved as "
        f"'{chosen}' and nothing was replaced"
    )


def _free_name(home: Home, checkpoint: Checkpoint, name: str, run_id: str | None) -> str:
    parent = (checkpoint.manifest.get("parent") or {}).get("path")
    candidate, suffix = name, 2
    while True:
        existing = home.models / candidate
        if not existing.exists():
            return candidate
        same_run = run_id is not None and _origin_id(existing) == run_id
        is_parent = parent is not None and Path(parent).resolve() == existing.resolve()
        if same_run and not is_parent:
            return candidate
        candidate, suffix = f"{name}-{suffix}", suffix + 1


def _origin_id(model: Path) -> str | None:
    try:
        origin = read_checkpoint(model, verify=False).manifest.get("origin") or {}
    except CheckpointError:
        return None  # unreadable: certainly not ours to replace
    return origin.get("run_id") if isinstance(origin, dict) else None


def list_models(home: Home) -> list[dict[str, Any]]:
    """The library's models, and each run's newest checkpoint, for pickers and ``studio models``.

    A model built on an imported one carries what its import recorded (architecture, parameters,
    precision, size, memory estimates) and a warning when the estimates exceed this machine.
    """
    models = [
        {**c.summary(), "name": c.path.name, "kind": "model"} for c in list_checkpoints(home.models)
    ]
    published = {str(m["path"]) for m in models}
    for run in list_runs(home.runs):
        if str(run.info.get("model", "")) in published:
            continue  # a finished run is its published model: one line, not two
        checkpoints = list_checkpoints(run.checkpoints_dir)
        if checkpoints:
            latest = checkpoints[-1]
            models.append({**latest.summary(), "name": f"{run.name}@{latest.step}", "kind": "run"})
    records: dict[str, dict[str, Any]] = {}
    for model in models:
        if model["base"]:
            if model["base"] not in records:
                records[model["base"]] = read_record(home.base_models / model["base"]) or {}
            info = records[model["base"]].get("info", {})
            model["info"] = info
            model["warnings"] = memory_warnings(info, total_memory())
    return models


def total_memory() -> int:
    """This machine's physical memory in bytes (0 where the platform does not say)."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):
        return 0


def memory_warnings(info: dict[str, Any], available: int) -> list[str]:
    """A warning per task whose estimated memory exceeds ``available`` (Studio still tries)."""
    warnings = []
    for key, task in (
        ("memory_generate_bytes", "generating"),
        ("memory_train_bytes", "fine-tuning"),
    ):
        need = info.get(key)
        if available and need and need > available:
            warnings.append(
                f"{task} needs about {need / 2**30:.1f} GiB, more than this machine's "
                f"{available / 2**30:.1f} GiB: it may be very slow or run out of memory"
            )
    return warnings


def describe_import(info: dict[str, Any]) -> str:
    """One line about an imported model: architecture, size, precision, memory to use it."""
    parts = [str(info.get("architecture", "?"))]
    if info.get("parameters"):
        parts.append(f"{info['parameters'] / 1e6:.1f}M parameters")
    if info.get("precision"):
        parts.append(str(info["precision"]))
    for key, label in (
        ("size_bytes", "on disk"),
        ("memory_generate_bytes", "to generate"),
        ("memory_train_bytes", "to fine-tune"),
    ):
        if info.get(key):
            parts.append(f"{info[key] / 2**30:.2f} GiB {label}")
    return ", ".join(parts)
