"""Fixtures shared by the whole suite.

Every test runs with a private library home, with the network blocked (in this process, and in
subprocesses through ``support/nonet/sitecustomize.py``), and with the test generators installed as
a real entry point.
"""

from __future__ import annotations

import json
import os
import socket
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.broken_plugins import BROKEN
from support.entrypoints import TEST_PLUGINS, install_test_generators, subprocess_env

# A test past its time limit ends the run with a report of every thread (support/hang_report.py).
pytest_plugins = ["support.hang_report"]

TEST_PLUGIN_NAMES = ["testgen", *BROKEN]
# The import check's key for the test generators: their dist-info has no RECORD (sha256 of "").
TESTGEN_CHECK = "testgen=studio-testgen==1.0#e3b0c44298fc1c14"

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.pop("STUDIO_SAFE_MODE", None)


@pytest.fixture(autouse=True)
def _no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(self: socket.socket, *args: object, **kwargs: object) -> None:
        if self.family == getattr(socket, "AF_UNIX", None):
            return original(self, *args, **kwargs)
        raise OSError("network access is blocked in Studio's tests")

    original = socket.socket.connect
    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)


@pytest.fixture(autouse=True)
def studio_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("STUDIO_HOME", str(home))
    # The user has enabled the test plugins (a new third-party plugin is otherwise not imported).
    (home / "settings.json").write_text(json.dumps({"approved_plugins": TEST_PLUGIN_NAMES}))
    # The test generators passed the throwaway-process import check before (as they would on a
    # user's machine after the first start): most tests do not pay half a second for it again.
    # tests/test_trust_plugins.py checks the import check itself, with fresh libraries.
    (home / "plugins").mkdir()
    (home / "plugins" / "import-checks.json").write_text(json.dumps({TESTGEN_CHECK: {"ok": True}}))
    return home


@pytest.fixture
def in_process_jobs(studio_home: Path) -> None:
    """The test plugins' jobs run in this process, as for a user who set ``isolate_plugin_jobs``
    to false: for tests that are not about isolation, so they do not each start an interpreter.

    Isolation stays the default everywhere else (test_isolated_jobs, the window's isolation
    tests). ``STUDIO_TESTS_ISOLATE=1`` keeps it for these tests too, to measure what it costs.
    """
    if os.environ.get("STUDIO_TESTS_ISOLATE") == "1":
        return
    settings = studio_home / "settings.json"
    data = json.loads(settings.read_text())
    settings.write_text(json.dumps({**data, "isolate_plugin_jobs": False}))


@pytest.fixture(scope="session")
def plugin_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A site folder with the test generators installed, on sys.path for this process."""
    site = tmp_path_factory.mktemp("site")
    install_test_generators(site)
    sys.path[:0] = [str(site), str(TEST_PLUGINS)]
    yield site
    for entry in (str(site), str(TEST_PLUGINS)):
        if entry in sys.path:
            sys.path.remove(entry)


@pytest.fixture
def host(plugin_site: Path):
    """A loaded plugin host with the test generators (and the built-ins)."""
    from studio.engine.plugins.host import load_plugins

    return load_plugins()


@pytest.fixture
def home(studio_home: Path):
    from studio.engine.home import Home

    return Home.open(studio_home)


@pytest.fixture
def env(plugin_site: Path, studio_home: Path) -> dict[str, str]:
    """Environment for ``studio`` subprocesses: test site, private home, network blocked."""
    return subprocess_env(plugin_site, studio_home)


@pytest.fixture
def one_torch_thread() -> Iterator[None]:
    """One torch thread: on a shared, busy CI machine two threads spin against each other."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    """A short text corpus in several scripts."""
    path = tmp_path / "corpus.txt"
    path.write_text(
        "To be, or not to be, that is the question. Ça va très bien. 春眠不觉晓。\n" * 20,
        encoding="utf-8",
    )
    return path
