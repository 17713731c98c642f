"""Generic guards over every generator the window offers (the built-ins and the test ones):
each parameter survives its widget unchanged, and each generator trains with its defaults."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import Qt
from support import tiny_lm
from ui_support import wait_job

from studio.api import Param, Schema
from studio.engine import Failed, training_schema
from studio.ui.views.param_form import ParamForm, decimals


def _schemas(host) -> list[tuple[str, Schema]]:
    found = []
    for generator_id, generator in sorted(host.generators.items()):
        found.append((f"{generator_id}/generate", generator.generate_params))
        found.append((f"{generator_id}/train", training_schema(generator)))
    return found


def test_the_guard_covers_the_built_ins_and_the_test_generators(host) -> None:
    assert {"gpt", "dcgan", "vae", "tinychar", "tinypix"} <= set(host.generators)


def test_every_parameter_of_every_generator_round_trips_through_its_widget(qtbot, host) -> None:
    for where, schema in _schemas(host):
        form = ParamForm(schema)
        qtbot.addWidget(form)
        assert form.errors() == {}, where
        assert form.values() == schema.defaults(), where
        for param in schema:
            if param.kind != "float":
                continue
            for value in (param.default, param.minimum, param.maximum):
                if value is None:
                    continue
                form.set_values({param.name: value})
                got = form.values()[param.name]
                assert got == value, f"{where}: {param.name} {value!r} came back as {got!r}"
        form.deleteLater()


def test_decimals_come_from_the_default_and_the_range() -> None:
    beta2 = Param("beta2", "float", 0.999, minimum=0.0, maximum=0.9999)
    assert decimals(beta2) == 4  # the maximum needs 4; a 2-decimal box showed 1.00
    assert decimals(Param("t", "float", 0.5, minimum=0.0, maximum=2.0)) == 2
    assert decimals(Param("v", "float", 0.05, minimum=0.0, maximum=0.5)) == 2
    assert decimals(Param("w", "float", 0.125, minimum=0.0, maximum=1.0)) == 3


def test_an_error_in_the_closed_advanced_group_is_shown_and_opens_it(qtbot) -> None:
    schema = Schema([Param("a", "int", 1), Param("far", "float", 0.5, maximum=1.0, advanced=True)])
    form = ParamForm(schema)
    qtbot.addWidget(form)
    form.show()
    form.editors["far"].setRange(0, 10)  # as if typed past the schema's maximum
    form.editors["far"].setValue(3.0)
    assert not form.advanced_toggle.isChecked()
    found = form.reveal_errors()
    assert "far" in found
    assert form.advanced_toggle.isChecked() and form.editors["far"].isVisible()
    assert "Far: 3.0 is above the maximum 1" in form.summary.text()
    assert form.editors["far"].property("invalid") is True


def _pictures(folder: Path, count: int = 64, size: int = 64) -> Path:
    folder.mkdir()
    rng = np.random.default_rng(0)
    for index in range(count):
        pixels = rng.integers(0, 256, (size, size, 3), dtype=np.uint8)
        Image.fromarray(pixels).save(folder / f"picture-{index:02d}.png")
    return folder


@pytest.mark.slow
def test_every_generator_trains_from_the_window_with_its_defaults(
    qtbot, window, corpus: Path, tmp_path: Path
) -> None:
    """Train with every default untouched, through the Train button, until a step is done."""
    import torch

    torch.set_num_threads(1)  # the defaults are real-sized models; one step each is enough
    pictures = _pictures(tmp_path / "pictures")
    view = window.train_view
    for generator_id, generator in sorted(window.session.host.generators.items()):
        window.session.set_generator(generator_id)
        if not generator.trains_from_scratch:
            # A generator that only fine-tunes a model the user brought (lm): Train says so and
            # waits for a model; with one imported and chosen, Train fine-tunes it.
            assert view.train_button.text() == "Fine-tune" and not view.train_button.isEnabled()
            assert "import a model" in view.train_button.toolTip()
            folder = tiny_lm.llama_folder(tmp_path / f"{generator_id}-base")
            wait_job(qtbot, window, window.model_import.submit(folder, "tiny"), timeout=60_000)
            window.session.set_model("tiny")
            assert view.train_button.isEnabled() and view.finetune_button.isHidden()
        check = view.dataset.set_path(corpus if generator.modality == "text" else pictures)
        checked = wait_job(qtbot, window, check, timeout=60_000)
        assert view.form.values() == training_schema(generator).defaults(), generator_id
        qtbot.mouseClick(view.train_button, Qt.MouseButton.LeftButton)
        job_id = view.job_id
        assert job_id is not None, f"{generator_id}: Train did nothing ({view.eta.text()})"
        qtbot.waitUntil(
            lambda j=job_id: view.progress.value() >= 1 or j in window.ended, timeout=120_000
        )
        view.cancel()
        event = wait_job(qtbot, window, job_id, timeout=120_000)
        if isinstance(checked, Failed) and checked.user_error:
            # A generator that only fine-tunes a model the user has (it cannot start from
            # nothing) says so, in its own words, in the data check and on Train alike.
            assert isinstance(event, Failed) and event.message == checked.message, event
            assert not view.failure_line.isHidden()
            continue
        assert not isinstance(event, Failed), f"{generator_id}: {event}"
