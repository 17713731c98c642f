"""Importing a model the user already has: ask the generators who takes it, store it once, list it.

The engine's half is generic: which generator accepts the path, the source's content hash (the
same file imported twice does nothing), the store folder under ``home.base_models``, and the
library entry that names the stored model. The generator's half is specific: what a folder or a
file means, and converting it (``Generator.accepts_import`` / ``Generator.import_model``).

Imports may run at the same time (the window's import lane, ``studio models add``, a process of
their own): a lock per source makes a second import of the same content wait and then find the
first's entry, and a lock on naming gives two models that want one name one each. A third-party
generator's ``import_model`` runs in its own process when the isolation policy says so.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from studio.api import NOT_IMPORTABLE, Generator, ModelHandle, RunContext, StudioError
from studio.engine.events import Event, Finished, Log, Started
from studio.engine.home import Home
from studio.engine.jobs import Job
from studio.engine.plugins.health import PluginHealth
from studio.engine.plugins.host import PluginHost
from studio.engine.process.isolated import IsolatedJob
from studio.engine.store import checkpoints as ckpt
from studio.engine.store import imports
from studio.engine.store.locks import FileLock

LOCK_POLL_S = 0.1  # how often an import waiting for another one's lock looks again
WAITING = "another import of this model is under way: waiting for it to finish"


class ImportJob(Job):
    """Import ``path`` (a model folder or file) into the library as ``name``.

    ``generator`` fixes which generator imports (an isolated job's child is told so); otherwise
    the first that accepts ``path`` does. ``isolate(generator_id)`` says whether its
    ``import_model`` runs in a process of its own (the session passes the isolation policy);
    None runs it here.
    """

    kind = "import"
    # Converting reads and writes files on the CPU: beside a training, in a lane of its own so
    # a data check never waits behind a long conversion (imports wait for each other there).
    needs_device = False
    lane = "import"

    def __init__(
        self,
        host: PluginHost,
        home: Home,
        path: Path | str,
        *,
        name: str | None = None,
        generator: str | None = None,
        isolate: Callable[[str], bool] | None = None,
        health: PluginHealth | None = None,
    ) -> None:
        super().__init__(health)
        self.host = host
        self.home = home
        self.path = Path(path).expanduser()
        self.name = name
        self.generator_id: str | None = generator
        self.isolate = isolate
        self.child: IsolatedJob | None = None  # the isolated job, when one runs the import
        self._logs: list[str] = []
        # The name it will have, when given: a hub snapshot or an Ollama blob is named by a hash.
        self.title = f"Import {name or self.path.name}"

    def body(self) -> Iterator[Event]:
        if not self.path.exists():
            raise StudioError(f"no file or folder at {self.path}")
        if self.name is not None:
            _check_name(self.name)
        if self.generator_id is not None:
            generator = self.host.generator(self.generator_id)
        else:
            generator = choose_importer(self.host, self.path)
        self.generator_id = generator.id
        if self.isolate is not None and self.isolate(generator.id):
            yield from self._in_child(generator)
            return
        yield Started(self.kind, self.title)
        yield Log(f"{generator.name} imports {self.path}; computing its content hash")
        digest = imports.content_hash(self.path)
        lock = imports.source_lock(self.home.base_models, digest)
        try:
            yield from self._wait_for(lock, WAITING)
            # Holding the lock: no other import of this source is writing, so what one that was
            # killed left behind can go, and an import that finished meanwhile is seen below.
            imports.sweep_source(self.home.base_models, digest)
            yield from self._import(generator, digest)
        finally:
            lock.release()

    def _import(self, generator: Generator, digest: str) -> Iterator[Event]:
        existing = entries_for(self.home, digest)
        if existing:
            yield Log(f"already in the library as '{existing[0]}' (same content): nothing to do")
            yield Finished(
                {
                    "model": str(self.home.models / existing[0]),
                    "name": existing[0],
                    "base": digest,
                    "generator": generator.id,
                    "imported": False,
                }
            )
            return
        self.check_cancel()
        temp = imports.new_store_dir(self.home.base_models, digest)
        names = imports.names_lock(self.home.base_models)
        try:
            # Conversion reads and writes files on the CPU, whatever device trains later.
            context = RunContext(device=_cpu(), log=self._logs.append)
            imported = generator.import_model(self.path.resolve(), temp, context)
            yield from self._drain()
            self.check_cancel()
            # Another import (of another source) may want the same name at the same moment.
            yield from self._wait_for(names, "waiting for another import to name its model")
            name = _free_name(self.home, self.name or imported.info.get("name") or self.path.stem)
            record = {
                "name": name,
                "source": str(self.path.resolve()),
                "generator": generator.id,
                "info": imported.info,
            }
            folder = imports.commit(temp, digest, record)  # temp is renamed into place
            entry = _publish(self.home, generator, imported.config, imported.assets, digest, name)
        except BaseException:
            shutil.rmtree(temp, ignore_errors=True)
            raise
        finally:
            names.release()
        yield Log(f"stored in {folder}; listed as '{name}'")
        yield Finished(
            {
                "model": str(entry.path),
                "name": name,
                "base": digest,
                "generator": generator.id,
                "imported": True,
            }
        )

    def _wait_for(self, lock: FileLock, waiting: str) -> Iterator[Event]:
        """Take ``lock``, waiting (cancellable) while another import holds it."""
        if lock.acquire():
            return
        yield Log(waiting)
        while not lock.acquire():
            self.check_cancel()
            time.sleep(LOCK_POLL_S)

    def _in_child(self, generator: Generator) -> Iterator[Event]:
        """The same import, with this generator, in a process of its own (isolation policy)."""
        self.child = IsolatedJob(
            "import",
            self.host,
            self.home,
            generator_id=generator.id,
            kwargs={"path": str(self.path), "name": self.name, "generator": generator.id},
            title=self.title,
            health=self.health,  # the child's failures, and its death, count here
        )
        self.child.cancel_token = self.cancel_token  # one Cancel reaches the child
        try:
            yield from self.child.run()
        finally:
            if self.child.process is not None:
                # A child that died mid-conversion could not remove its half-written folder.
                imports.sweep_process(self.home.base_models, self.child.process.pid)

    def _drain(self) -> Iterator[Event]:
        while self._logs:
            yield Log(self._logs.pop(0))


def choose_importer(host: PluginHost, path: Path) -> Generator:
    """The first generator that accepts ``path``; else the refusals that say why, in one line."""
    refusals = []
    for generator in host.generators.values():
        reason = generator.accepts_import(path)
        if reason is None:
            return generator
        if reason != NOT_IMPORTABLE:
            refusals.append(reason)
    if not refusals:
        raise StudioError(f"cannot import {path.name}: no installed generator imports models")
    raise StudioError(f"cannot import {path.name}: {'; '.join(refusals)}")


def entries_for(home: Home, digest: str) -> list[str]:
    """Names of the library's models that are the imported model ``digest`` itself."""
    return [
        c.path.name
        for c in ckpt.list_checkpoints(home.models)
        if c.base == digest and c.manifest.get("imported")
    ]


def imported_sources(home: Home) -> dict[str, str]:
    """Library models imported as they are, by the path they were imported from (resolved).

    Read from each import's record, so no file is hashed: for listing what was imported, not
    for deciding whether an import is needed (the content hash decides that).
    """
    sources: dict[str, str] = {}
    for checkpoint in ckpt.list_checkpoints(home.models):
        if not (checkpoint.base and checkpoint.manifest.get("imported")):
            continue
        record = imports.read_record(home.base_models / checkpoint.base) or {}
        if record.get("source"):
            sources.setdefault(str(record["source"]), checkpoint.path.name)
    return sources


def _publish(
    home: Home,
    generator: Generator,
    config: dict[str, Any],
    assets: dict[str, bytes],
    digest: str,
    name: str,
) -> ckpt.Checkpoint:
    """A library entry for the stored model: a checkpoint of no weights of its own, and its base."""
    import torch

    handle = ModelHandle(torch.nn.Module(), config, assets, base=digest)
    # Marked as the import itself, so importing the same source again finds it.
    return ckpt.save_checkpoint(
        home.models / name,
        generator=generator,
        model=handle,
        step=0,
        params={},
        extra={"imported": True},
    )


def _check_name(name: str) -> None:
    if not name or "/" in name or "\\" in name or name.startswith(".") or name != name.strip():
        raise StudioError(f"model name {name!r} must be a plain name (no slashes, no leading dot)")


def _free_name(home: Home, wanted: str) -> str:
    """``wanted``, or ``wanted-2``, ``-3``... if a model of that name is already in the library."""
    wanted = wanted.strip().replace("/", "-").lstrip(".") or "model"
    name, number = wanted, 1
    while (home.models / name).exists():
        number += 1
        name = f"{wanted}-{number}"
    return name


def _cpu():
    import torch

    return torch.device("cpu")
