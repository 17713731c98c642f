"""``studio plugin new``: names are checked, every template is filled, the project is lint-clean.
(That it installs, trains and generates is tested end to end in test_end_to_end.py.)"""

from __future__ import annotations

import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest

from studio.api import StudioError
from studio.scaffold import FILES, create_project, names_for

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("bad", ["", "x", "Mygen", "my-gen", "1gen", "gen!", "a" * 41])
def test_bad_names_are_refused(bad: str) -> None:
    with pytest.raises(StudioError, match="must start with a letter"):
        names_for(bad)


def test_project_has_the_entry_point_and_no_unfilled_markers(tmp_path: Path) -> None:
    project = create_project("pixel_poet", tmp_path)
    assert project.name == "studio-pixel-poet"
    written = sorted(str(p.relative_to(project)) for p in project.rglob("*") if p.is_file())
    assert len(written) == len(FILES)
    for path in project.rglob("*"):
        if path.is_file():
            assert "{{" not in path.read_text(encoding="utf-8"), path
    meta = tomllib.loads((project / "pyproject.toml").read_text(encoding="utf-8"))
    assert meta["project"]["entry-points"]["studio.plugins"] == {"pixel_poet": "studio_pixel_poet"}
    init = (project / "studio_pixel_poet" / "__init__.py").read_text(encoding="utf-8")
    assert "class PixelPoetGenerator(Generator)" in init and "import torch" not in init
    with pytest.raises(StudioError, match="already exists"):
        create_project("pixel_poet", tmp_path)


def test_generated_code_is_lint_clean(tmp_path: Path) -> None:
    ruff = shutil.which("ruff") or str(ROOT / ".venv" / "bin" / "ruff")
    if not Path(ruff).exists():
        pytest.skip("ruff is not installed")
    project = create_project("lintme", tmp_path)
    config = str(ROOT / "pyproject.toml")
    for args in (["check", "--no-cache"], ["format", "--check", "--no-cache"]):
        done = subprocess.run(
            [ruff, *args, "--config", config, str(project)], capture_output=True, text=True
        )
        assert done.returncode == 0, done.stdout + done.stderr
