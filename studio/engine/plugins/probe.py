"""The import check: a new or changed third-party plugin is first imported in a throwaway process.

A plugin that calls ``os._exit(0)``, segfaults or hangs while being imported would otherwise take
every command down with it, silently. So before Studio imports a third-party plugin it has not
seen at this version, a freshly spawned interpreter (never a fork: nothing of this process is
shared) imports it the same way and calls its ``register_generators``. If that child dies, exits
before saying it finished, or runs past the time limit, the plugin is marked failed with the exit
code or the signal, and everything else starts normally.

The outcome is remembered per distribution name and version (and its RECORD, so a reinstall of
the same version with other files is checked again) in the library, so start-up stays fast.
Children run side by side; an ordinary exception is not the check's business (the in-process guard
records it with its traceback), so it counts as passed.

Run as ``python -m studio.engine.plugins.probe`` with a JSON request as its argument (internal).
"""

from __future__ import annotations

import hashlib
import importlib.metadata as metadata
import json
import os
import secrets
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from studio.engine.store.atomic import read_json, write_json

TIMEOUT_S = 30.0
_DONE = "studio-import-check-done"


def timeout_s() -> float:
    # Tests and slow machines may change it; a bad value keeps the default.
    try:
        return float(os.environ.get("STUDIO_IMPORT_CHECK_TIMEOUT", TIMEOUT_S))
    except ValueError:
        return TIMEOUT_S


@dataclass(frozen=True)
class Candidate:
    """One plugin to check: its entry point and what the gate must open for it."""

    plugin: str
    value: str  # the entry point's "module:attr"
    key: str  # distribution name==version plus a RECORD digest
    opened: tuple[str, ...]  # site distributions the child may import


def cache_key(dist: metadata.Distribution) -> str:
    record = dist.read_text("RECORD") or ""
    digest = hashlib.sha256(record.encode("utf-8")).hexdigest()[:16]
    return f"{dist.metadata['Name']}=={dist.version}#{digest}"


def check(candidates: list[Candidate], cache_file: Path, site: Path | None) -> dict[str, str]:
    """Check every candidate not remembered; return plugin name -> failure reason (failed only)."""
    remembered = read_json(cache_file, default={})
    remembered = remembered if isinstance(remembered, dict) else {}
    failures: dict[str, str] = {}
    running = []
    for candidate in candidates:
        outcome = remembered.get(f"{candidate.plugin}={candidate.key}")
        if isinstance(outcome, dict) and "ok" in outcome:
            if not outcome["ok"]:
                failures[candidate.plugin] = outcome.get("reason", "failed the import check")
            continue
        running.append((candidate, *_spawn(candidate, site)))
    if not running:
        return failures
    deadline = time.monotonic() + timeout_s()
    for candidate, process, nonce in running:
        reason = _outcome(process, nonce, deadline)
        remembered[f"{candidate.plugin}={candidate.key}"] = {"ok": reason is None, "reason": reason}
        if reason is not None:
            failures[candidate.plugin] = reason
    write_json(cache_file, remembered)
    return failures


def forget(cache_file: Path, plugin: str) -> None:
    """Drop what was remembered of ``plugin``: enabling it again checks it again."""
    remembered = read_json(cache_file, default={})
    if isinstance(remembered, dict):
        kept = {k: v for k, v in remembered.items() if not k.startswith(f"{plugin}=")}
        if kept != remembered:
            write_json(cache_file, kept)


def _spawn(candidate: Candidate, site: Path | None) -> tuple[subprocess.Popen[str], str]:
    nonce = secrets.token_hex(8)
    request = {
        "sys_path": [p for p in sys.path if p],
        "site": str(site) if site else None,
        "opened": list(candidate.opened),
        "value": candidate.value,
        "nonce": nonce,
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "studio.engine.plugins.probe", json.dumps(request)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        start_new_session=True,  # a hanging child and anything it started are killed together
    )
    return process, nonce


def _outcome(process: subprocess.Popen[str], nonce: str, deadline: float) -> str | None:
    try:
        # One deadline for all: a child that finished while another was waited for is read whole.
        remaining = deadline - time.monotonic()
        out, _ = process.communicate(timeout=None if process.poll() is not None else remaining)
    except subprocess.TimeoutExpired:
        _kill_group(process)
        return (
            f"did not finish being imported within {timeout_s():g} s (checked in a throwaway "
            "process, which was stopped); it was not loaded"
        )
    if f"{_DONE} {nonce}" in out.splitlines():
        return None
    code = process.returncode
    if code < 0:
        name = signal.Signals(-code).name if -code in signal.valid_signals() else str(-code)
        how = f"was killed by signal {name}"
    else:
        how = f"ended the process with exit code {code}"
    return f"{how} while being imported (checked in a throwaway process); it was not loaded"


def _kill_group(process: subprocess.Popen[str]) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError, AttributeError):
        process.kill()
    process.wait()


def _child() -> None:
    """In the throwaway process: import the plugin as Studio would, then say so."""
    request = json.loads(sys.argv[1])
    sys.path[:] = request["sys_path"]
    if request["site"]:
        from studio.engine.plugins.install import gate

        gate.install(Path(request["site"])).open(request["opened"])
    try:
        plugin = metadata.EntryPoint("probe", request["value"], "studio.plugins").load()
        register = getattr(plugin, "register_generators", None)
        if callable(register):
            register()
    except (Exception, SystemExit):  # the in-process guard reports these, with a traceback
        pass
    # A plugin may have replaced sys.stdout; the real one is still there.
    sys.__stdout__.write(f"\n{_DONE} {request['nonce']}\n")
    sys.__stdout__.flush()
    os._exit(0)  # no atexit handlers of the plugin's


if __name__ == "__main__":
    _child()
