"""The Qt-free pieces behind the window: coalescing, curves, history, start-up, data check."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest

from studio.api import DataError, TextChunk
from studio.engine.datacheck import check_data
from studio.engine.events import Finished, Metric, Progress, SampleEvent, Started
from studio.engine.home import Home
from studio.ui.coalesce import EventBuffer
from studio.ui.models.curves import CurveStore, Smoother, smooth
from studio.ui.models.history import HistoryEntry, PromptHistory
from studio.ui.startup import begin_start, display_problem, end_start

# Not about isolation: the test plugin's jobs run in-process here (see conftest).
pytestmark = pytest.mark.usefixtures("in_process_jobs")


def test_buffer_keeps_every_metric_and_the_latest_progress() -> None:
    buffer = EventBuffer(interval=60)
    buffer.add(1, Started("train", "Train"))
    buffer.take()  # starts the interval: nothing is due for a minute
    for step in range(1, 101):
        due = buffer.add(1, Metric(step, {"loss/train": 1.0 / step}))
        due |= buffer.add(1, Progress(step, 100))
        assert not due
    taken = buffer.take()
    metrics = [e for _, e in taken if isinstance(e, Metric)]
    progress = [e for _, e in taken if isinstance(e, Progress)]
    assert [m.step for m in metrics] == list(range(1, 101))
    assert [(p.done, p.total) for p in progress] == [(100, 100)]
    assert buffer.take() == []


def test_buffer_joins_text_chunks_and_lets_urgent_events_through() -> None:
    buffer = EventBuffer(interval=60)
    buffer.add(3, Metric(0, {}))
    buffer.take()
    assert buffer.add(3, Started("generate", "Generate"))  # urgent
    buffer.take()
    for ch in "hello":
        buffer.add(3, SampleEvent(TextChunk(ch, 0, 5), final=False))
    buffer.add(3, SampleEvent(TextChunk("x", 1, 6), final=False))
    assert buffer.add(3, Finished({}))
    events = [e for _, e in buffer.take()]
    assert [e.sample.text for e in events[:2]] == ["hello", "x"]
    assert isinstance(events[2], Finished)


def test_buffer_is_due_after_its_interval() -> None:
    buffer = EventBuffer(interval=0.02)
    buffer.add(1, Started("train", "Train"))
    buffer.take()
    assert not buffer.add(1, Metric(1, {"a": 1.0}))
    assert buffer.take(only_if_stale=True) == []
    time.sleep(0.03)
    assert len(buffer.take(only_if_stale=True)) == 1


def test_curve_store_groups_by_prefix_and_grows() -> None:
    store = CurveStore()
    for step in range(1, 3001):
        values = {"loss/train": 3000.0 - step, "lr/lr": 0.1}
        if step % 100 == 0:
            values["loss/val"] = 1.0
        store.add(step, values)
    assert store.groups() == {"loss": ["loss/train", "loss/val"], "lr": ["lr/lr"]}
    assert store.count("loss/train") == 3000 and store.count("loss/val") == 30
    assert store.series["loss/train"].steps[-1] == 3000


def test_incremental_smoothing_matches_the_whole_computation() -> None:
    values = np.random.default_rng(0).normal(size=500)
    smoother = Smoother()
    smoother.update(values[:123], 0.9)
    np.testing.assert_allclose(smoother.update(values, 0.9), smooth(values, 0.9))
    assert smooth(values, 0.0) is values


def test_history_persists_and_searches(tmp_path: Path) -> None:
    history = PromptHistory.in_home(Home(tmp_path))
    history.add(HistoryEntry("gpt", "Once upon a time", "there was a fox", seed=1))
    history.add(HistoryEntry("gpt", "Dear diary", "today it rained", seed=2))
    history.add(HistoryEntry("other", "Once more", "", seed=3))
    again = PromptHistory.in_home(Home(tmp_path))
    assert [e.seed for e in again.entries] == [3, 2, 1]
    assert [e.seed for e in again.search("ONCE", "gpt")] == [1]
    assert [e.seed for e in again.search("rained")] == [2]


@pytest.mark.parametrize(
    ("env", "ok"),
    [
        ({}, False),
        ({"DISPLAY": ":0"}, True),
        ({"WAYLAND_DISPLAY": "wayland-0"}, True),
        ({"QT_QPA_PLATFORM": "offscreen"}, True),
        ({"QT_QPA_PLATFORM": "xcb"}, False),
        ({"QT_QPA_PLATFORM": "wayland", "DISPLAY": ":0"}, False),
    ],
)
def test_display_problem(env: dict[str, str], ok: bool) -> None:
    problem = display_problem(env, "linux")
    assert (problem is None) == ok
    if problem:
        assert "xvfb-run" in problem
    assert display_problem({}, "darwin") is None


def test_start_marker_flags_a_crashed_start(tmp_path: Path) -> None:
    assert begin_start(Home(tmp_path).start_marker) is False
    # No end_start: this start "crashed". The next one sees the marker.
    assert begin_start(Home(tmp_path).start_marker) is True
    end_start(Home(tmp_path).start_marker)
    assert begin_start(Home(tmp_path).start_marker) is False


def test_check_data_reports_without_training(host, tmp_path: Path) -> None:
    folder = tmp_path / "texts"
    folder.mkdir()
    (folder / "good.txt").write_text("hello world, hello studio. " * 10, encoding="utf-8")
    (folder / "bad.txt").write_bytes(b"\xff\xfe\x00bad bytes \xff")
    report = check_data(host, "tinychar", folder)
    assert [Path(p).name for p in report.used] == ["good.txt"]
    assert [(Path(s.path).name, s.reason[:9]) for s in report.skipped] == [("bad.txt", "not UTF-8")]
    assert report.stats["examples"] > 0
    with pytest.raises(DataError):
        check_data(host, "tinychar", tmp_path / "missing")
    assert not any((tmp_path / "home").glob("runs/*"))


def test_binding_check_is_quiet_on_the_tested_binding_and_names_a_leaky_one(qapp) -> None:
    import sys

    import PySide6

    from studio.ui.binding_check import binding_warning, lost_references, warning_for

    # The binding pyproject.toml pins keeps its counts: no warning at start-up.
    assert lost_references() == (0, 0)
    assert binding_warning() is None
    # What 6.12.0 measured: one reference to None and one to True per signal.
    message = warning_for((16, 16), "6.12.0")
    if sys.version_info >= (3, 12):
        assert message is None
    else:
        assert "PySide6 6.12.0 loses references" in message and "<6.12" in message
    assert warning_for((0, 0), PySide6.__version__) is None


def test_range_keeper_changes_rarely() -> None:
    from studio.ui.models.curves import RangeKeeper

    keeper = RangeKeeper(headroom=0.1, shrink_below=0.4)
    # Data that never go below zero get no axis below zero; others get headroom both ways.
    assert keeper.update(0.0, 10.0) == pytest.approx((0.0, 11.0))
    assert RangeKeeper(headroom=0.1).update(-2.0, 8.0) == pytest.approx((-3.0, 9.0))
    changes = sum(keeper.update(0.0, 10.0 - i * 0.01) is not None for i in range(100))
    assert changes == 0  # the data stay inside and fill most of the range
    assert keeper.update(0.0, 12.0) is not None  # grows past the data
    assert keeper.update(4.0, 4.5) is not None  # shrinks once the data fill little of it
    assert keeper.update(float("nan"), 1.0) is None
