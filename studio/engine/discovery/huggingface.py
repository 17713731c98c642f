"""Rule: the Hugging Face hub cache, where ``transformers`` and ``huggingface-cli`` download to.

Where: ``$HF_HUB_CACHE``, else ``$HF_HOME/hub``, else ``$XDG_CACHE_HOME/huggingface/hub``, else
``~/.cache/huggingface/hub`` (the hub library's own order).

Layout: one folder per repository, ``models--ORG--NAME``, holding ``blobs/`` (the files, named by
hash), ``refs/main`` (the commit the user has) and ``snapshots/COMMIT/`` (links into ``blobs``
with the repository's file names). A download in progress is ``blobs/HASH.incomplete`` with no
link yet, so its snapshot lacks the file: such a model is not listed until it is complete.

Found: each snapshot that is a transformers folder (``config.json``), and each ``.gguf`` in one.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path

from .describe import describe_folder
from .found import Budget, FoundModel
from .walk import entries, files_below, inside

NAME = "huggingface"


def roots(env: Mapping[str, str], home: Path) -> list[Path]:
    if env.get("HF_HUB_CACHE"):
        return [Path(env["HF_HUB_CACHE"])]
    if env.get("HF_HOME"):
        return [Path(env["HF_HOME"]) / "hub"]
    cache = Path(env["XDG_CACHE_HOME"]) if env.get("XDG_CACHE_HOME") else home / ".cache"
    return [cache / "huggingface" / "hub"]


def scan(root: Path, budget: Budget) -> Iterator[FoundModel]:
    for repo, is_dir in entries(root, root, budget):
        if not is_dir or not repo.name.startswith("models--"):
            continue
        name = repo.name.removeprefix("models--").replace("--", "/")
        snapshot = _snapshot(repo, root)
        if snapshot is None:
            continue
        if inside(snapshot / "config.json", root) is not None:
            model = describe_folder(FoundModel(NAME, name, snapshot, "transformers"), root)
            if model is not None:
                yield model
        for file in files_below(snapshot, root, budget, ".gguf", 2):
            label = f"{name}/{file.relative_to(snapshot)}"
            yield FoundModel(NAME, label, file, "gguf")


def _snapshot(repo: Path, root: Path) -> Path | None:
    """The snapshot ``refs/main`` names, else the newest one."""
    try:
        commit = (repo / "refs" / "main").read_text(encoding="utf-8").strip()
    except OSError:
        commit = ""
    if commit and inside(repo / "snapshots" / commit, root) is not None:
        return repo / "snapshots" / commit
    try:
        snapshots = [p for p in (repo / "snapshots").iterdir() if p.is_dir()]
    except OSError:
        return None
    return max(snapshots, key=lambda p: p.stat().st_mtime, default=None)
