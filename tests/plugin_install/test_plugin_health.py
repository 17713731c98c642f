"""A plugin raising mid-generation fails its job, the app carries on, and its third failed job in
a session disables it, with a notice."""

from __future__ import annotations

import types
from pathlib import Path

import pytest

from studio.api import Generator, ModelHandle, Param, Schema, TextChunk, hookimpl
from studio.engine.events import Failed, Finished, Log, SampleEvent
from studio.engine.home import Home
from studio.engine.plugins.health import FAILURE_LIMIT, PluginHealth
from studio.engine.plugins.host import load_plugins
from studio.engine.session import Session
from studio.engine.settings import Settings

# Not about isolation: the test plugin's jobs run in-process here (see conftest).
pytestmark = pytest.mark.usefixtures("in_process_jobs")


class Flaky(Generator):
    """Writes a few characters, then raises (unless ``fail`` is off: then it finishes)."""

    id = "flaky"
    name = "Flaky"
    modality = "text"
    version = "1"
    generate_params = Schema(
        [Param("fail", "bool", True, "raise mid-stream"), Param("bad", "int", 0, "", minimum=0)]
    )
    train_params = Schema([])

    def create_model(self, params, data):
        import torch

        return ModelHandle(torch.nn.Linear(2, 2), {})

    def load_model(self, config, assets):
        return self.create_model({}, None)

    def generate(self, model, request, context):
        for index in range(3):
            yield TextChunk("ab"[index % 2], 0, request.seed)
        if request.params["fail"]:
            raise RuntimeError("the flaky plugin broke mid-generation")


@hookimpl
def register_generators() -> list[Generator]:
    return [Flaky()]


@pytest.fixture
def flaky_host(home: Home, plugin_site: Path):
    plugin = types.ModuleType("studio_flaky")
    plugin.STUDIO_API_VERSION = 1
    plugin.register_generators = register_generators
    return session_with(
        home, load_plugins(Settings.load(home.settings_file), extra=[("flaky", plugin)])
    )


def session_with(home: Home, host) -> Session:
    settings = Settings.load(home.settings_file)
    return Session(home, settings, host, PluginHealth(host, settings))


def generate(session: Session, home: Home, generator: str, tmp_path: Path, **params) -> list:
    job = session.generate_job(generator, params=params, seed=1, out_dir=tmp_path)
    return list(job.run())


def test_third_failed_job_disables_the_plugin_and_the_app_carries_on(
    flaky_host, home: Home, tmp_path: Path
) -> None:
    assert FAILURE_LIMIT == 3
    for attempt in (1, 2):
        events = generate(flaky_host, home, "flaky", tmp_path)
        assert isinstance(events[-1], Failed)
        assert "the flaky plugin broke mid-generation" in events[-1].message
        assert sum(isinstance(e, SampleEvent) for e in events) == 3  # it did start streaming
        assert events[-1].hint == "", attempt
        # The app carries on: another plugin's generator still works between the failures.
        other = generate(flaky_host, home, "tinychar", tmp_path, max_new_chars=5)
        assert isinstance(other[-1], Finished)
    # A user error (a bad parameter) is not the plugin's fault and does not count.
    refused = generate(flaky_host, home, "flaky", tmp_path, bad=-1)
    assert isinstance(refused[-1], Failed) and refused[-1].user_error
    assert flaky_host.host.records["flaky"].status == "loaded"

    third = generate(flaky_host, home, "flaky", tmp_path)
    notice = third[-1].hint
    assert isinstance(third[-1], Failed)
    assert "failed 3 jobs in this session and has been disabled" in notice
    assert any(isinstance(e, Log) and e.message == notice for e in third)
    assert flaky_host.host.records["flaky"].status == "disabled"
    assert "flaky" in Settings.load(home.settings_file).disabled_plugins

    # Its generator is not handed out again this session; everything else still works.
    after = generate(flaky_host, home, "flaky", tmp_path, fail=False)
    assert isinstance(after[-1], Failed) and "is not available" in after[-1].message
    assert isinstance(generate(flaky_host, home, "tinychar", tmp_path)[-1], Finished)
    # And at the next start it is not even loaded.
    restarted = load_plugins(Settings.load(home.settings_file))
    assert "flaky" not in restarted.records or restarted.records["flaky"].status != "loaded"


def test_a_working_plugin_is_not_counted(flaky_host, home: Home, tmp_path: Path) -> None:
    for _ in range(FAILURE_LIMIT + 1):
        assert isinstance(generate(flaky_host, home, "flaky", tmp_path, fail=False)[-1], Finished)
    assert flaky_host.host.records["flaky"].status == "loaded"
    assert flaky_host.health.failures["flaky"] == 0


def test_failed_resumes_count_too(home: Home, plugin_site: Path, corpus: Path) -> None:
    session = session_with(home, load_plugins(Settings.load(home.settings_file)))
    host = session.host
    params = {"steps": 6, "checkpoint_every": 2, "fail_at_step": 3, "context": 8, "hidden": 16}
    first = list(session.train_job("tinychar", data=corpus, params=params).run())
    assert isinstance(first[-1], Failed) and "planned failure at step 3" in first[-1].message
    run = next(e for e in first if hasattr(e, "run_dir")).run_dir
    # Each resume starts from the step-2 checkpoint and meets the same bug at step 3.
    for attempt in (2, 3):
        events = list(session.resume_job(run).run())
        assert isinstance(events[-1], Failed), attempt
    assert "failed 3 jobs in this session and has been disabled" in events[-1].hint
    assert host.records["testgen"].status == "disabled"
    assert "testgen" in Settings.load(home.settings_file).disabled_plugins
