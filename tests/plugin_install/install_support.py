"""Helpers for the plugin install tests: tiny projects, wheel folders, tree and environment states.

(A module of its own, not conftest: ``from conftest import`` would find tests/conftest.py first.)
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "studio-charlstm"

PLUGIN_MODULE = '''"""A tiny installable test plugin."""
from studio.api import Generator, hookimpl

STUDIO_API_VERSION = 1


@hookimpl
def register_generators() -> list[Generator]:
    return []
'''


def write_project(
    root: Path, dist: str, *, deps: tuple[str, ...] = (), plugin: str | None = None
) -> Path:
    """A minimal project: ``dist`` with ``deps``, and a studio.plugins entry point ``plugin``."""
    package = dist.replace("-", "_")
    folder = root / dist
    (folder / package).mkdir(parents=True)
    entry = f'\n[project.entry-points."studio.plugins"]\n{plugin} = "{package}"\n' if plugin else ""
    (folder / "pyproject.toml").write_text(
        '[build-system]\nrequires = ["setuptools>=68"]\nbuild-backend = "setuptools.build_meta"\n'
        f'[project]\nname = "{dist}"\nversion = "{"99.0" if dist == "pluggy" else "1.0"}"\n'
        f"dependencies = {json.dumps(list(deps))}\n{entry}",
        encoding="utf-8",
    )
    (folder / package / "__init__.py").write_text(
        PLUGIN_MODULE if plugin else "VALUE = 1\n", encoding="utf-8"
    )
    return folder


PROJECTS = {
    # name: (dependencies, plugin entry point name or None)
    "studio-numpyold": (("numpy<2",), "numpyold"),
    "studio-withdep": (("numpy>=1.26", "tinydep>=0.1"), "withdep"),
    "studio-otherdep": (("tinydep",), "otherdep"),
    "tinydep": ((), None),
    "studio-newpluggy": (("pluggy>=99",), "newpluggy"),
    "pluggy": ((), None),  # a "newer pluggy" wheel, offered to tempt the resolver
    "not-a-plugin": ((), None),
}


def wheel_folder(tmp: Path, *wheels: Path) -> Path:
    """A folder holding just ``wheels`` (pip's --find-links sees a whole folder)."""
    tmp.mkdir(parents=True, exist_ok=True)
    for wheel in wheels:
        (tmp / wheel.name).write_bytes(wheel.read_bytes())
    return tmp


def tree_state(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` with its sha256: equal states are equal trees."""
    if not folder.is_dir():
        return {}
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def app_environment() -> dict[str, str]:
    """The distributions of the app's own environment (what no plugin may change)."""
    code = (
        "import importlib.metadata as m, json;"
        "print(json.dumps(sorted({d.metadata['Name'] + '==' + d.version "
        "for d in m.distributions()})))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return dict(line.split("==", 1) for line in json.loads(out.stdout))
