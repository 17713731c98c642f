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
    assert form.messages["lr"].isVisible()
    with pytest.raises(ParamError):
        form.values()
    form.editors["lr"].setText("2.0")  # above the maximum
    assert "above the maximum" in form.errors()["lr"]
    form.editors["lr"].setText("1e-3")
    assert form.errors() == {} and not form.messages["lr"].isVisible()


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
    assert form.messages["width"].text() == "not divisible"
    with pytest.raises(ParamError, match="parameter 'width': not divisible"):
        form.values()
    form.set_values({"heads": 8})
    assert form.errors() == {}
    assert form.messages["width"].isHidden()


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
