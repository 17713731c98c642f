"""The child side of an isolated job: ``python -m studio.engine.process.child SPEC``.

A fresh interpreter (never a fork of a process that has started Qt or torch). It reads the JSON
job description ``SPEC``, rebuilds the session from it (library home, settings, plugins), builds
the same job the parent would have run in-process, connects to the parent's socket and sends
every event back as plain data (see codec). A ``cancel`` message, SIGTERM, or the parent going
away (the socket closes) cancels the job through its own cancel path, so a training run saves
its checkpoint.

Under torchrun every rank runs this; rank 0 alone connects and reports, and the other ranks
learn of a cancel through the training loop's per-step agreement (train/distributed.py).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import sys
import threading
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from studio.engine.process.lifeline import die_with_parent


class _Cancel:
    """Holds the job once built; a cancel that arrives first is kept for it."""

    def __init__(self) -> None:
        self.job: Any = None
        self.requested = False
        self.lock = threading.Lock()

    def request(self) -> None:
        with self.lock:
            self.requested = True
            if self.job is not None:
                self.job.cancel()

    def attach(self, job: Any) -> None:
        with self.lock:
            self.job = job
            if self.requested:
                job.cancel()


def _listen(conn: Connection, cancel: _Cancel) -> None:
    while True:
        try:
            message = json.loads(conn.recv_bytes())
        except (EOFError, OSError):
            cancel.request()  # the parent is gone: stop cleanly, checkpoint saved
            return
        if message.get("cancel"):
            cancel.request()


def _connect(path: str) -> Connection:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.connect(path)
    return Connection(sock.detach())


def build_job(spec: dict[str, Any]) -> Any:
    """The job ``spec`` describes, in a session rebuilt from plain values.

    The plugins are the ones the parent had loaded, no more: the user's approvals were applied
    there. The job gets no plugin health: the parent counts its failures (and the child's death).
    """
    import importlib

    from studio.engine.datacheck import DataCheckJob
    from studio.engine.generation import GenerateJob
    from studio.engine.home import Home
    from studio.engine.importing import ImportJob
    from studio.engine.plugins.host import call_startup, load_plugins
    from studio.engine.settings import Settings
    from studio.engine.train.job import TrainJob

    home = Home.open(Path(spec["home"]))
    settings = Settings.load(home.settings_file)
    extra = [(name, importlib.import_module(module)) for name, module in spec["extra"]]
    host = load_plugins(settings, safe_mode=spec["safe_mode"], extra=extra, only=spec["plugins"])
    call_startup(host, home.root)
    kwargs = dict(spec["kwargs"])
    if spec["kind"] == "train":
        return TrainJob(host, home, **kwargs)
    if spec["kind"] == "generate":
        if kwargs.get("inputs"):
            kwargs["inputs"] = [Path(p) for p in kwargs["inputs"]]
        if kwargs.get("out_dir"):
            kwargs["out_dir"] = Path(kwargs["out_dir"])
        return GenerateJob(host, home, **kwargs)
    if spec["kind"] == "import":
        # The parent chose the generator; this process converts, stores and lists the model.
        return ImportJob(
            host, home, kwargs["path"], name=kwargs["name"], generator=kwargs["generator"]
        )
    if spec["kind"] == "datacheck":
        return DataCheckJob(
            host,
            home,
            kwargs["generator_id"],
            Path(kwargs["source"]),
            kwargs["params"],
            model=kwargs.get("model"),
        )
    raise ValueError(f"unknown job kind {spec['kind']!r}")


def main(argv: list[str]) -> int:
    # Ctrl+C in a terminal reaches the whole process group: the parent decides, and sends cancel.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    spec = json.loads(Path(argv[0]).read_text(encoding="utf-8"))
    if "RANK" not in os.environ:  # under torchrun the parent is its agent, which watches us
        die_with_parent(spec["parent"])
    conn = _connect(spec["socket"]) if os.environ.get("RANK", "0") == "0" else None
    # The parent's import path, so its plugin folders (and a test's) are found the same way.
    sys.path[:] = [*spec["sys_path"], *(p for p in sys.path if p not in spec["sys_path"])]
    os.environ.update(spec.get("env", {}))
    cancel = _Cancel()
    signal.signal(signal.SIGTERM, lambda _signum, _frame: cancel.request())
    if conn is not None:
        threading.Thread(target=_listen, args=(conn, cancel), daemon=True).start()
    send = conn.send_bytes if conn is not None else (lambda _data: None)

    from studio.engine.events import Failed
    from studio.engine.jobs import describe_failure
    from studio.engine.process import codec

    try:
        job = build_job(spec)
    except Exception as error:
        send(codec.dumps(describe_failure(error)))
        return 1
    cancel.attach(job)
    try:
        for event in job.run():
            send(codec.dumps(event))
    except Exception as error:  # Job.run never raises; an unsendable event would
        send(codec.dumps(Failed(f"{type(error).__name__}: {error}")))
        return 1
    return 0


if __name__ == "__main__":
    code = main(sys.argv[1:])
    sys.stdout.flush()
    sys.stderr.flush()
    # Skip interpreter teardown: a plugin's threads or atexit hooks must not hang a finished job.
    os._exit(code)
