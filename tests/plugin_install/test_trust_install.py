"""Installed plugins stay inert until enabled, installing runs no code, and names and files are
owned: real wheels built in temporary folders, real ``studio`` processes."""

from __future__ import annotations

import importlib.util
import io
import json
import os
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
from install_support import write_project
from support.entrypoints import studio_command, subprocess_env

from studio.engine.plugins.host import load_plugins
from studio.engine.plugins.install import gate
from studio.engine.plugins.install.installer import InstallRefused, PluginInstaller
from studio.engine.plugins.install.resolve import pip
from studio.engine.settings import Settings

TOUCH = "import os, pathlib\npathlib.Path(os.environ['STUDIO_TEST_MARKERS'], {name!r}).touch()\n"
PLUGIN = "from studio.api import hookimpl\nSTUDIO_API_VERSION = 1\n"
SETUP_PY = (
    "import os, pathlib\n"
    "pathlib.Path(os.environ['STUDIO_TEST_MARKERS'], 'built-' + str(os.getpid())).touch()\n"
    "from setuptools import setup\nsetup(name={name!r}, version='1.0', packages=[{pkg!r}],\n"
    "      entry_points={{'studio.plugins': [{entry!r}]}})\n"
)


def _sneaky(root: Path) -> Path:
    """A plugin whose wheel also ships torch's optional ``opt_einsum`` and a fake ``tqdm``."""
    folder = root / "studio-sneaky"
    for package in ("studio_sneaky", "tqdm"):
        (folder / package).mkdir(parents=True)
    (folder / "studio_sneaky" / "__init__.py").write_text(TOUCH.format(name="sneaky") + PLUGIN)
    (folder / "tqdm" / "__init__.py").write_text(TOUCH.format(name="tqdm"))
    (folder / "opt_einsum.py").write_text(TOUCH.format(name="opt_einsum") + "raise ImportError\n")
    (folder / "pyproject.toml").write_text(
        '[build-system]\nrequires = ["setuptools>=68"]\nbuild-backend = "setuptools.build_meta"\n'
        '[project]\nname = "studio-sneaky"\nversion = "1.0"\n'
        '[project.entry-points."studio.plugins"]\nsneaky = "studio_sneaky"\n'
        '[tool.setuptools]\npackages = ["studio_sneaky", "tqdm"]\npy-modules = ["opt_einsum"]\n'
    )
    return folder


@pytest.fixture(scope="module")
def trust_wheels(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("trust-projects")
    folders = [
        _sneaky(root),
        write_project(root, "studio-gptclash", plugin="gpt"),
        write_project(root, "studio-first", plugin="first"),
        write_project(root, "studio-second", plugin="second"),
        write_project(root, "studio-firstagain", plugin="first"),
        write_project(root, "studio-needsource", deps=("sourceonly",), plugin="needsource"),
    ]
    out = tmp_path_factory.mktemp("trust-wheels")
    result = pip("wheel", "--no-deps", "--no-build-isolation", "--no-index", "-q", "-w", str(out),
                 *map(str, folders))  # fmt: skip
    assert result.returncode == 0, result.stderr
    return {w.name.split("-")[0].replace("_", "-"): w for w in out.glob("*.whl")}


@pytest.fixture
def markers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "markers"
    folder.mkdir()
    monkeypatch.setenv("STUDIO_TEST_MARKERS", str(folder))
    return folder


def test_an_installed_plugin_is_not_importable_until_enabled(
    trust_wheels, markers, plugin_site, studio_home, corpus
) -> None:
    installer = PluginInstaller(studio_home)
    installer.install(trust_wheels["studio-sneaky"])
    env = subprocess_env(plugin_site, studio_home, STUDIO_TEST_MARKERS=str(markers))
    # An ordinary training run imports torch, which tries its optional 'opt_einsum'.
    for command in (("plugins",), ("train", "tinychar", "--data", str(corpus), "--steps", "2")):
        result = subprocess.run(studio_command(*command), env=env, capture_output=True,
                                text=True, timeout=180)  # fmt: skip
        assert result.returncode == 0, result.stderr
    probe = "import importlib.util as u; print([u.find_spec(n) is None for n in %r])"
    settings = Settings.load(studio_home / "settings.json")
    settings.set_plugin_enabled("sneaky", True)
    # Enabled, but in safe mode: still nothing of it can be imported, through any import path.
    code = "from studio.engine import open_session; open_session(safe_mode=True); " + probe % [
        "studio_sneaky",
        "opt_einsum",
    ]
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                            text=True, timeout=120)  # fmt: skip
    assert result.stdout.strip() == "[True, True]", result.stderr
    assert list(markers.iterdir()) == []


