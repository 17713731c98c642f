"""A first end-to-end pass: train, checkpoint, resume and generate with the test generator."""

from __future__ import annotations

from studio.engine.events import Finished
from studio.engine.generation import GenerateJob
from studio.engine.train.job import TrainJob


def test_train_then_generate(host, home, corpus, tmp_path) -> None:
    events = list(TrainJob(host, home, "tinychar", data=corpus, params={"steps": 12}).run())
    assert isinstance(events[-1], Finished), events[-1]
    out = tmp_path / "out"
    events = list(
        GenerateJob(
            host,
            home,
            "tinychar",
            model=events[-1].result["model"],
            prompt="To",
            seed=1,
            out_dir=out,
        ).run()
    )
    assert isinstance(events[-1], Finished), events[-1]
    assert len(list(out.glob("*.txt"))) == 1
