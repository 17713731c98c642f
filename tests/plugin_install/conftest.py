"""Fixtures for installing plugins: tiny projects built into real wheels once per session.

pip runs are the slow part (about a second each), so every small project is built by a single
``pip wheel`` call and shared; each test installs into its own private STUDIO_HOME.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from install_support import PROJECTS, write_project

from studio.engine.plugins.install.resolve import pip


@pytest.fixture(autouse=True)
def _forget_plugin_sites():
    """Take any library's plugin site gate away after each test, so none leaks into others."""
    yield
    from studio.engine.plugins.install import gate

    gate.remove()


@pytest.fixture(scope="session")
def projects(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("projects")
    for dist, (deps, plugin) in PROJECTS.items():
        write_project(root, dist, deps=deps, plugin=plugin)
    return root


@pytest.fixture(scope="session")
def wheels(projects: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Every project built into a wheel by one offline pip call; by distribution name."""
    out = tmp_path_factory.mktemp("wheels")
    folders = [str(projects / dist) for dist in PROJECTS]
    result = pip("wheel", "--no-deps", "--no-build-isolation", "--no-index", "-q", "-w", str(out),
                 *folders)  # fmt: skip
    assert result.returncode == 0, result.stderr
    built = {}
    for wheel in out.glob("*.whl"):
        built[wheel.name.split("-")[0].replace("_", "-")] = wheel
    assert set(built) == set(PROJECTS), built
    return built
