"""Jobs in a child process: the same events as in-process, cancel, and crashes that cost one job.

Each isolated job starts a fresh interpreter (about two seconds here, torch's import most of it),
so the tests share a few runs and keep the models tiny.
"""

from __future__ import annotations

import json
import os
import pickle
import threading
import time
from pathlib import Path

import pytest

from studio.engine.events import Cancelled, CheckpointSaved, Failed, Finished, Metric, SampleEvent
from studio.engine.generation import GenerateJob
from studio.engine.importing import ImportJob
from studio.engine.plugins.health import PluginHealth
from studio.engine.plugins.host import load_plugins
from studio.engine.process import codec
from studio.engine.process.isolated import IsolatedJob
from studio.engine.process.policy import should_isolate
from studio.engine.session import Session
from studio.engine.settings import Settings
from studio.engine.store import checkpoints as ckpt
from studio.engine.store.library import list_models
from studio.engine.store.runs import find_run
from studio.engine.train.job import TrainJob

PARAMS = {
    "steps": 12,
    "batch_size": 4,
    "checkpoint_every": 6,
    "eval_every": 4,
    "preview_every": 6,
    "context": 4,
    "hidden": 16,
}


@pytest.fixture
def session(host, home) -> Session:
    """The engine's session: its factories apply the isolation policy (--isolate: ``isolate``)."""
    settings = Settings.load(home.settings_file)
    return Session(home, settings, host, PluginHealth(host, settings))


def _train(session, corpus, isolate, **params):
    session.isolate = isolate
    job = session.train_job("tinychar", data=corpus, params={**PARAMS, **params})
    assert isinstance(job, IsolatedJob) == isolate
    return job, list(job.run())


def _signature(events):
    """What a user sees of a job, without the run's own (time-stamped) folder names."""
    seen = []
    for event in events:
        if isinstance(event, Metric):
            seen.append(("metric", event.step, event.values))
        elif isinstance(event, SampleEvent):
            seen.append(("sample", event.step, event.sample))
        elif isinstance(event, CheckpointSaved):
            seen.append(("checkpoint", event.step, event.reason))
        else:
            seen.append((type(event).__name__,))
    return seen


def test_isolated_events_equal_in_process_events(session, corpus) -> None:
    _job, local = _train(session, corpus, isolate=False)
    _job, isolated = _train(session, corpus, isolate=True)
    assert isinstance(isolated[-1], Finished), isolated[-1]
    # Same seed, same metrics, bit for bit; the same previews and checkpoints in the same order.
    assert _signature(isolated) == _signature(local)
    assert Path(isolated[-1].result["model"]).is_dir()


def test_isolated_generation_streams_the_same_images(session) -> None:
    def images(isolate):
        session.isolate = isolate
        job = session.generate_job("tinypix", seed=5, count=2)
        assert isinstance(job, IsolatedJob) == isolate
        return [e.sample for e in job.run() if isinstance(e, SampleEvent)]

    local, isolated = images(False), images(True)
    assert len(isolated) == 2
    for a, b in zip(local, isolated, strict=True):
        assert (
            (a.pixels == b.pixels).all() and a.seed == b.seed and a.pixels.dtype == b.pixels.dtype
        )


@pytest.mark.slow
@pytest.mark.parametrize(
    ("how", "reason"),
    [
        ("segfault", "was killed by SIGSEGV"),
        ("exit", "exited with code 3"),
        ("sigkill", "was killed by SIGKILL"),
    ],
)
def test_a_crashing_child_fails_only_its_job(session, home, corpus, how, reason) -> None:
    name = f"crash-{how}"
    job = session.train_job(
        "tinychar",
        data=corpus,
        name=name,
        params={**PARAMS, "steps": 10, "checkpoint_every": 4, "fail_at_step": 6, "fail_with": how},
    )
    assert isinstance(job, IsolatedJob)  # a third-party plugin: isolated by default
    events = list(job.run())
    failed = events[-1]
    assert isinstance(failed, Failed), failed
    assert reason in failed.message and "plugin 'testgen'" in failed.message
    assert "step 4 is kept" in failed.hint and f"studio resume {name}" in failed.hint
    assert session.health.failures["testgen"] == 1  # toward the plugin's three strikes
    run = find_run(home.runs, name)
    assert run.info["status"] == "failed"
    assert ckpt.newest_valid(run.checkpoints_dir).step == 4

    # This process lives on, and the next job (the resume) continues from the checkpoint.
    resumed = list(session.resume_job(name).run())
    assert isinstance(resumed[-1], Finished), resumed[-1]
    steps = [e.step for e in resumed if isinstance(e, Metric)]
    assert steps == list(range(5, 11))


