"""Training runs: one folder each, readable while it is being written.

    runs/<name>/run.json        parameters, status, step, lineage
    runs/<name>/metrics.jsonl   one line per logged step, appended as training goes
    runs/<name>/previews/       preview samples
    runs/<name>/checkpoints/    step-000500/, step-001000/, ...

A run killed mid-way says "running" in run.json while its process is gone; :func:`run_status`
reports it as "interrupted", and it resumes from its newest complete checkpoint.
"""

from __future__ import annotations

import json
import os
import re
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from studio.api import StudioError
from studio.engine.store.atomic import read_json, write_json
from studio.engine.store.checkpoints import list_checkpoints

RUN_FILE = "run.json"
METRICS_FILE = "metrics.jsonl"
LOCK_FILE = ".lock"


@dataclass
class Run:
    path: Path
    info: dict[str, Any]

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def checkpoints_dir(self) -> Path:
        return self.path / "checkpoints"

    @property
    def previews_dir(self) -> Path:
        return self.path / "previews"

    @property
    def metrics_file(self) -> Path:
        return self.path / METRICS_FILE

    def save(self, **changes: Any) -> None:
        self.info.update(changes)
        self.info["updated"] = _now()
        write_json(self.path / RUN_FILE, self.info)

    @property
    def status(self) -> str:
        return run_status(self.info)

    def summary(self) -> dict[str, Any]:
        checkpoints = list_checkpoints(self.checkpoints_dir)
        return {
            "name": self.name,
            "path": str(self.path),
            "generator": self.info.get("generator"),
            "status": self.status,
            "step": self.info.get("step", 0),
            "total_steps": self.info.get("params", {}).get("steps"),
            "created": self.info.get("created"),
            "data": self.info.get("data"),
            "parent": self.info.get("parent"),
            "checkpoints": [c.step for c in checkpoints],
        }


class RunLock:
    """One writer per run: held by the process training it, released when that process ends.

    A second ``train`` or ``resume`` of a live run is refused with the holder's PID instead of
    fighting it for the run's files. The lock is the operating system's (``filelock``), so a
    killed process never leaves a stale one behind.
    """

    def __init__(self, run: Run) -> None:
        from filelock import FileLock

        self.run = run
        self._lock = FileLock(run.path / LOCK_FILE, timeout=0)

    def acquire(self) -> RunLock:
        from filelock import Timeout

        try:
            self._lock.acquire()
        except Timeout:
            holder = read_json(self.run.path / RUN_FILE, default={}).get("pid") or "another"
            raise StudioError(
                f"run '{self.run.name}' is being trained by process {holder}; stop that one "
                "first (or wait for it), then resume"
            ) from None
        return self

    def release(self) -> None:
        self._lock.release()


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S%z")


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def run_status(info: dict[str, Any]) -> str:
    status = info.get("status", "unknown")
    if status == "running" and not _pid_alive(int(info.get("pid", 0)) or -1):
        return "interrupted"
    return status


_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


def create_run(runs_dir: Path, generator_id: str, name: str | None, info: dict[str, Any]) -> Run:
    base = _SAFE_NAME.sub("-", name or f"{generator_id}-{time.strftime('%Y%m%d-%H%M%S')}").strip(
        "-."
    )
    base = base or generator_id
    path = runs_dir / base
    suffix = 2
    while True:
        try:
            path.mkdir(parents=True)
            break
        except FileExistsError:
            path = runs_dir / f"{base}-{suffix}"
            suffix += 1
    # The id tells this run's library model from one of another run that had the same name.
    identity = {"name": path.name, "id": uuid.uuid4().hex, "generator": generator_id}
    run = Run(path, {**identity, "created": _now(), **info})
    run.previews_dir.mkdir()
    run.checkpoints_dir.mkdir()
    run.save()
    return run


def open_run(path: Path) -> Run:
    info = read_json(path / RUN_FILE)
    if not isinstance(info, dict):
        raise StudioError(f"{path} is not a Studio run (no readable {RUN_FILE})")
    return Run(path, info)


def find_run(runs_dir: Path, name_or_path: str) -> Run:
    candidate = Path(name_or_path).expanduser()
    for path in (candidate, runs_dir / name_or_path):
        if (path / RUN_FILE).is_file():
            return open_run(path)
    known = ", ".join(r.name for r in list_runs(runs_dir)) or "none yet"
    raise StudioError(f"no run named '{name_or_path}' (runs: {known})")


def list_runs(runs_dir: Path) -> list[Run]:
    runs = []
    if runs_dir.is_dir():
        for child in sorted(runs_dir.iterdir()):
            if (child / RUN_FILE).is_file():
                try:
                    runs.append(open_run(child))
                except StudioError:
                    continue
    return sorted(runs, key=lambda r: r.info.get("created", ""))


class MetricsLog:
    """Appends one JSON line per step; a torn last line (a kill mid-write) is skipped on read."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._handle = open(path, "a", encoding="utf-8")  # noqa: SIM115 — held for the run

    def append(self, step: int, values: dict[str, float]) -> None:
        line = json.dumps({"step": step, "time": round(time.time(), 3), "values": values})
        self._handle.write(line + "\n")
        self._handle.flush()

    def sync(self) -> None:
        self._handle.flush()
        os.fsync(self._handle.fileno())

    def close(self) -> None:
        self._handle.close()


def read_metrics(path: Path) -> Iterator[dict[str, Any]]:
    if not path.is_file():
        return
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            try:
                record = json.loads(line)
            except ValueError:
                continue
            if isinstance(record, dict) and "step" in record:
                yield record


def truncate_metrics(path: Path, last_step: int) -> None:
    """Keep only lines up to ``last_step``: a resumed run logs the later steps again."""
    kept = [r for r in read_metrics(path) if r["step"] <= last_step]
    from studio.engine.store.atomic import write_bytes

    write_bytes(path, "".join(json.dumps(r) + "\n" for r in kept).encode("utf-8"))


RESUMABLE = ("cancelled", "interrupted", "failed")


def resume_problem(run: Run) -> str | None:
    """Why ``run`` cannot be resumed, in words for the user; None when it can."""
    status = run.status
    if status == "finished":
        return "it finished; fine-tune its model to train it further"
    if status == "running":
        return "it is training now"
    if status not in RESUMABLE:
        return f"its status is '{status}'"
    if not list_checkpoints(run.checkpoints_dir):
        return "it stopped before its first checkpoint was saved, so there is nothing to resume"
    return None


def interrupted_runs(runs_dir: Path) -> list[Run]:
    """Runs whose process ended without saying so (a crash, a power cut) that can resume."""
    return [r for r in list_runs(runs_dir) if r.status == "interrupted" and not resume_problem(r)]
