"""The evaluation job is generic: any generator may evaluate; one that does not is told so."""

from __future__ import annotations

from studio.api import Generator
from studio.engine.evaluation import EvaluateJob
from studio.engine.events import Failed, Finished
from studio.engine.plugins.health import PluginHealth
from studio.engine.session import Session
from studio.engine.settings import Settings
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


def test_a_failing_plugin_in_a_voice_report_or_an_export_counts_against_it(
    host, home, corpus, tmp_path, monkeypatch
) -> None:
    """``studio evaluate`` and ``studio export`` make their jobs through the session, as train
    and generate do: a plugin's failure there counts toward its three strikes too."""
    settings = Settings.load(home.settings_file)
    session = Session(home, settings, host, PluginHealth(host, settings))
    trained = list(TrainJob(host, home, "tinychar", data=corpus, params={"steps": 2}).run())
    model = trained[-1].result["model"]

    def broken(*_args, **_kwargs):
        raise RuntimeError("the plugin's own bug")

    generator = host.generator("tinychar")
    monkeypatch.setattr(generator, "generate", broken)
    report = session.voice_report_job(model, data=corpus, training=corpus, prompts=2)
    end = list(report.run())[-1]
    assert isinstance(end, Failed) and "the plugin's own bug" in end.message, end
    assert session.health.failures["testgen"] == 1

    monkeypatch.setattr(generator, "export_model", broken, raising=False)
    export = session.export_job(model, tmp_path / "merged", "merged")
    end = list(export.run())[-1]
    assert isinstance(end, Failed) and "the plugin's own bug" in end.message, end
    assert session.health.failures["testgen"] == 2
