"""The store of imported base models: one folder per source, named by the source's content hash.

An imported model (a Hugging Face folder, a ``.gguf`` file) is converted once by its generator
into ``home.base_models / <sha256 of the source>``. Beside what the generator wrote lies
``base.json``: where the model came from, what the model list shows about it, and the sha256, size
and modification time of every file, so a model built on it can check that it is still the same.
A changed or missing base model is refused with a clear error, never loaded half-right.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import uuid
from pathlib import Path
from typing import Any

from studio.api import CheckpointError
from studio.engine.store.atomic import fsync_dir, fsync_tree
from studio.engine.store.checkpoints import TEMP_PREFIX, sha256_file
from studio.engine.store.locks import FileLock

RECORD = "base.json"


def content_hash(source: Path) -> str:
    """sha256 of a file, or of a folder's files (their relative names and contents, sorted)."""
    if source.is_file():
        return sha256_file(source)
    digest = hashlib.sha256()
    for file in sorted(_files(source)):
        digest.update(str(file.relative_to(source).as_posix()).encode("utf-8") + b"\0")
        digest.update(bytes.fromhex(sha256_file(file)))
    return digest.hexdigest()


def _files(folder: Path) -> list[Path]:
    # Hidden files (.git, .cache, editor droppings) are not part of a model.
    return [
        p
        for p in folder.rglob("*")
        if p.is_file() and not any(part.startswith(".") for part in p.relative_to(folder).parts)
    ]


def new_store_dir(base_models: Path, digest: str) -> Path:
    """An empty hidden folder to convert a model into (renamed into place by :func:`commit`).

    Named by the source and by this process, so that what a crashed import left is found by
    either: the next import of the same source, or the parent of the process that died.
    """
    base_models.mkdir(parents=True, exist_ok=True)
    temp = base_models / f"{TEMP_PREFIX}{digest[:16]}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    temp.mkdir()
    return temp


def source_lock(base_models: Path, digest: str) -> FileLock:
    """Held by an import of ``digest`` from its check for an earlier import to its entry."""
    return FileLock(base_models / f".import-{digest}.lock")


def names_lock(base_models: Path) -> FileLock:
    """Held while an import picks a free name in the library and writes its entry there."""
    return FileLock(base_models / ".names.lock")


def sweep_source(base_models: Path, digest: str) -> None:
    """Remove what killed imports of ``digest`` left; only while holding its source lock."""
    for leftover in base_models.glob(f"{TEMP_PREFIX}{digest[:16]}-*"):
        shutil.rmtree(leftover, ignore_errors=True)


def sweep_process(base_models: Path, pid: int) -> None:
    """Remove what the import process ``pid`` left when it died (it can write no more): its
    half-written folder, and the lock files nobody holds (a lock dies with its holder, its
    file stays; one still held is another import's, and is left alone)."""
    for leftover in base_models.glob(f"{TEMP_PREFIX}*-{pid}-*"):
        shutil.rmtree(leftover, ignore_errors=True)
    for file in base_models.glob(".*.lock"):
        lock = FileLock(file)
        if lock.acquire():
            lock.release()  # removes the file


def commit(temp: Path, digest: str, record: dict[str, Any]) -> Path:
    """Record every file's hash beside them, fsync, and rename the folder into place."""
    files = {
        str(p.relative_to(temp).as_posix()): _stat_entry(p, sha256_file(p)) for p in _files(temp)
    }
    record = {**record, "source_sha256": digest, "files": files}
    (temp / RECORD).write_text(json.dumps(record, indent=2), encoding="utf-8")
    fsync_tree(temp)
    destination = temp.parent / digest
    if destination.exists():  # an earlier import whose library entry was deleted: replace it
        shutil.rmtree(destination)
    os.rename(temp, destination)
    fsync_dir(temp.parent)
    return destination


def _stat_entry(path: Path, digest: str) -> dict[str, Any]:
    stat = path.stat()
    return {"sha256": digest, "size": stat.st_size, "mtime_ns": stat.st_mtime_ns}


def read_record(folder: Path) -> dict[str, Any] | None:
    try:
        return json.loads((folder / RECORD).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def verified_base(base_models: Path, digest: str) -> Path:
    """The base model folder for ``digest``, checked file by file; CheckpointError otherwise.

    A file whose size and modification time are as recorded is trusted without re-reading it
    (as git trusts its index): hashing gigabytes on every load would cost seconds. Any other file
    is hashed again and must match.
    """
    folder = base_models / digest
    record = read_record(folder)
    if record is None:
        raise CheckpointError(
            f"the base model this model was built on (sha256 {digest[:12]}) is not in the "
            f"library any more ({folder}); import it again with 'studio models add PATH'"
        )
    name = record.get("name") or digest[:12]
    for relative, entry in record.get("files", {}).items():
        file = folder / relative
        if not file.is_file():
            raise CheckpointError(
                f"the base model '{name}' is damaged: {relative} is missing from {folder}; "
                "import it again with 'studio models add PATH'"
            )
        stat = file.stat()
        if stat.st_size == entry["size"] and stat.st_mtime_ns == entry["mtime_ns"]:
            continue
        if stat.st_size != entry["size"] or sha256_file(file) != entry["sha256"]:
            raise CheckpointError(
                f"the base model '{name}' changed since it was imported ({relative} in {folder} "
                "no longer matches its recorded hash); import the original again"
            )
    return folder
