"""Installing, refusing, uninstalling and rolling back plugins, offline, through PluginInstaller.

Each test has its own library home, so "the environment" a plugin goes into is a temporary one.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from install_support import app_environment, tree_state, wheel_folder, write_project

from studio.api import StudioError
from studio.engine.home import Home
from studio.engine.plugins.host import load_plugins
from studio.engine.plugins.install.installer import InstallRefused, PluginInstaller
from studio.engine.settings import Settings


@pytest.fixture
def installer(home: Home) -> PluginInstaller:
    return PluginInstaller(home.root)


def plugin_set(installer: PluginInstaller) -> tuple[dict[str, str], list, list]:
    settings = Settings.load(installer.home_root / "settings.json")
    return (
        tree_state(installer.site),
        sorted(settings.disabled_plugins),
        sorted(settings.approved_plugins),
    )


def test_plugin_needing_numpy_below_2_is_refused_and_nothing_changes(
    installer: PluginInstaller, wheels: dict[str, Path], tmp_path: Path
) -> None:
    before_app = app_environment()
    before = plugin_set(installer)
    with pytest.raises(InstallRefused) as refused:
        installer.install(wheels["studio-numpyold"])
    message = str(refused.value)
    assert "studio-numpyold 1.0 requires numpy<2" in message
    assert f"Studio's numpy is {before_app['numpy']}" in message
    assert plugin_set(installer) == before
    assert installer.snapshots() == []  # refused before anything was snapshotted
    assert app_environment() == before_app


def test_a_protected_package_is_never_upgraded_even_when_its_wheel_is_offered(
    installer: PluginInstaller, wheels: dict[str, Path], tmp_path: Path
) -> None:
    offered = wheel_folder(tmp_path / "offered", wheels["pluggy"])
    with pytest.raises(InstallRefused, match=r"requires pluggy>=99, but Studio's pluggy is"):
        installer.install(wheels["studio-newpluggy"], [offered])
    assert tree_state(installer.site) == {}


def test_a_missing_dependency_is_named_and_found_with_find_links(
    installer: PluginInstaller, wheels: dict[str, Path], tmp_path: Path
) -> None:
    alone = wheel_folder(tmp_path / "alone", wheels["studio-withdep"])
    with pytest.raises(InstallRefused, match="studio-withdep needs tinydep"):
        installer.install(alone / wheels["studio-withdep"].name)
    deps = wheel_folder(tmp_path / "deps", wheels["tinydep"])
    result = installer.install(alone / wheels["studio-withdep"].name, [deps])
    assert (result.name, result.plugins, result.dependencies) == (
        "studio-withdep",
        ["withdep"],
        ["tinydep 1.0"],
    )
    # numpy is satisfied by the app and is not copied into the plugin site.
    names = {p.split("-")[0] for p in tree_state(installer.site)}
    assert {"studio_withdep", "tinydep"} <= {n.split("/")[0] for n in names}
    assert not any(n.startswith("numpy") for n in names)


def test_install_uninstall_and_rollback_restore_the_previous_set_exactly(
    installer: PluginInstaller, wheels: dict[str, Path], tmp_path: Path, plugin_site
) -> None:
    links = [wheel_folder(tmp_path / "deps", wheels["tinydep"])]
    empty = plugin_set(installer)
    installer.install(wheels["studio-withdep"], links)
    installer.install(wheels["studio-otherdep"], links)  # shares tinydep
    installer.settings.set_plugin_enabled("withdep", True)
    both = plugin_set(installer)
    assert both[2] == sorted({"withdep", *empty[2]})

    removed = installer.uninstall("withdep")
    # tinydep stays: otherdep still needs it.
    assert removed["removed"] == ["studio-withdep"]
    after = plugin_set(installer)
    assert not any(p.startswith("studio_withdep") for p in after[0])
    assert any(p.startswith("tinydep/") for p in after[0])
    assert "withdep" not in after[2]  # a reinstall asks for consent again

    installer.rollback()
    assert plugin_set(installer) == both
    installer.rollback()  # undo installing otherdep
    installer.rollback()  # undo installing withdep
    assert plugin_set(installer) == empty
    with pytest.raises(StudioError, match="no plugin snapshot"):
        installer.rollback()


def test_a_new_install_is_found_but_awaits_approval(
    installer: PluginInstaller, wheels: dict[str, Path], tmp_path: Path, home: Home
) -> None:
    installer.install(wheels["studio-otherdep"], [wheel_folder(tmp_path / "d", wheels["tinydep"])])
    host = load_plugins(Settings.load(home.settings_file))
    record = host.records["otherdep"]
    assert (record.status, record.source, record.version) == (
        "awaiting-approval",
        "studio-otherdep",
        "1.0",
    )
    assert "studio_otherdep" not in sys.modules


def test_a_wheel_without_a_studio_entry_point_is_refused(
    installer: PluginInstaller, wheels: dict[str, Path]
) -> None:
    with pytest.raises(InstallRefused, match="not a Studio plugin"):
        installer.install(wheels["not-a-plugin"])
    assert tree_state(installer.site) == {}


def test_install_from_a_project_folder(installer: PluginInstaller, tmp_path: Path) -> None:
    project = write_project(tmp_path, "studio-fromfolder", plugin="fromfolder")
    result = installer.install(project, build=True)
    assert (result.name, result.version, result.plugins) == (
        "studio-fromfolder",
        "1.0",
        ["fromfolder"],
    )
    assert installer.installed()["studio-fromfolder"]["source"] == str(project.resolve())
    assert (installer.site / "studio_fromfolder" / "__init__.py").is_file()


def test_command_line_dry_run_changes_nothing_and_snapshots_list_changes(
    wheels: dict[str, Path], tmp_path: Path, home: Home, capsys
) -> None:
    import json

    from studio.cli.main import main

    links = str(wheel_folder(tmp_path / "deps", wheels["tinydep"]))
    wheel = str(wheels["studio-withdep"])
    assert main(["plugin", "install", wheel, "--find-links", links, "--dry-run", "--json"]) == 0
    plan = json.loads(capsys.readouterr().out)
    assert (plan["dry_run"], plan["plugins"], plan["dependencies"]) == (
        True,
        ["withdep"],
        ["tinydep 1.0"],
    )
    assert main(["plugin", "snapshots"]) == 0
    assert "no snapshots yet" in capsys.readouterr().out
    assert tree_state(PluginInstaller(home.root).site) == {}

    assert main(["plugin", "install", wheel, "--find-links", links]) == 0
    shown = capsys.readouterr().out
    assert "installed studio-withdep 1.0" in shown and "new dependencies: tinydep 1.0" in shown
    assert "studio plugin enable withdep" in shown
    assert main(["plugin", "snapshots", "--json"]) == 0
    (snapshot,) = json.loads(capsys.readouterr().out)
    assert snapshot["reason"] == "install studio-withdep 1.0"


def test_uninstall_never_deletes_outside_the_plugin_site(tmp_path: Path) -> None:
    from studio.engine.plugins.install.site import distributions, remove_distribution

    site = tmp_path / "site"
    info = site / "evil-1.0.dist-info"
    (site / "evil").mkdir(parents=True)
    info.mkdir()
    (site / "evil" / "__init__.py").write_text("")
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: evil\nVersion: 1.0\n")
    outside = tmp_path / "precious.txt"
    outside.write_text("keep me")
    (info / "RECORD").write_text(
        f"evil/__init__.py,,\n../precious.txt,,\n{outside},,\nevil-1.0.dist-info/RECORD,,\n"
    )
    remove_distribution(site, distributions(site)["evil"])
    assert outside.read_text() == "keep me"
    assert sorted(p.name for p in site.iterdir()) == []


def test_plugin_changes_wait_for_another_process_holding_the_lock(home) -> None:
    """The lock is filelock's, so it holds on Windows and macOS too; here, across processes."""
    import subprocess
    import sys
    import time

    installer = PluginInstaller(home.root)
    lock = home.plugin_lock
    lock.parent.mkdir(parents=True, exist_ok=True)
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from filelock import FileLock\n"
            f"with FileLock({str(lock)!r}):\n"
            "    print('held', flush=True); time.sleep(1.5)\n",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout.readline().strip() == "held"
    began = time.monotonic()
    with installer._locked():
        waited = time.monotonic() - began
    holder.wait(10)
    assert waited >= 1.0, waited
