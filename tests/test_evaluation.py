"""The evaluation job is generic: any generator may evaluate; one that does not is told so."""

from __future__ import annotations

from studio.api import Generator
from studio.engine.evaluation import EvaluateJob
from studio.engine.events import Failed, Finished
from studio.engine.train.job import TrainJob


def test_a_generator_without_evaluate_is_refused_clearly(host, home, corpus) -> None:
    assert Generator.can_evaluate(host.generator("tinychar")) is False
    assert host.generator("tinychar").describe()["evaluates"] is False
    events = list(TrainJob(host, home, "tinychar", data=corpus, params={"steps": 2}).run())
    assert isinstance(events[-1], Finished)
    events = list(EvaluateJob(host, home, events[-1].result["model"], data=corpus).run())
    assert isinstance(events[-1], Failed) and events[-1].user_error
    assert "'tinychar' cannot evaluate models" in events[-1].message


def test_image_generators_evaluate(host) -> None:
    for name in ("dcgan", "fastgan", "vae"):
        generator = host.generator(name)
        assert generator.can_evaluate() and generator.describe()["evaluates"] is True
        assert {"count", "subsets", "seed"} <= {p.name for p in generator.evaluate_params}
