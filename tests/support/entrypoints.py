"""Installing plugins as real entry points without pip: a ``*.dist-info`` folder on sys.path.

``importlib.metadata`` finds a distribution by its dist-info folder, exactly as it finds one that
pip installed, so a plugin written here is discovered through the real ``studio.plugins`` group.
"""

from __future__ import annotations

import importlib
import os
import sys
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]
TEST_PLUGINS = TESTS / "testplugins"
NONET = Path(__file__).resolve().parent / "nonet"


def install_distribution(
    site: Path, name: str, entry_points: dict[str, str], version: str = "1.0"
) -> Path:
    """Write ``name``'s dist-info into ``site`` with ``entry_points`` in the studio group."""
    folder = site / f"{name.replace('-', '_')}-{version}.dist-info"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n", encoding="utf-8"
    )
    lines = ["[studio.plugins]", *(f"{k} = {v}" for k, v in entry_points.items())]
    (folder / "entry_points.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    importlib.invalidate_caches()
    return folder


def install_test_generators(site: Path) -> None:
    """The tinychar / tinypix test generators, installed as the ``studio-testgen`` plugin."""
    install_distribution(site, "studio-testgen", {"testgen": "studio_testgen"})


def subprocess_env(site: Path, home: Path, **extra: str) -> dict[str, str]:
    """Environment for a ``studio`` subprocess: the test site, a private home, no network."""
    env = dict(os.environ)
    env.pop("STUDIO_SAFE_MODE", None)
    paths = [str(NONET), str(site), str(TEST_PLUGINS)]
    if env.get("PYTHONPATH"):
        paths.append(env["PYTHONPATH"])
    env.update(
        PYTHONPATH=os.pathsep.join(paths), STUDIO_HOME=str(home), PYTHONUNBUFFERED="1", **extra
    )
    return env


def studio_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "studio", *args]
