"""charlstm through Studio's real engine (``studio.testing``): tiny config, CPU, a few seconds."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import studio_charlstm

from studio.testing import Harness

TINY = {"seq_len": 16, "embed": 8, "hidden": 32, "layers": 1, "batch_size": 8, "lr": 0.01}
TEXT = "the quick brown fox jumps over the lazy dog.\n" * 30


@pytest.fixture
def studio(tmp_path: Path) -> Harness:
    return Harness(tmp_path, {"charlstm": studio_charlstm})


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    path = tmp_path / "fox.txt"
    path.write_text(TEXT, encoding="utf-8")
    return path


def test_listing_the_plugin_does_not_import_torch() -> None:
    probe = "import sys, studio_charlstm; print('torch' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert done.stdout.strip() == "False", done.stderr


def test_learns_the_text_then_writes_like_it(studio: Harness, corpus: Path) -> None:
    params = {**TINY, "steps": 60, "eval_every": 20, "preview_every": 0, "checkpoint_every": 30}
    trained = studio.train("charlstm", data=corpus, params=params).check()
    losses = trained.metric("loss/val")
    assert len(losses) == 3
    assert losses[-1] < losses[0] * 0.75, losses  # it learned something

    sampling = {"length": 40, "temperature": 0.5}
    texts = (
        studio.generate(
            "charlstm", model=trained.run, prompt="the ", seed=7, count=2, params=sampling
        )
        .check()
        .texts
    )
    assert [len(t) for t in texts] == [40, 40]
    assert set("".join(texts)) <= set(TEXT)
    assert texts[0] != texts[1]  # each sample has its own seed
    # The second sample alone, from its own seed, is the same text: any output can be remade.
    again = studio.generate("charlstm", model=trained.run, prompt="the ", seed=8, params=sampling)
    assert again.check().texts == texts[1:]


def test_too_little_text_is_a_clear_user_error(studio: Harness, tmp_path: Path) -> None:
    short = tmp_path / "short.txt"
    short.write_text("tiny", encoding="utf-8")
    refused = studio.train("charlstm", data=short, params={**TINY, "steps": 2})
    assert refused.failure is not None and refused.failure.user_error
    assert "lower seq_len" in refused.failure.message
