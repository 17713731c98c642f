"""The plugin host: every plugin loads inside its own guard; broken ones are recorded, not fatal."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from support.broken_plugins import install_broken_plugins
from support.entrypoints import studio_command, subprocess_env

from studio.api import Generator, Param, Schema, StudioError, hookimpl
from studio.engine.plugins.host import load_plugins
from studio.engine.settings import Settings

# Not about isolation: the test plugin's jobs run in-process here (see conftest).
pytestmark = pytest.mark.usefixtures("in_process_jobs")


@pytest.fixture
def broken_site(tmp_path: Path, plugin_site: Path) -> tuple[Path, dict[str, str]]:
    site = tmp_path / "broken-site"
    reasons = install_broken_plugins(site)
    return site, reasons


def _python(env: dict[str, str], code: str) -> str:
    """What ``python -c code`` prints in a new process with ``env``; it must succeed."""
    return subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout


def _studio(env: dict[str, str], *args: str) -> None:
    """``studio ARGS`` in a new process with ``env``; it must succeed."""
    subprocess.run(studio_command(*args), env=env, check=True, capture_output=True, timeout=60)


def _plugins_json(site: Path, home: Path, plugin_site: Path, *args: str, **env: str) -> dict:
    environment = subprocess_env(plugin_site, home, **env)
    environment["PYTHONPATH"] = f"{site}:{environment['PYTHONPATH']}"
    result = subprocess.run(
        studio_command(*args, "plugins", "--json"),
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_broken_plugins_are_listed_as_failed_and_good_ones_work(
    broken_site, plugin_site, studio_home
) -> None:
    site, reasons = broken_site
    listing = _plugins_json(site, studio_home, plugin_site)
    records = {p["name"]: p for p in listing["plugins"]}
    for name, reason in reasons.items():
        assert records[name]["status"] == "failed", records[name]
        assert reason in records[name]["reason"]
        assert records[name]["traceback"].strip()
        assert records[name]["generators"] == []
    assert records["testgen"]["status"] == "loaded"
    generator_ids = {g["id"] for g in listing["generators"]}
    assert {"tinychar", "tinypix"} <= generator_ids


def test_good_plugin_still_trains_beside_broken_ones(
    broken_site, plugin_site, studio_home, corpus
) -> None:
    site, _reasons = broken_site
    environment = subprocess_env(plugin_site, studio_home)
    environment["PYTHONPATH"] = f"{site}:{environment['PYTHONPATH']}"
    result = subprocess.run(
        studio_command("train", "tinychar", "--data", str(corpus), "--steps", "3"),
        env=environment,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stderr


def test_failed_plugin_leaves_nothing_behind(broken_site, monkeypatch) -> None:
    site, _reasons = broken_site
    monkeypatch.syspath_prepend(str(site))
    host = load_plugins()
    for name in ("broken_misspelled", "broken_raising", "broken_api"):
        assert name not in sys.modules
        assert host.manager.get_plugin(name) is None
    # A misspelled hook must not be reachable through the manager either.
    assert "register_generator" not in {h for h in dir(host.manager.hook) if not h.startswith("_")}


def test_safe_mode_loads_built_ins_only(broken_site, plugin_site, studio_home) -> None:
    site, _reasons = broken_site
    for args, env in (((), {"STUDIO_SAFE_MODE": "1"}), (("--safe-mode",), {})):
        listing = _plugins_json(site, studio_home, plugin_site, *args, **env)
        assert listing["safe_mode"] is True
        third_party = [p for p in listing["plugins"] if not p["builtin"]]
        assert third_party and all(p["status"] == "safe-mode" for p in third_party)
        built_in = {p["name"] for p in listing["plugins"] if p["builtin"]}
        assert {"gpt", "dcgan", "vae", "lm", "fastgan"} <= built_in
        assert all(g["plugin"] in built_in for g in listing["generators"])


def test_disable_list_persists_and_disabled_plugin_is_not_imported(
    plugin_site, studio_home
) -> None:
    env = subprocess_env(plugin_site, studio_home)
    _studio(env, "plugin", "disable", "testgen")
    assert "testgen" in Settings.load(studio_home / "settings.json").disabled_plugins
    probe = (
        "import sys; from studio.engine.plugins.host import load_plugins;"
        "from studio.engine.settings import Settings; from studio.engine.home import Home;"
        "h = load_plugins(Settings.load(Home.open().settings_file));"
        "print(h.records['testgen'].status, 'studio_testgen' in sys.modules)"
    )
    out = _python(env, probe).split()
    assert out == ["disabled", "False"]
    _studio(env, "plugin", "enable", "testgen")
    assert "testgen" not in Settings.load(studio_home / "settings.json").disabled_plugins


def test_hook_tracing_writes_calls_to_stderr(plugin_site, studio_home) -> None:
    env = subprocess_env(plugin_site, studio_home, STUDIO_TRACE_HOOKS="1")
    probe = (
        "from studio.engine.plugins.host import load_plugins, call_startup; h = load_plugins();"
        "call_startup(h, '/tmp'); h.manager.hook.startup(home='/tmp')"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert "startup" in result.stderr


class _Duplicate(Generator):
    id = "tinychar"
    name = "Imposter"


class _Collision:
    STUDIO_API_VERSION = 1

    @staticmethod
    @hookimpl
    def register_generators() -> list[Generator]:
        return [_Duplicate()]


def test_generator_id_collision_fails_the_later_plugin(plugin_site) -> None:
    host = load_plugins(extra=[("imposter", _Collision())])
    assert host.records["imposter"].status == "failed"
    assert "already provided by plugin 'testgen'" in host.records["imposter"].reason
    assert host.generators["tinychar"].name != "Imposter"


class _StartupFails:
    STUDIO_API_VERSION = 1

    class _Gen(Generator):
        id = "startup-victim"
        name = "Victim"
        generate_params = Schema([Param("x", "int", 1)])

    @hookimpl
    def register_generators(self) -> list[Generator]:
        return [self._Gen()]

    @hookimpl
    def startup(self, home: Path) -> None:
        raise RuntimeError("no disk")


def test_raising_startup_hook_marks_plugin_failed(plugin_site, tmp_path) -> None:
    from studio.engine.plugins.host import call_startup

    host = load_plugins(extra=[("fragile", _StartupFails())])
    assert "startup-victim" in host.generators
    call_startup(host, tmp_path)
    assert host.records["fragile"].status == "failed"
    assert "startup raised RuntimeError: no disk" in host.records["fragile"].reason
    assert "startup-victim" not in host.generators
    assert host.records["testgen"].status == "loaded"


def test_unknown_generator_names_the_available_ones(host) -> None:
    with pytest.raises(StudioError, match=r"available: .*tinychar"):
        host.generator("nope")


def test_new_third_party_plugin_is_not_imported_until_enabled(plugin_site, tmp_path) -> None:
    home = tmp_path / "fresh-home"  # a user who never enabled anything
    env = subprocess_env(plugin_site, home)
    probe = (
        "import sys; from studio.engine.session import open_session;"
        "s = open_session(); r = s.host.records['testgen'];"
        "print(r.status, 'studio_testgen' in sys.modules, 'tinychar' in s.host.generators)"
    )
    assert _python(env, probe).strip() == "awaiting-approval False False"
    listing = subprocess.run(
        studio_command("plugins"), env=env, capture_output=True, text=True, timeout=60
    ).stdout
    assert "full rights" in listing
    _studio(env, "plugin", "enable", "testgen")
    assert _python(env, probe).strip() == "loaded True True"
