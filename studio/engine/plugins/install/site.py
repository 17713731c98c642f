"""The plugin site: the one folder Studio installs third-party plugins (and their extra
dependencies) into, inside the library home.

Plugins never go into the app's own environment, and the site is never on ``sys.path``: a gate at
the end of ``sys.meta_path`` (``gate.py``) shows its distributions to entry point discovery and
imports only the modules of enabled plugins and their dependencies. The app's torch, numpy or
PySide6 always win over anything a plugin brings; a ``.pth`` file in the site is never executed;
uninstalling is deleting files, and a snapshot is a copy of one folder.

``studio-manifest.json`` in the site records what Studio installed: for each plugin distribution,
its version, entry point names, the dependencies installed with it, and where it came from.
"""

from __future__ import annotations

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


def activate(home_root: Path) -> Path:
    """Let discovery see ``home_root``'s plugin site; nothing in it is importable yet.

    One library at a time: a gate installed earlier for another home is replaced. What may be
    imported from the site is opened later, per distribution (``gate.SiteGate.open``), for the
    plugins the user enabled.
    """
    from studio.engine.plugins.install import gate

    site = site_folder(home_root)
    gate.install(site)
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
    """Delete the files ``dist``'s RECORD lists that are its own, then its dist-info.

    Its own: inside ``site``, outside every other distribution's dist-info, and listed by no
    other distribution's RECORD. A RECORD is only a claim, so one that names another plugin's
    files (by mistake or on purpose) never deletes them.
    """
    from studio.engine.plugins.install.gate import record_names

    info = dist_info_folder(dist)
    root = site.resolve()
    others = [d for d in distributions(site).values() if dist_info_folder(d) != info]
    claimed = {(site / line).resolve() for d in others for line in record_names(d)}
    foreign_infos = {dist_info_folder(d).resolve() for d in others}
    touched: set[Path] = set()
    for line in record_names(dist):
        path = (site / line).resolve()
        # Never follow a RECORD line out of the site (``../../bin/tool``).
        if root not in path.parents or info.resolve() in (path, *path.parents):
            continue
        if path in claimed or foreign_infos & set(path.parents):
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
