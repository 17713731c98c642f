"""Measuring a generator's defaults on this machine: real steps, nothing left behind."""

from __future__ import annotations

import pytest

from studio.engine import CalibrationJob, CalibrationResult, Failed, Finished, training_schema


@pytest.mark.parametrize("generator_id", ["tinychar", "tinypix"])
def test_calibration_times_real_steps_of_the_defaults(host, home, generator_id) -> None:
    events = list(CalibrationJob(host, generator_id, "cpu").run())
    assert isinstance(events[-1], Finished), events[-1]
    result = events[-1].result
    assert isinstance(result, CalibrationResult) and result.generator == generator_id
    steps = training_schema(host.generator(generator_id)).defaults()["steps"]
    assert result.default_steps == steps
    assert result.estimate_seconds == pytest.approx(result.seconds_per_step * steps)
    assert 0 < result.seconds_per_step < 30
    assert not list(home.runs.iterdir()) and not list(home.models.iterdir())


def test_a_generator_that_fails_to_train_says_so(host) -> None:
    job = CalibrationJob(host, "no-such-generator", "cpu")
    events = list(job.run())
    assert isinstance(events[-1], Failed) and "no-such-generator" in events[-1].message
