"""The author's and the user's journey through ``studio`` itself, in subprocesses:

scaffold -> the project's own test passes -> build the wheel -> install into a temporary library ->
discovered but not imported -> enabled -> trains and generates. The same for the example plugin in
examples/, whose own tests also run here (so ``make test`` runs them).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from install_support import EXAMPLE

from studio.engine.plugins.install.resolve import pip

pytestmark = pytest.mark.slow


def studio(env: dict[str, str], *args: str, check: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [sys.executable, "-m", "studio", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    if check:
        assert result.returncode == 0, f"studio {' '.join(args)}:\n{result.stdout}{result.stderr}"
    return result


def run_own_tests(project: Path, env: dict[str, str]) -> None:
    """The plugin project's own test suite, with its own pytest configuration."""
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert " passed" in result.stdout and "failed" not in result.stdout


def build_wheel(project: Path, out: Path) -> Path:
    result = pip("wheel", "--no-deps", "--no-build-isolation", "--no-index", "-q", "-w", str(out),
                 str(project))  # fmt: skip
    assert result.returncode == 0, result.stderr
    (wheel,) = out.glob("*.whl")
    return wheel


def not_imported_until_enabled(env: dict[str, str], plugin: str, module: str) -> None:
    listing = json.loads(studio(env, "plugins", "--json").stdout)
    record = next(p for p in listing["plugins"] if p["name"] == plugin)
    assert record["status"] == "awaiting-approval", record
    probe = (
        "import sys; from studio.engine.session import open_session; s = open_session();"
        f"print(s.host.records[{plugin!r}].status, {module!r} in sys.modules)"
    )
    shown = subprocess.run(
        [sys.executable, "-c", probe], env=env, capture_output=True, text=True, check=True
    )
    assert shown.stdout.split() == ["awaiting-approval", "False"]
    studio(env, "plugin", "enable", plugin)
    shown = subprocess.run(
        [sys.executable, "-c", probe], env=env, capture_output=True, text=True, check=True
    )
    assert shown.stdout.split() == ["loaded", "True"]


def train_and_generate(
    env: dict[str, str], generator: str, corpus: Path, out: Path, train: list[str], length: str
) -> str:
    sets = [arg for pair in train for arg in ("--set", pair)]
    studio(env, "train", generator, "--data", str(corpus), *sets, "--name", f"{generator}-run")
    studio(env, "generate", generator, "--model", f"{generator}-run", "--prompt", "To be",
           "--seed", "5", "--set", f"length={length}", "--out", str(out))  # fmt: skip
    (text_file,) = out.glob("*.txt")
    return text_file.read_text(encoding="utf-8")


def test_scaffold_build_install_enable_train_generate(env, tmp_path: Path, corpus: Path) -> None:
    created = studio(env, "plugin", "new", "demo", "--dir", str(tmp_path))
    project = tmp_path / "studio-demo"
    assert str(project) in created.stdout
    run_own_tests(project, env)  # "a test that passes out of the box"
    wheel = build_wheel(project, tmp_path / "dist")

    installed = studio(env, "plugin", "install", str(wheel))
    assert "installed studio-demo 0.1.0" in installed.stdout
    assert "full rights" in installed.stdout
    not_imported_until_enabled(env, "demo", "studio_demo")

    train = ["steps=6", "batch_size=8", "context=4", "embed=8", "hidden=16"]
    text = train_and_generate(env, "demo", corpus, tmp_path / "out", train, "25")
    assert len(text) == 25

    # Uninstall, then roll back: the plugin, enabled, is back exactly as it was.
    studio(env, "plugin", "uninstall", "demo")
    listed = json.loads(studio(env, "plugins", "--json").stdout)
    assert "demo" not in {p["name"] for p in listed["plugins"]}
    studio(env, "plugin", "rollback")
    listed = json.loads(studio(env, "plugins", "--json").stdout)
    assert {p["name"]: p["status"] for p in listed["plugins"]}["demo"] == "loaded"


def test_example_plugin_passes_its_tests_and_works_in_studio(env, tmp_path: Path, corpus) -> None:
    run_own_tests(EXAMPLE, env)
    # Built from a copy: setuptools writes build/ and *.egg-info beside the sources.
    junk = shutil.ignore_patterns("build", "dist", "*.egg-info", "__pycache__")
    wheel = build_wheel(shutil.copytree(EXAMPLE, tmp_path / "src", ignore=junk), tmp_path / "dist")
    assert wheel.name == "studio_charlstm-1.0.0-py3-none-any.whl"
    installed = studio(env, "plugin", "install", str(wheel))
    assert "plugins: charlstm" in installed.stdout
    not_imported_until_enabled(env, "charlstm", "studio_charlstm")

    train = ["steps=8", "batch_size=4", "seq_len=8", "embed=8", "hidden=16", "layers=1"]
    text = train_and_generate(env, "charlstm", corpus, tmp_path / "out", train, "30")
    assert len(text) == 30
    assert set(text) <= set(corpus.read_text(encoding="utf-8"))


def test_the_command_line_refuses_with_the_requirement_named(env, wheels) -> None:
    refused = studio(env, "plugin", "install", str(wheels["studio-numpyold"]), check=False)
    assert refused.returncode == 2
    assert "studio-numpyold 1.0 requires numpy<2, but Studio's numpy is" in refused.stderr
    builtin = studio(env, "plugin", "uninstall", "gpt", check=False)
    assert (
        builtin.returncode == 2 and "Studio only uninstalls plugins it installed" in builtin.stderr
    )
    bad = studio(env, "plugin", "new", "Bad-Name", check=False)
    assert bad.returncode == 2 and "must start with a letter" in bad.stderr
