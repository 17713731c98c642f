"""charlstm through Studio's real engine: tiny config, CPU, a few seconds."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import studio_charlstm

from studio.engine.events import Failed, Finished, Metric, SampleEvent
from studio.engine.generation import GenerateJob
from studio.engine.home import Home
from studio.engine.plugins.host import load_plugins
from studio.engine.train.job import TrainJob

TINY = {"seq_len": 16, "embed": 8, "hidden": 32, "layers": 1, "batch_size": 8, "lr": 0.01}
TEXT = "the quick brown fox jumps over the lazy dog.\n" * 30


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Home:
    monkeypatch.setenv("STUDIO_HOME", str(tmp_path / "home"))
    return Home.open()


@pytest.fixture
def host():
    return load_plugins(extra=[("charlstm", studio_charlstm)])


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    path = tmp_path / "fox.txt"
    path.write_text(TEXT, encoding="utf-8")
    return path


def run(job) -> list:
    events = list(job.run())
    failures = [e for e in events if isinstance(e, Failed)]
    assert not failures, failures[0].traceback
    assert isinstance(events[-1], Finished)
    return events


def generate(host, home, model, tmp_path, **kwargs) -> list[str]:
    events = run(GenerateJob(host, home, "charlstm", model=model, out_dir=tmp_path, **kwargs))
    return [e.sample.text for e in events if isinstance(e, SampleEvent) and e.final]


def test_listing_the_plugin_does_not_import_torch() -> None:
    probe = "import sys, studio_charlstm; print('torch' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert done.stdout.strip() == "False", done.stderr


def test_learns_the_text_then_writes_like_it(host, home, corpus, tmp_path) -> None:
    params = {**TINY, "steps": 60, "eval_every": 20, "preview_every": 0, "checkpoint_every": 30}
    events = run(TrainJob(host, home, "charlstm", data=corpus, params=params))
    metrics = [e.values for e in events if isinstance(e, Metric)]
    losses = [values["loss/val"] for values in metrics if "loss/val" in values]
    assert len(losses) == 3
    assert losses[-1] < losses[0] * 0.75, losses  # it learned something
    run_dir = events[-1].result["run"]

    texts = generate(
        host,
        home,
        run_dir,
        tmp_path / "a",
        prompt="the ",
        seed=7,
        count=2,
        params={"length": 40, "temperature": 0.5},
    )
    assert [len(t) for t in texts] == [40, 40]
    assert set("".join(texts)) <= set(TEXT)
    assert texts[0] != texts[1]  # each sample has its own seed
    # The second sample alone, from its own seed, is the same text: any output can be remade.
    again = generate(
        host,
        home,
        run_dir,
        tmp_path / "b",
        prompt="the ",
        seed=8,
        params={"length": 40, "temperature": 0.5},
    )
    assert again == texts[1:]


def test_too_little_text_is_a_clear_user_error(host, home, tmp_path) -> None:
    short = tmp_path / "short.txt"
    short.write_text("tiny", encoding="utf-8")
    events = list(TrainJob(host, home, "charlstm", data=short, params={**TINY, "steps": 2}).run())
    assert isinstance(events[-1], Failed) and events[-1].user_error
    assert "lower seq_len" in events[-1].message
