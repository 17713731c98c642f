"""Parameter forms built from schemas: every kind, inline validation, tooltips."""

from __future__ import annotations

import pytest

from studio.api import Param, ParamError, Schema
from studio.ui.views.param_form import ParamForm

SCHEMA = Schema(
    [
        Param("steps", "int", 100, "optimisation steps", minimum=1, maximum=1000),
        Param("lr", "float", 3e-4, "learning rate", minimum=1e-7, maximum=1.0, log_scale=True),
        Param("temperature", "float", 0.8, "randomness", minimum=0.0, maximum=5.0),
        Param("cache", "bool", True, "reuse keys"),
        Param("preset", "choice", "small", "size", choices=("tiny", "small", "base")),
        Param("stop", "str", "", "stop text"),
        Param("width", "int", None, "width (empty: preset's)", minimum=1, optional=True),
        Param("vocab", "path", None, "a vocabulary file", optional=True, advanced=True),
    ]
)


def test_form_round_trips_every_kind(qtbot) -> None:
    form = ParamForm(SCHEMA)
    qtbot.addWidget(form)
    assert form.values() == SCHEMA.defaults()
    assert form.errors() == {}
    form.set_values(
        {
            "steps": 7,
            "lr": 0.01,
            "cache": False,
            "preset": "tiny",
            "stop": "\n\n",
            "width": 64,
            "temperature": 1.5,
        }
    )
    values = form.values()
    assert values["steps"] == 7 and values["lr"] == 0.01 and values["cache"] is False
    assert values["preset"] == "tiny" and values["stop"] == "\n\n" and values["width"] == 64
    assert values["temperature"] == 1.5
    assert "learning rate" in form.editors["lr"].toolTip()
    assert "log scale" in form.editors["lr"].toolTip()


def test_invalid_input_is_shown_inline(qtbot) -> None:
    form = ParamForm(SCHEMA)
    qtbot.addWidget(form)
    form.show()
    form.editors["lr"].setText("fast")
    errors = form.errors()
    assert "lr" in errors and "expected a number" in errors["lr"]
    # Outlined, and explained in the one line under the form.
    assert form.editors["lr"].property("invalid") is True
    assert "Lr: expected a number" in form.summary.text()
    with pytest.raises(ParamError):
        form.values()
    form.editors["lr"].setText("2.0")  # above the maximum
    assert "above the maximum" in form.errors()["lr"]
    form.editors["lr"].setText("1e-3")
    assert form.errors() == {} and form.summary.text() == ""
    assert form.editors["lr"].property("invalid") is False


def test_whole_number_choices_are_a_combo_and_rules_show_beside_their_field(qtbot) -> None:
    from PySide6.QtWidgets import QComboBox

    from studio.api import Rule

    schema = Schema(
        [
            Param("side", "int", 64, "image side", choices=(32, 64, 128)),
            Param("width", "int", 64, "width", minimum=1, maximum=512),
            Param("heads", "int", 4, "heads", minimum=1, maximum=64),
        ],
        [Rule("width", lambda v: None if v["width"] % v["heads"] == 0 else "not divisible")],
    )
    form = ParamForm(schema)
    qtbot.addWidget(form)
    side = form.editors["side"]
    assert isinstance(side, QComboBox)
    assert [side.itemText(i) for i in range(side.count())] == ["32", "64", "128"]
    side.setCurrentText("128")
    assert form.values()["side"] == 128
    form.set_values({"heads": 5})
    assert form.errors() == {"width": "not divisible"}
    assert form.summary.text() == "Width: not divisible"
    assert form.editors["width"].property("invalid") is True
    with pytest.raises(ParamError, match="parameter 'width': not divisible"):
        form.values()
    form.set_values({"heads": 8})
    assert form.errors() == {}
    assert form.summary.text() == ""


def test_the_layout_keeps_its_height_as_errors_come_and_go(qtbot) -> None:
    form = ParamForm(SCHEMA)
    qtbot.addWidget(form)
    form.show()
    qtbot.waitExposed(form)
    before = form.sizeHint().height(), form.editors["cache"].geometry().top()
    form.editors["lr"].setText("fast")
    form.editors["stop"].setText("x" * 10)
    assert form.errors()
    assert (form.sizeHint().height(), form.editors["cache"].geometry().top()) == before
    form.editors["lr"].setText("1e-3")
    assert (form.sizeHint().height(), form.editors["cache"].geometry().top()) == before


def test_the_mouse_wheel_leaves_an_unfocused_field_alone(qtbot) -> None:
    from PySide6.QtCore import QPoint, QPointF, Qt
    from PySide6.QtGui import QWheelEvent
    from PySide6.QtWidgets import QApplication

    form = ParamForm(SCHEMA)
    qtbot.addWidget(form)
    form.show()
    qtbot.waitExposed(form)

    def wheel(widget) -> None:
        centre = QPointF(widget.rect().center())
        event = QWheelEvent(
            centre,
            QPointF(widget.mapToGlobal(centre.toPoint())),
            QPoint(0, 0),
            QPoint(0, -120),
            Qt.MouseButton.NoButton,
            Qt.KeyboardModifier.NoModifier,
            Qt.ScrollPhase.NoScrollPhase,
            False,
        )
        QApplication.sendEvent(widget, event)

    combo, spin = form.editors["preset"], form.editors["steps"]
    wheel(combo)
    wheel(spin)
    assert combo.currentText() == "small" and spin.value() == 100
    combo.setFocus()
    qtbot.waitUntil(combo.hasFocus)
    wheel(combo)
    assert combo.currentText() == "base"  # clicked into, the wheel works as usual


def test_fields_that_do_not_apply_are_hidden(qtbot, host) -> None:
    from studio.engine import training_schema

    form = ParamForm(training_schema(host.generator("vae")))
    qtbot.addWidget(form)
    form.show()
    assert form.editors["architecture"].currentText() == "conv"
    assert not form.editors["hidden"].isVisible() and form.editors["width"].isVisible()
    form.editors["architecture"].setCurrentText("mlp")
    assert form.editors["hidden"].isVisible() and not form.editors["width"].isVisible()
    assert not form.shown("width") and form.shown("hidden")
    assert form.values()["hidden"] == 400  # hidden fields still pass their values


def test_every_built_in_parameter_has_a_label_for_people(host) -> None:
    from studio.engine import training_schema

    for generator_id in ("gpt", "vae", "dcgan", "fastgan", "lm"):
        generator = host.generator(generator_id)
        for schema in (generator.generate_params, training_schema(generator)):
            unlabelled = [p.name for p in schema if not p.label]
            assert unlabelled == [], (generator_id, unlabelled)
    assert training_schema(host.generator("gpt"))["lr"].title == "Learning rate"
    assert training_schema(host.generator("gpt"))["n_embd"].title == "Embedding width"


def test_a_float_keeps_every_decimal_of_its_default_and_bounds(qtbot) -> None:
    """0.999 (an Adam beta, an EMA decay) shown with two decimals was sent back as 1.0."""
    schema = Schema(
        [
            Param("decay", "float", 0.999, "moving-average decay", minimum=0.0, maximum=0.99999),
            Param("p", "float", 0.5, "a probability", minimum=0.0, maximum=1.0),
        ]
    )
    form = ParamForm(schema)
    qtbot.addWidget(form)
    assert form.values() == {"decay": 0.999, "p": 0.5}
