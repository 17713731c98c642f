"""The plugin site: the one folder Studio installs third-party plugins (and their extra
dependencies) into, inside the library home.

Plugins never go into the app's own environment. The site is put at the *end* of ``sys.path``
before entry points are discovered, so the app's torch, numpy or PySide6 always win over anything a
plugin brings, uninstalling is deleting files, and a snapshot is a copy of one folder. The folder is
added with ``sys.path.append``, not ``site.addsitedir``: a ``.pth`` file in it is never executed, so
an installed plugin cannot run code at start-up before the user enabled it.

``studio-manifest.json`` in the site records what Studio installed: for each plugin distribution,
its version, entry point names, the dependencies installed with it, and where it came from.
"""

from __future__ import annotations

import csv
import importlib
import importlib.metadata as metadata
import re
import shutil
import sys
from pathlib import Path
from typing import Any

from studio.engine.home import Home
from studio.engine.store.atomic import read_json, write_json

MANIFEST = "studio-manifest.json"


def site_folder(home_root: Path) -> Path:
    return Home(Path(home_root)).plugin_site


_active: list[str] = []  # the site this process activated, if any


def activate(home_root: Path) -> Path:
    """Put ``home_root``'s plugin site at the end of ``sys.path`` so entry points see it.

    One library at a time: a site activated earlier for another home (tests, a library folder
    changed in the settings) is taken off the path first.
    """
    site = site_folder(home_root)
    for old in _active:
        if old != str(site) and old in sys.path:
            sys.path.remove(old)
    _active[:] = []
    if site.is_dir():
        if str(site) not in sys.path:
            sys.path.append(str(site))
        _active.append(str(site))
    importlib.invalidate_caches()
    return site


def normalize(name: str) -> str:
    """A distribution name as packaging compares them (PEP 503)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def read_manifest(site: Path) -> dict[str, dict[str, Any]]:
    data = read_json(site / MANIFEST, default={})
    return data if isinstance(data, dict) else {}


def write_manifest(site: Path, manifest: dict[str, dict[str, Any]]) -> None:
    write_json(site / MANIFEST, manifest)


def distributions(site: Path) -> dict[str, metadata.Distribution]:
    """Every distribution installed in ``site``, by normalised name."""
    if not site.is_dir():
        return {}
    found = {}
    for dist in metadata.distributions(path=[str(site)]):
        found[normalize(dist.metadata["Name"])] = dist
    return found


def app_distributions(site: Path) -> dict[str, str]:
    """Name -> version of every distribution the app itself runs with (the site excluded)."""
    paths = [p for p in sys.path if Path(p or ".").resolve() != site.resolve()]
    versions: dict[str, str] = {}
    for dist in metadata.distributions(path=paths):
        # The first one on the path is the one Python imports.
        versions.setdefault(normalize(dist.metadata["Name"]), dist.version)
    return versions


def dist_info_folder(dist: metadata.Distribution) -> Path:
    return Path(str(dist._path))  # type: ignore[attr-defined]


def remove_distribution(site: Path, dist: metadata.Distribution) -> None:
    """Delete every file ``dist``'s RECORD lists (inside ``site`` only), then its dist-info."""
    info = dist_info_folder(dist)
    touched: set[Path] = set()
    record = info / "RECORD"
    if record.is_file():
        with open(record, newline="", encoding="utf-8") as handle:
            for row in csv.reader(handle):
                if not row:
                    continue
                path = (site / row[0]).resolve()
                # Never follow a RECORD line out of the site (``../../bin/tool``).
                if site.resolve() not in path.parents or info.resolve() in (path, *path.parents):
                    continue
                if path.is_file() or path.is_symlink():
                    path.unlink()
                touched.add(path.parent)
    shutil.rmtree(info, ignore_errors=True)
    _prune(site, touched)
    importlib.invalidate_caches()


def _prune(site: Path, folders: set[Path]) -> None:
    """Remove folders left with nothing but byte-code caches, deepest first."""
    root = site.resolve()
    for folder in sorted(folders, key=lambda p: len(p.parts), reverse=True):
        while folder != root and root in folder.parents and folder.is_dir():
            rest = [p for p in folder.iterdir() if p.name != "__pycache__"]
            if rest:
                break
            shutil.rmtree(folder)
            folder = folder.parent
