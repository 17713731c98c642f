"""Parameter schemas validate input with messages that name the parameter."""

from __future__ import annotations

import pytest

from studio.api import Param, ParamError, Schema, parse_assignments

SCHEMA = Schema(
    [
        Param("steps", "int", 10, "how many", minimum=1, maximum=100),
        Param("lr", "float", 0.01, "rate", minimum=0.0, maximum=1.0, log_scale=True),
        Param("fused", "bool", False),
        Param("mode", "choice", "sample", choices=("sample", "interpolate")),
        Param("stop", "str", "", optional=True),
    ]
)


def test_defaults_and_coercion_from_command_line_text() -> None:
    assert SCHEMA.validate({}) == {
        "steps": 10,
        "lr": 0.01,
        "fused": False,
        "mode": "sample",
        "stop": "",
    }
    values = SCHEMA.validate(
        parse_assignments(["steps=20", "lr=1e-3", "fused=yes", "mode=interpolate", "stop=none"])
    )
    assert values == {"steps": 20, "lr": 0.001, "fused": True, "mode": "interpolate", "stop": None}


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"steps": 0}, "parameter 'steps': 0 is below the minimum 1"),
        ({"steps": "ten"}, "parameter 'steps': expected a whole number, got 'ten'"),
        ({"steps": 2.5}, "parameter 'steps': expected a whole number"),
        ({"lr": "nan"}, "parameter 'lr': expected a finite number"),
        ({"lr": 2}, "parameter 'lr': 2.0 is above the maximum 1"),
        ({"fused": "maybe"}, "parameter 'fused': expected true or false"),
        ({"mode": "dream"}, "parameter 'mode': 'dream' is not one of sample, interpolate"),
        ({"colour": 1}, "parameter 'colour': unknown parameter (known: steps, lr"),
        ({"steps": True}, "parameter 'steps': expected a whole number"),
    ],
)
def test_bad_values_name_the_parameter(values: dict, message: str) -> None:
    with pytest.raises(ParamError) as caught:
        SCHEMA.validate(values)
    assert message in str(caught.value)


def test_schema_refuses_bad_declarations() -> None:
    with pytest.raises(ParamError):
        Param("n", "int", 0, minimum=1)  # a default outside its own range
    with pytest.raises(ValueError, match="declared twice"):
        Schema([Param("a", "int", 1), Param("a", "int", 2)])
    with pytest.raises(ValueError, match="needs choices"):
        Param("m", "choice", "x")
    with pytest.raises(ParamError, match="expected KEY=VALUE"):
        parse_assignments(["novalue"])


def test_with_defaults_and_json() -> None:
    changed = SCHEMA.with_defaults({"steps": 50})
    assert changed["steps"].default == 50 and SCHEMA["steps"].default == 10
    described = {p["name"]: p for p in SCHEMA.to_json()}
    assert described["lr"]["log_scale"] is True
    assert described["mode"]["choices"] == ["sample", "interpolate"]
    assert described["steps"]["minimum"] == 1