def test_cancel_of_an_isolated_job_saves_a_checkpoint(session, home, corpus) -> None:
    job = session.train_job(
        "tinychar",
        data=corpus,
        name="stopped",
        params={**PARAMS, "steps": 100_000, "step_delay_ms": 10, "checkpoint_every": 1000},
    )
    events = []
    for event in job.run():
        events.append(event)
        if isinstance(event, Metric) and event.step == 5:
            job.cancel()
    saved = [e for e in events if isinstance(e, CheckpointSaved)]
    assert isinstance(events[-1], Cancelled)
    assert saved and saved[-1].reason == "cancelled" and saved[-1].step >= 5
    run = find_run(home.runs, "stopped")
    assert run.info["status"] == "cancelled"
    assert ckpt.newest_valid(run.checkpoints_dir).step == saved[-1].step


def _cancel_after(job, seconds: float) -> list:
    events: list = []
    reader = threading.Thread(target=lambda: events.extend(job.run()))
    reader.start()
    time.sleep(seconds)
    job.cancel()
    reader.join(timeout=60)
    assert not reader.is_alive()
    return events


def test_a_job_hanging_in_a_step_is_killed_after_the_grace_period(session, corpus) -> None:
    job = session.train_job(
        "tinychar",
        data=corpus,
        params={**PARAMS, "fail_at_step": 2, "fail_with": "hang"},
    )
    job.cancel_grace_s = 1.0
    began = time.monotonic()
    events = _cancel_after(job, 4.0)
    assert isinstance(events[-1], Cancelled)
    assert job.process.poll() is not None  # gone: its memory (and any GPU memory) released
    assert time.monotonic() - began < 30


def test_a_plugin_hanging_at_import_can_be_cancelled(session, corpus, monkeypatch) -> None:
    # Only the child sees this: the plugin was imported before, here, without it.
    monkeypatch.setenv("STUDIO_TESTGEN_HANG_AT_IMPORT", "1")
    job = session.train_job("tinychar", data=corpus, params=PARAMS)
    job.cancel_grace_s = 1.0
    events = _cancel_after(job, 3.0)
    assert [type(e) for e in events] == [Cancelled]
    assert job.process.poll() is not None


def test_which_jobs_are_isolated(host, tmp_path) -> None:
    plain = Settings(tmp_path / "plain.json", {})
    assert should_isolate(host, plain, "tinychar", None)  # third-party: isolated
    assert not should_isolate(host, plain, "gpt", None)  # built-in: in-process
    settings = Settings(tmp_path / "settings.json", {"isolate_all_jobs": True})
    assert should_isolate(host, settings, "gpt", None)
    assert should_isolate(host, plain, "gpt", True)  # --isolate
    assert not should_isolate(host, settings, "tinychar", False)
    trusting = Settings(tmp_path / "trusting.json", {"isolate_plugin_jobs": False})
    assert not should_isolate(host, trusting, "tinychar", None)  # the user trusts their plugins
    assert should_isolate(host, trusting, "tinychar", True)


