"""The parent side of an isolated job: a Job whose events come from a child process.

The worker thread and the command line drive it exactly like an in-process job: ``run`` yields
the child's events as they arrive, ``cancel`` reaches the child. When the child dies without a
last word (a segfault, an abort, ``os._exit``, SIGKILL, the kernel's out-of-memory killer), this
job alone fails with the signal or exit code and the plugin's name; the failure counts toward the
plugin's three strikes, and a training run's last complete checkpoint stays resumable.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import Any

from studio.engine.events import (
    TERMINAL,
    Cancelled,
    CheckpointSaved,
    Event,
    Failed,
    Metric,
    Started,
)
from studio.engine.home import Home
from studio.engine.jobs import Job
from studio.engine.plugins.health import PluginHealth
from studio.engine.plugins.host import IN_PROCESS, PluginHost, PluginRecord
from studio.engine.process import codec
from studio.engine.store.atomic import read_json
from studio.engine.store.runs import RUN_FILE, Run

# How long a cancelled child may take to save its checkpoint and exit before it is killed.
CANCEL_GRACE_S = 30.0
# How long a child that sent its last event may take to exit.
EXIT_GRACE_S = 10.0
POLL_S = 0.1


def death_reason(code: int) -> str:
    """'killed by SIGSEGV (Segmentation fault)' or 'exited with code 3'."""
    if code < 0:
        number = -code
        try:
            name = signal.Signals(number).name
        except ValueError:
            name = f"signal {number}"
        reason = f"was killed by {name} ({signal.strsignal(number) or 'unknown signal'})"
        if number == signal.SIGKILL:
            reason += "; the system does this when memory runs out"
        return reason
    return f"exited with code {code}"


def rebuildable(record: PluginRecord) -> bool:
    """Whether a child process can load this plugin as its parent did.

    Entry points always; a plugin registered in-process (``studio.testing.Harness``) when its
    module can be imported by name from the same import path.
    """
    if record.source != IN_PROCESS:
        return True
    # Asked of the import system's finders, not sys.modules: a module made from a file outside
    # the import path is in sys.modules here, and a fresh interpreter would not find it.
    top = record.module.partition(".")[0]
    for finder in sys.meta_path:
        find = getattr(finder, "find_spec", None)
        with contextlib.suppress(Exception):
            if find is not None and find(top, None) is not None:
                return True
    return False


class IsolatedJob(Job):
    """Run a ``kind`` job ("train", "generate") built from ``kwargs`` in a spawned interpreter.

    ``launcher`` is put before the child's module on its command line: empty for one process,
    PyTorch's launcher (``-m torch.distributed.run --nproc-per-node N``) for several ranks.
    """

    def __init__(
        self,
        kind: str,
        host: PluginHost,
        home: Home,
        *,
        generator_id: str | None,
        kwargs: dict[str, Any],
        title: str,
        health: PluginHealth | None = None,
        launcher: tuple[str, ...] = (),
        cancel_grace_s: float = CANCEL_GRACE_S,
    ) -> None:
        # The parent counts the plugin's failures: the child's job has no health of its own.
        super().__init__(health)
        self.kind = kind
        self.host = host
        self.home = home
        self.generator_id = generator_id
        self.kwargs = kwargs
        self.title = title
        self.launcher = launcher
        self.cancel_grace_s = cancel_grace_s
        self.step: int | None = None
        self.process: subprocess.Popen[bytes] | None = None
        self._run_dir: Path | None = None
        self._checkpoint: CheckpointSaved | None = None
        self._ended = False  # the child sent its last event

    def _spec(self, socket_path: Path) -> dict[str, Any]:
        loaded = [r for r in self.host.records.values() if r.status == "loaded"]
        return {
            "kind": self.kind,
            "kwargs": self.kwargs,
            "home": str(self.home.root),
            "safe_mode": self.host.safe_mode,
            # The plugins this process loaded, so the child loads the same ones (and no other).
            "plugins": [r.name for r in loaded if r.source != IN_PROCESS],
            "extra": [
                [r.name, r.module] for r in loaded if r.source == IN_PROCESS and rebuildable(r)
            ],
            "sys_path": [p for p in sys.path if p],
            "socket": str(socket_path),
            "parent": os.getpid(),
        }

    def run(self) -> Iterator[Event]:
        # Not Job.run: a child's failure arrives as an event, and a dead child is handled here.
        folder = Path(tempfile.mkdtemp(prefix="studio-job-"))  # private: mode 0700
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            socket_path = folder / "job.sock"
            listener.bind(str(socket_path))
            listener.listen(1)
            spec_path = folder / "job.json"
            spec_path.write_text(json.dumps(self._spec(socket_path)), encoding="utf-8")
            command = [sys.executable, *self.launcher, "-m", "studio.engine.process.child"]
            try:
                self.process = subprocess.Popen([*command, str(spec_path)])
            except OSError as error:
                yield Failed(f"could not start the job's process: {error}")
                return
            yield from self._pump(listener)
        finally:
            listener.close()
            self._stop_child()
            shutil.rmtree(folder, ignore_errors=True)

    def _pump(self, listener: socket.socket) -> Iterator[Event]:
        conn: Connection | None = None
        cancel_sent: float | None = None
        listener.setblocking(False)
        while True:
            if self.cancel_token.cancelled and cancel_sent is None:
                cancel_sent = time.monotonic()
                if conn is not None:
                    with contextlib.suppress(OSError):
                        conn.send_bytes(b'{"cancel": true}')
                else:  # not connected yet (a plugin hanging at import): SIGTERM reaches it
                    self._signal(signal.SIGTERM)
            if cancel_sent is not None and time.monotonic() - cancel_sent > self.cancel_grace_s:
                self._kill()
                yield Cancelled(step=self.step)
                return
            if conn is None:
                conn = self._accept(listener)
                if conn is None:
                    if self.process.poll() is not None:
                        yield from self._died(cancel_sent is not None)
                        return
                    time.sleep(POLL_S)
                    continue
            if not wait([conn], timeout=POLL_S):
                if self.process.poll() is not None and not conn.poll():
                    yield from self._died(cancel_sent is not None)
                    return
                continue
            try:
                event = codec.loads(conn.recv_bytes())
            except (EOFError, OSError):
                self.process.wait()
                yield from self._died(cancel_sent is not None)
                return
            self._ended = isinstance(event, TERMINAL)
            yield from self._forward(event)
            if self._ended:
                return

    def _accept(self, listener: socket.socket) -> Connection | None:
        try:
            sock, _ = listener.accept()
        except BlockingIOError:
            return None
        sock.setblocking(True)
        return Connection(sock.detach())

    def _forward(self, event: Event) -> Iterator[Event]:
        if isinstance(event, Started) and event.run_dir is not None:
            self._run_dir = event.run_dir
        elif isinstance(event, Metric):
            self.step = event.step
        elif isinstance(event, CheckpointSaved):
            self._checkpoint = event
        if isinstance(event, Failed):
            # The child's failures count in this session, toward the plugin's three strikes.
            yield from self._report_failure(event)
        else:
            yield event

    def _died(self, cancelling: bool) -> Iterator[Event]:
        code = self.process.returncode if self.process else None
        if cancelling:
            yield Cancelled(step=self.step)
            return
        plugin = self.host.generator_plugin.get(self.generator_id or "", "unknown")
        message = f"the job's process {death_reason(code or 0)} (plugin '{plugin}')"
        hint = ""
        if self._run_dir is not None:
            self._mark_run_failed()
            if self._checkpoint is not None:
                hint = (
                    f"the checkpoint of step {self._checkpoint.step} is kept: resume the run "
                    f"with 'studio resume {self._run_dir.name}' or Resume in the window"
                )
        yield from self._report_failure(Failed(message, hint=hint))

    def _mark_run_failed(self) -> None:
        """The child could not say so itself: the run is failed, and resumable."""
        info = read_json(self._run_dir / RUN_FILE, default=None)
        if isinstance(info, dict) and info.get("status") == "running":
            Run(self._run_dir, info).save(status="failed", pid=0)

    def _signal(self, number: int) -> None:
        if self.process is not None and self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.process.pid, number)

    def _kill(self) -> None:
        self._signal(signal.SIGKILL)
        if self.process is not None:
            self.process.wait()

    def _stop_child(self) -> None:
        """However ``run`` ended (finished, or its consumer went away): no child outlives it."""
        if self.process is None or self.process.poll() is not None:
            return
        if self._ended:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=EXIT_GRACE_S)
        if self.process.poll() is None:
            self._signal(signal.SIGTERM)  # the child cancels and saves a checkpoint
            try:
                self.process.wait(timeout=self.cancel_grace_s)
            except subprocess.TimeoutExpired:
                self._kill()
