"""One place validates parameters: the schema. Integer choices, rules across fields and the
request's count are refused with the same message by the schema, the command line and the job,
and nothing is written to disk before they pass."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from studio.api import Param, ParamError, Rule, Schema
from studio.engine.events import Failed
from studio.engine.generation import GenerateJob
from studio.engine.train.loop_params import training_schema

SIZES = Schema(
    [
        Param("side", "int", 64, "image side", choices=(32, 64, 128)),
        Param("width", "int", 64, minimum=1),
        Param("heads", "int", 4, minimum=1),
    ],
    [Rule("width", lambda v: None if v["width"] % v["heads"] == 0 else "not divisible")],
)


def test_integer_choices_coerce_text_and_refuse_others() -> None:
    assert SIZES.validate({"side": "128"})["side"] == 128
    with pytest.raises(ParamError, match="parameter 'side': 48 is not one of 32, 64, 128"):
        SIZES.validate({"side": 48})
    assert SIZES["side"].to_json()["choices"] == [32, 64, 128]


def test_a_schema_cannot_declare_bad_choices() -> None:
    with pytest.raises(ValueError, match="whole-number choices"):
        Param("side", "int", 64, choices=("64",))
    with pytest.raises(ValueError, match="have choices"):
        Param("rate", "float", 0.5, choices=(0.5,))
    with pytest.raises(ParamError):
        Param("side", "int", 48, choices=(32, 64))  # a default outside its own choices


def test_rules_run_after_each_value_is_valid() -> None:
    with pytest.raises(ParamError, match="parameter 'width': not divisible"):
        SIZES.validate({"width": 66})
    # problems() lists field errors first; rules wait until every field is valid on its own.
    assert SIZES.problems({"width": 66}) == {"width": "not divisible"}
    assert SIZES.problems({"width": 66, "heads": 0}) == {"heads": "0 is below the minimum 1"}
    assert SIZES.problems({}) == {}


def test_rules_survive_adding_and_new_defaults() -> None:
    combined = SIZES.with_defaults({"heads": 5}) + Schema([Param("extra", "bool", False)])
    assert len(combined.rules) == 1
    with pytest.raises(ParamError, match="not divisible"):
        combined.validate({})  # 64 does not divide by the new default of 5


def test_a_rule_must_name_a_parameter_of_its_schema() -> None:
    with pytest.raises(ValueError, match="unknown parameter 'nope'"):
        Schema([Param("a", "int", 1)], [Rule("nope", lambda v: None)])


@pytest.mark.parametrize(
    ("generator_id", "values", "message"),
    [
        ("dcgan", {"resolution": 48}, "parameter 'resolution': 48 is not one of 32, 64, 128"),
        ("gpt", {"preset": "tiny", "n_head": 3}, "parameter 'n_embd': 64 is not divisible by"),
        ("vae", {"resolution": 30}, "parameter 'resolution': 30 is not a multiple of 4"),
    ],
)
def test_built_in_generators_declare_their_rules(host, generator_id, values, message) -> None:
    with pytest.raises(ParamError, match=message):
        training_schema(host.generator(generator_id)).validate(values)


def test_the_mlp_vae_takes_any_resolution(host) -> None:
    values = {"architecture": "mlp", "resolution": 30}
    assert training_schema(host.generator("vae")).validate(values)["resolution"] == 30


def test_refused_training_leaves_no_run_behind(env, studio_home: Path, tmp_path: Path) -> None:
    pictures = tmp_path / "pictures"
    pictures.mkdir()
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "studio",
            "train",
            "dcgan",
            "--data",
            str(pictures),
            "--set",
            "resolution=48",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2, result.stderr
    assert "parameter 'resolution': 48 is not one of 32, 64, 128" in result.stderr
    runs = studio_home / "runs"
    assert not runs.exists() or list(runs.iterdir()) == []


@pytest.mark.parametrize("count", [0, -3])
def test_generate_refuses_a_bad_count_before_writing(host, home, tmp_path, count) -> None:
    out = tmp_path / "out"
    job = GenerateJob(host, home, "tinychar", count=count, seed=1, out_dir=out)
    events = list(job.run())
    assert isinstance(events[-1], Failed) and events[-1].user_error
    assert events[-1].message == f"parameter 'count': {count} is below the minimum 1"
    assert not out.exists()