def test_the_session_builds_every_job_through_the_policy(session, home, corpus, tmp_path) -> None:
    # No process is started here: building a job spawns nothing until it runs.
    assert isinstance(session.train_job("tinychar", data=corpus), IsolatedJob)
    assert isinstance(session.train_job("gpt", data=corpus), TrainJob)
    assert isinstance(session.generate_job("tinypix", seed=1), IsolatedJob)
    session.settings.set("isolate_all_jobs", True)
    built_in = session.generate_job("gpt", seed=1, out_dir=tmp_path)
    assert isinstance(built_in, IsolatedJob) and built_in.health is session.health
    session.isolate = False  # an explicit choice beats the setting
    assert isinstance(session.generate_job("tinypix", seed=1), GenerateJob)


def test_the_pipe_refuses_anything_but_plain_data() -> None:
    event = Failed("boom", hint="h")
    assert codec.loads(codec.dumps(event)) == event
    with pytest.raises(pickle.UnpicklingError, match="refused"):
        codec.loads(pickle.dumps(Path("/etc")))


def test_a_child_loads_exactly_the_plugins_its_parent_loaded(host, tmp_path) -> None:
    # Nothing approved in these settings: only= stands for the parent's decisions, no more.
    loaded = sorted(r.name for r in host.records.values() if r.status == "loaded")
    child = load_plugins(Settings(tmp_path / "settings.json", {}), only=loaded)
    assert sorted(r.name for r in child.records.values() if r.status == "loaded") == loaded
    assert "testgen" in loaded and set(child.records) == set(loaded)
    assert set(child.generators) == set(host.generators)


def test_an_isolated_data_check_reports_what_the_in_process_one_does(session, corpus) -> None:
    reports = []
    for isolate in (False, True):
        session.isolate = isolate
        job = session.data_check_job("tinychar", corpus, {"context": 4})
        assert isinstance(job, IsolatedJob) == isolate
        finished = list(job.run())[-1]
        assert isinstance(finished, Finished), finished
        reports.append(finished.result["report"])
    assert reports[0] == reports[1] and reports[0]["stats"]["examples"] > 0


def _tinychar(folder: Path, **spec) -> Path:
    """A file the test generator imports (its import_model: name, seconds, crash)."""
    path = folder / f"{spec.get('name', 'model')}.tinychar"
    path.write_text(json.dumps(spec), encoding="utf-8")
    return path


def test_a_third_party_import_runs_in_a_process_of_its_own(session, home, tmp_path) -> None:
    job = session.import_job(_tinychar(tmp_path, name="mine"))
    assert isinstance(job, ImportJob) and not job.needs_device and job.health is session.health
    assert job.isolate("tinychar") and not job.isolate("lm")  # built-ins stay in-process
    events = list(job.run())
    assert isinstance(events[-1], Finished), events[-1]
    assert job.child is not None and job.child.process.returncode == 0
    (model,) = list_models(home)
    # The plugin's import_model ran in the child: it recorded that process's id, not ours.
    assert model["name"] == "mine" and model["info"]["importer_pid"] == job.child.process.pid
    assert job.child.process.pid != os.getpid()
    assert f"imported by process {job.child.process.pid}" in [
        getattr(e, "message", "") for e in events
    ]
    session.settings.set("isolate_all_jobs", True)
    assert session.import_job(tmp_path / "any.gguf").isolate("lm")


def test_a_crash_in_an_isolated_import_fails_only_its_job(session, home, tmp_path) -> None:
    source = _tinychar(tmp_path, name="doomed", crash=3)
    job = session.import_job(source)
    events = list(job.run())
    failed = events[-1]
    assert isinstance(failed, Failed), failed
    assert "exited with code 3" in failed.message and "plugin 'testgen'" in failed.message
    assert session.health.failures["testgen"] == 1  # toward the plugin's three strikes
    # The library is as it was: no entry, no stored model, not even the half-written folder.
    assert list_models(home) == []
    assert sorted(p.name for p in home.base_models.iterdir()) == []
    # This process lives on, and the same file imports once it no longer crashes.
    source.write_text(json.dumps({"name": "doomed"}), encoding="utf-8")
    session.isolate = False
    done = list(session.import_job(source).run())[-1]
    assert isinstance(done, Finished) and done.result["name"] == "doomed", done
    assert [m["name"] for m in list_models(home)] == ["doomed"]
