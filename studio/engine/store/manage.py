"""Keeping the library tidy: remove runs and models, rename models, export a run's metrics.

The window and ``studio runs remove`` / ``studio models remove`` / ``studio models rename`` /
``studio runs export`` call these, so both refuse the same things with the same words: a run that
is training, a name that is taken or unsafe.
"""

from __future__ import annotations

import csv
import io
import re
import shutil
from pathlib import Path

from studio.api import StudioError
from studio.engine.home import Home
from studio.engine.store.atomic import write_bytes
from studio.engine.store.checkpoints import MANIFEST, list_checkpoints
from studio.engine.store.runs import Run, find_run, list_runs, read_metrics

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")


def remove_run(home: Home, name: str) -> Path:
    """Delete a run's folder (its checkpoints, previews, metrics); its published model stays."""
    run = find_run(home.runs, name)
    if run.status == "running":
        raise StudioError(f"run '{run.name}' is training now; cancel it first")
    shutil.rmtree(run.path)
    return run.path


def model_folder(home: Home, name: str) -> Path:
    folder = home.models / name
    if not name or Path(name).name != name or not (folder / MANIFEST).is_file():
        known = ", ".join(c.path.name for c in list_checkpoints(home.models)) or "none yet"
        raise StudioError(f"no model named '{name}' in the library (models: {known})")
    return folder


def remove_model(home: Home, name: str) -> Path:
    """Delete a library model. Runs keep their own checkpoints, so nothing else breaks."""
    folder = model_folder(home, name)
    shutil.rmtree(folder)
    for run in _runs_publishing(home, folder):
        run.save(model=None)
    return folder


def rename_model(home: Home, old: str, new: str) -> Path:
    """Rename a library model; the run that made it follows the new name."""
    folder = model_folder(home, old)
    if not _NAME.match(new):
        raise StudioError(
            f"'{new}' cannot name a model: use letters, digits, '.', '_' or '-' (up to 100)"
        )
    target = home.models / new
    if target.exists():
        raise StudioError(f"a model named '{new}' exists already")
    runs = _runs_publishing(home, folder)
    folder.rename(target)
    for run in runs:
        run.save(model=str(target))
    return target


def library_models(home: Home) -> list[dict]:
    """Every library model for the window's model library: what it is (generator, step), its
    size on disk, what it was fine-tuned from, and the runs that made it."""
    runs = list_runs(home.runs)
    models = []
    for checkpoint in list_checkpoints(home.models):
        made_by = [r.name for r in runs if r.info.get("model") == str(checkpoint.path)]
        parent = checkpoint.manifest.get("parent") or {}
        models.append(
            {
                **checkpoint.summary(),
                "name": checkpoint.path.name,
                "size_bytes": sum(
                    f.stat().st_size for f in checkpoint.path.rglob("*") if f.is_file()
                ),
                # An imported model keeps its weights once, in base-models/, shared by every
                # model fine-tuned from it: counted apart, so a fine-tune's adapter reads as
                # the megabytes it is and the base as what it costs on disk.
                "base_bytes": _folder_bytes(home.base_models / base)
                if (base := checkpoint.manifest.get("base"))
                else 0,
                "from": _lineage_name(home, parent),
                "runs": made_by,
            }
        )
    return models


def _folder_bytes(folder: Path) -> int:
    return sum(f.stat().st_size for f in folder.rglob("*") if f.is_file()) if folder.is_dir() else 0


def metrics_csv(run: Run) -> str:
    """Every logged step of ``run`` as CSV: step, time, then one column per metric name."""
    rows = list(read_metrics(run.metrics_file))
    names = sorted({name for row in rows for name in row.get("values", {})})
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["step", "time", *names])
    for row in rows:
        values = row.get("values", {})
        writer.writerow([row["step"], row.get("time", ""), *(values.get(n, "") for n in names)])
    return out.getvalue()


def export_metrics(home: Home, name: str, destination: Path) -> Path:
    run = find_run(home.runs, name)
    if destination.is_dir():
        destination = destination / f"{run.name}-metrics.csv"
    write_bytes(destination, metrics_csv(run).encode("utf-8"))
    return destination


def _lineage_name(home: Home, parent: dict) -> str:
    """What a model was fine-tuned from, by the name the user knows: a model, or run@step."""
    if not parent.get("path"):
        return ""
    path = Path(parent["path"])
    if path.parent == home.models:
        return path.name
    return f"{path.parent.parent.name}@{parent.get('step', '?')}"


def _runs_publishing(home: Home, folder: Path) -> list[Run]:
    return [r for r in list_runs(home.runs) if r.info.get("model") == str(folder)]