def test_an_enabled_plugin_never_shadows_a_module_of_the_environment(
    trust_wheels, markers, studio_home
) -> None:
    installer = PluginInstaller(studio_home)
    installer.install(trust_wheels["studio-sneaky"])
    settings = Settings.load(studio_home / "settings.json")
    settings.set_plugin_enabled("sneaky", True)
    try:
        host = load_plugins(settings)
        assert host.records["sneaky"].status == "loaded", host.records["sneaky"]
        site = str(installer.site)
        assert importlib.util.find_spec("studio_sneaky").origin.startswith(site)
        assert not importlib.util.find_spec("tqdm").origin.startswith(site)
        assert "tqdm" in gate.current().refused
        import tqdm

        assert not tqdm.__file__.startswith(site)
        assert {p.name for p in markers.iterdir()} == {"sneaky"}
    finally:
        sys.modules.pop("studio_sneaky", None)


def test_installing_runs_no_code_a_folder_builds_only_with_consent(
    tmp_path, markers, studio_home, plugin_site
) -> None:
    project = tmp_path / "studio-setuppy"
    (project / "studio_setuppy").mkdir(parents=True)
    (project / "studio_setuppy" / "__init__.py").write_text(PLUGIN)
    (project / "setup.py").write_text(
        SETUP_PY.format(
            name="studio-setuppy", pkg="studio_setuppy", entry="setuppy = studio_setuppy"
        )
    )
    installer = PluginInstaller(studio_home)
    for dry in (True, False):
        with pytest.raises(InstallRefused, match=r"building it runs its code.*pip wheel"):
            installer.install(project, dry_run_only=dry)
    env = subprocess_env(plugin_site, studio_home, STUDIO_TEST_MARKERS=str(markers))
    refused = subprocess.run(studio_command("plugin", "install", str(project), "--dry-run"),
                             env=env, capture_output=True, text=True, stdin=subprocess.DEVNULL,
                             timeout=120)  # fmt: skip
    assert refused.returncode == 2 and "--build" in refused.stderr, refused.stderr
    assert list(markers.iterdir()) == [] and not installer.installed()
    # With the user's yes it is built, in a child process, never in Studio's own.
    result = installer.install(project, build=True)
    assert result.plugins == ["setuppy"]
    built = [p.name for p in markers.iterdir()]
    assert built and f"built-{os.getpid()}" not in built


def _sdist(folder: Path, name: str) -> Path:
    """A source-only distribution whose setup.py would leave a marker if it ever ran."""
    folder.mkdir(parents=True, exist_ok=True)
    archive = folder / f"{name}-1.0.tar.gz"
    files = {
        f"{name}-1.0/setup.py": SETUP_PY.format(name=name, pkg=name, entry=f"x = {name}"),
        f"{name}-1.0/PKG-INFO": f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n",
        f"{name}-1.0/{name}/__init__.py": "",
    }
    with tarfile.open(archive, "w:gz") as tar:
        for path, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo(path)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return archive


def test_a_dependency_only_as_source_is_refused_with_how_to_get_a_wheel(
    trust_wheels, tmp_path, markers, studio_home
) -> None:
    links = tmp_path / "links"
    _sdist(links, "sourceonly")
    installer = PluginInstaller(studio_home)
    for dry in (True, False):
        with pytest.raises(InstallRefused) as refused:
            installer.install(trust_wheels["studio-needsource"], [links], dry_run_only=dry)
        message = str(refused.value)
        assert "only as a source archive (sourceonly-1.0.tar.gz)" in message
        assert "pip wheel --no-deps" in message
    assert list(markers.iterdir()) == []  # its setup.py never ran
    assert not installer.installed()


def test_a_taken_plugin_name_is_refused_at_install(trust_wheels, studio_home) -> None:
    installer = PluginInstaller(studio_home)
    with pytest.raises(InstallRefused, match="'gpt' is already the built-in plugin 'gpt'"):
        installer.install(trust_wheels["studio-gptclash"], dry_run_only=True)
    installer.install(trust_wheels["studio-first"])
    with pytest.raises(InstallRefused, match="'first' is already the installed plugin 'first'"):
        installer.install(trust_wheels["studio-firstagain"])
    assert set(installer.installed()) == {"studio-first"}


def test_uninstall_removes_only_files_no_other_distribution_claims(
    trust_wheels, studio_home
) -> None:
    installer = PluginInstaller(studio_home)
    installer.install(trust_wheels["studio-first"])
    installer.install(trust_wheels["studio-second"])
    site = installer.site
    record = next(site.glob("studio_second-*.dist-info")) / "RECORD"
    first_files = (next(site.glob("studio_first-*.dist-info")) / "RECORD").read_text()
    # A RECORD that lists another plugin's files, and even that plugin's own metadata.
    record.write_text(record.read_text() + first_files)
    before = sorted(p.relative_to(site) for p in (site / "studio_first").rglob("*.py"))
    installer.uninstall("second")
    assert not (site / "studio_second").exists()
    assert sorted(p.relative_to(site) for p in (site / "studio_first").rglob("*.py")) == before
    assert next(site.glob("studio_first-*.dist-info")).joinpath("METADATA").is_file()
    assert json.loads(json.dumps(installer.installed()))["studio-first"]["plugins"] == ["first"]
