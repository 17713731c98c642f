"""studio.testing drives the real engine for a plugin's own tests; the engine, not the trainer,
switches eval and train mode; data hands the model metadata; and a plugin written for API 1.0
still works unchanged."""

from __future__ import annotations

import importlib.util
import sys
import types
from pathlib import Path
from typing import ClassVar

import pytest

from studio.api import (
    Generator,
    ModelHandle,
    Param,
    Schema,
    TextChunk,
    TrainData,
    Trainer,
    hookimpl,
)
from studio.testing import Harness

TEXT = "the quick brown fox jumps over the lazy dog.\n" * 30
FROZEN = Path(__file__).parent / "support" / "api_v1" / "studio_charlstm_v1"


def frozen_example() -> types.ModuleType:
    """Today's example plugin, imported from its frozen copy under a name of its own."""
    spec = importlib.util.spec_from_file_location(
        "studio_charlstm_v1", FROZEN / "__init__.py", submodule_search_locations=[str(FROZEN)]
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules["studio_charlstm_v1"] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    path = tmp_path / "fox.txt"
    path.write_text(TEXT, encoding="utf-8")
    return path


def test_an_api_1_plugin_trains_and_generates_unchanged(tmp_path: Path, corpus: Path) -> None:
    studio = Harness(tmp_path, {"charlstm": frozen_example()})
    params = {"seq_len": 16, "embed": 8, "hidden": 32, "layers": 1, "batch_size": 8, "lr": 0.01}
    params.update(steps=40, eval_every=20, preview_every=20, checkpoint_every=20)
    trained = studio.train("charlstm", data=corpus, params=params).check()
    losses = trained.metric("loss/val")
    assert trained.metric_steps("loss/val") == [20, 40] and losses[1] < losses[0]
    assert len(trained.checkpoints) == 2 and trained.step == 40
    assert len(trained.previews) == 2
    written = studio.generate(
        "charlstm", model=trained.model, prompt="the ", seed=7, count=2, params={"length": 30}
    ).check()
    assert [len(t) for t in written.texts] == [30, 30]
    assert "".join(c.text for c in written.chunks if c.index == 0) == written.texts[0]
    assert len([p for p in written.outputs if p.suffix == ".txt"]) == 2
    # The same seed again gives the same text: any sample can be remade.
    again = studio.generate(
        "charlstm", model=trained.model, prompt="the ", seed=8, params={"length": 30}
    )
    assert again.texts == written.texts[1:]


def test_a_failed_job_is_reported_not_raised(tmp_path: Path) -> None:
    studio = Harness(tmp_path, {"charlstm": frozen_example()})
    short = tmp_path / "short.txt"
    short.write_text("tiny", encoding="utf-8")
    refused = studio.train("charlstm", data=short, params={"steps": 2})
    assert not refused.ok and refused.failure is not None and refused.failure.user_error
    with pytest.raises(AssertionError, match="lower seq_len"):
        refused.check()


def test_a_plugin_that_fails_to_load_is_named(tmp_path: Path) -> None:
    broken = types.ModuleType("studio_broken_harness")  # no STUDIO_API_VERSION
    with pytest.raises(AssertionError, match="plugin 'broken' did not load"):
        Harness(tmp_path, {"broken": broken})


class _ModeProbe(Trainer):
    """Records whether the model was in training mode during each call."""

    def __init__(self, model: ModelHandle, data: TrainData) -> None:
        import torch

        self.module = model.module
        self.module[1].eval()  # frozen by the trainer: must stay so after evaluate and preview
        self.data = data
        self.seen: dict[str, list[bool]] = {"step": [], "evaluate": [], "preview": []}
        self.optimizer = torch.optim.SGD(self.module.parameters(), lr=0.1)

    def step(self, batch, step):
        self.seen["step"].append(self.module.training)
        loss = self.module(batch).pow(2).mean()
        self.optimizer.zero_grad()
        loss.backward()
        self.optimizer.step()
        return {"loss/train": loss.item(), "mode/frozen_training": float(self.module[1].training)}

    def evaluate(self):
        self.seen["evaluate"].append(self.module.training or self.module[0].training)
        return {"mode/eval_training": float(self.module.training)}

    def preview(self, step):
        self.seen["preview"].append(self.module.training or self.module[0].training)
        return [TextChunk(self.data.metadata["greeting"], 0, step)]


class _ModeGenerator(Generator):
    id = "modeprobe"
    name = "Mode probe (test)"
    modality = "text"
    train_params = Schema([Param("width", "int", 4, minimum=1)])
    loop_defaults: ClassVar[dict[str, int]] = {"batch_size": 4}
    trainers: ClassVar[list[_ModeProbe]] = []

    def load_data(self, source, params, model, report):
        import torch

        report.use(source)
        rows = [torch.full((params["width"],), float(i)) for i in range(8)]
        return TrainData(train=rows, report=report, metadata={"greeting": "hello"})

    def create_model(self, params, data):
        import torch

        module = torch.nn.Sequential(torch.nn.Linear(params["width"], 4), torch.nn.Dropout(0.5))
        module[1].eval()  # frozen by the plugin: must stay as it was after evaluate/preview
        return ModelHandle(
            module, {"width": params["width"], "greeting": data.metadata["greeting"]}
        )

    def load_model(self, config, assets):
        return self.create_model(config, TrainData([], None, metadata={"greeting": "hi"}))

    def create_trainer(self, model, data, params, context):
        trainer = _ModeProbe(model, data)
        self.trainers.append(trainer)
        return trainer


@hookimpl
def register_generators():
    return [_ModeGenerator()]


def test_engine_switches_eval_mode_around_evaluate_and_preview(tmp_path: Path) -> None:
    plugin = types.ModuleType("studio_modeprobe")
    plugin.STUDIO_API_VERSION = 1
    plugin.register_generators = register_generators
    studio = Harness(tmp_path, {"modeprobe": plugin})
    data = tmp_path / "anything.txt"
    data.write_text("x", encoding="utf-8")
    params = {"steps": 4, "eval_every": 2, "preview_every": 2, "checkpoint_every": 4}
    trained = studio.train("modeprobe", data=data, params=params).check()
    seen = _ModeGenerator.trainers[-1].seen
    assert seen["step"] == [True] * 4  # training mode for every step, also after evaluation
    assert seen["evaluate"] == [False, False] and seen["preview"] == [False, False]
    assert trained.metric("mode/eval_training") == [0.0, 0.0]
    # A sub-module the plugin had frozen in eval mode is left as it was.
    assert trained.metric("mode/frozen_training") == [0.0] * 4
    # The data's metadata reached create_model, and the preview.
    assert [p.text for p in trained.previews] == ["hello", "hello"]
