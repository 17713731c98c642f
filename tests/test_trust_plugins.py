"""Plugin trust at start-up: names are owned, built-ins win, a plugin that kills the process at
import is caught in a throwaway process, and bad generator objects are named at registration."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from support.entrypoints import install_distribution, studio_command, subprocess_env

MARKER = "import os, pathlib\npathlib.Path(os.environ['STUDIO_TEST_MARKERS'], {name!r}).touch()\n"
GOOD = "from studio.api import Generator, hookimpl\nSTUDIO_API_VERSION = 1\n"


def _site(tmp_path: Path, plugins: dict[str, tuple[str, str]]) -> Path:
    """A folder of dist-info plugins: entry point name -> (module name, module source)."""
    site = tmp_path / "site"
    for entry, (module, source) in plugins.items():
        (site / module).mkdir(parents=True, exist_ok=True)
        (site / module / "__init__.py").write_text(source, encoding="utf-8")
        install_distribution(site, f"studio-{module.replace('_', '-')}", {entry: module})
    return site


def _studio(site: Path, plugin_site: Path, home: Path, *args: str, approve=(), **env: str):
    home.mkdir(exist_ok=True)
    settings = home / "settings.json"
    if not settings.exists():
        settings.write_text(json.dumps({"approved_plugins": ["testgen", *approve]}))
    environment = subprocess_env(plugin_site, home, **env)
    environment["PYTHONPATH"] = f"{site}:{environment['PYTHONPATH']}"
    return subprocess.run(studio_command(*args), env=environment, capture_output=True, text=True,
                          timeout=180)  # fmt: skip


def test_an_entry_point_named_like_a_built_in_is_skipped_and_built_ins_win(
    tmp_path, plugin_site, corpus
) -> None:
    markers = tmp_path / "markers"
    markers.mkdir()
    evil = (
        MARKER.format(name="evil_gpt")
        + GOOD
        + ("@hookimpl\ndef register_generators():\n    raise SystemExit('taken over')\n")
    )
    site = _site(tmp_path, {"gpt": ("evil_gpt", evil), "testgen": ("evil_testgen", evil)})
    for mode in ((), ("--safe-mode",)):
        result = _studio(site, plugin_site, tmp_path / "home", *mode, "plugins", "--json",
                         approve=["gpt"], STUDIO_TEST_MARKERS=str(markers))  # fmt: skip
        assert result.returncode == 0, result.stderr
        records = {r["name"]: r for r in json.loads(result.stdout)["plugins"]}
        assert records["gpt"]["builtin"] and records["gpt"]["status"] == "loaded"
        skipped = records["gpt@studio-evil-gpt"]
        assert skipped["status"] == "failed"
        assert "already taken by the built-in plugin 'gpt'" in skipped["reason"]
        # Two third-party plugins sharing a name: neither hides the other, both are skipped.
        for name in ("testgen@studio-evil-testgen", "testgen@studio-testgen"):
            assert records[name]["status"] == "failed"
            assert "(uninstall one)" in records[name]["reason"]
    assert list(markers.iterdir()) == []  # never imported
    trained = _studio(site, plugin_site, tmp_path / "home", "train", "gpt", "--data", str(corpus),
                      "--steps", "1", "--set", "n_layer=1", "--set", "n_embd=16",
                      "--set", "n_head=1", "--set", "block_size=16",
                      STUDIO_TEST_MARKERS=str(markers))  # fmt: skip
    assert trained.returncode == 0, trained.stderr


def test_a_plugin_that_ends_the_process_at_import_is_caught_and_remembered(
    tmp_path, plugin_site
) -> None:
    markers = tmp_path / "markers"
    markers.mkdir()
    count = "open(os.path.join(os.environ['STUDIO_TEST_MARKERS'], {n!r}), 'a').write('x')\n"
    plugins = {
        "exits": ("plug_exits", "import os\n" + count.format(n="exits") + "os._exit(0)\n"),
        "segfaults": ("plug_kills", "import os, signal\n" + count.format(n="kills")
                      + "os.kill(os.getpid(), signal.SIGKILL)\n"),
        "hangs": ("plug_hangs", "import os, time\n" + count.format(n="hangs")
                  + "time.sleep(600)\n"),
    }  # fmt: skip
    site = _site(tmp_path, plugins)
    home = tmp_path / "home"
    env = {"STUDIO_TEST_MARKERS": str(markers), "STUDIO_IMPORT_CHECK_TIMEOUT": "3"}
    for _attempt in range(2):
        result = _studio(site, plugin_site, home, "plugins", "--json", approve=list(plugins), **env)
        assert result.returncode == 0, result.stderr
        records = {r["name"]: r for r in json.loads(result.stdout)["plugins"]}
        assert records["testgen"]["status"] == "loaded", records["testgen"]["reason"]
        assert "exit code 0 while being imported" in records["exits"]["reason"]
        assert "killed by signal SIGKILL" in records["segfaults"]["reason"]
        assert "within 3 s" in records["hangs"]["reason"]
        assert all(records[name]["status"] == "failed" for name in plugins)
    # Checked once: the second start remembered the outcome per distribution version.
    assert {p.name: p.read_text() for p in markers.iterdir()} == {
        "exits": "x",
        "kills": "x",
        "hangs": "x",
    }
    remembered = json.loads((home / "plugins" / "import-checks.json").read_text())
    assert any(key.startswith("exits=studio-plug-exits==1.0#") for key in remembered)
    # Enabling it again is a new yes, and gets a new check.
    from studio.engine.settings import Settings

    Settings.load(home / "settings.json").set_plugin_enabled("exits", True)
    _studio(site, plugin_site, home, "plugins", **env)
    assert (markers / "exits").read_text() == "xx" and (markers / "kills").read_text() == "x"


def test_generator_attributes_are_validated_and_the_plugin_named(tmp_path, plugin_site) -> None:
    def generator(attrs: str) -> str:
        return GOOD + (
            f"class G(Generator):\n    {attrs}\n"
            "@hookimpl\ndef register_generators():\n    return [G()]\n"
        )

    plugins = {
        "intid": ("bad_intid", generator("id = 5; name = 'Five'")),
        "listname": ("bad_listname", generator("id = 'listname'; name = ['x']")),
        "dictschema": ("bad_schema", generator("id = 'ds'; name = 'D'; train_params = {}")),
        "badmodality": ("bad_modality", generator("id = 'bm'; name = 'B'; modality = 'audio'")),
    }
    site = _site(tmp_path, plugins)
    home = tmp_path / "home"
    listing = _studio(site, plugin_site, home, "plugins", "--json", approve=list(plugins))
    assert listing.returncode == 0, listing.stderr
    records = {r["name"]: r for r in json.loads(listing.stdout)["plugins"]}
    assert "has id 5" in records["intid"]["reason"]
    assert "has name ['x'] (list); expected a non-empty str" in records["listname"]["reason"]
    assert "train_params {} (dict); expected a Schema" in records["dictschema"]["reason"]
    assert "modality 'audio'" in records["badmodality"]["reason"]
    assert all(records[name]["status"] == "failed" for name in plugins)
    plain = _studio(site, plugin_site, home, "plugins")
    assert plain.returncode == 0, plain.stderr
    assert "tinychar" in plain.stdout
