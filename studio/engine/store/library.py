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
from studio.engine.store.imports import read_record
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
