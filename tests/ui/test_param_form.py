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
