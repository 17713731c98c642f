"""How often the window does work while a model trains: curve frames and event deliveries."""

from __future__ import annotations

import pytest
from ui_support import shown_curves

from studio.engine.events import TERMINAL, Progress
from studio.ui.coalesce import INTERVAL, TRAINING_INTERVAL
from studio.ui.views.curves import REDRAW_MS, SLOWEST_MS, CurvesView, frame_interval_ms

# Not about isolation: the test plugin's jobs run in-process here (see conftest).
pytestmark = pytest.mark.usefixtures("in_process_jobs")


def test_frames_are_paced_by_their_cost() -> None:
    assert frame_interval_ms(0.0) == REDRAW_MS  # cheap frames: as often as allowed
    assert frame_interval_ms(0.001) == REDRAW_MS
    slow = frame_interval_ms(0.006)
    assert REDRAW_MS < slow < SLOWEST_MS  # costly frames come less often
    assert frame_interval_ms(1.0) == SLOWEST_MS  # but never less than once a second


def test_hidden_curves_wait_until_shown(qtbot) -> None:
    view = CurvesView()
    qtbot.addWidget(view)
    view.show()
    qtbot.waitExposed(view)
    view.store.add(1, {"loss/train": 2.0})
    qtbot.waitUntil(lambda: view.point_count("loss/train") == 1, timeout=5000)
    view.hide()
    for step in range(2, 12):
        view.store.add(step, {"loss/train": 2.0 / step})
    drawn = view.redraws
    qtbot.wait(3 * REDRAW_MS)
    assert view.redraws == drawn and view.point_count("loss/train") == 1
    view.show()  # what arrived while hidden is drawn on show, without waiting for the timer
    assert view.point_count("loss/train") == 11


def test_training_deliveries_are_slower_than_generation(window, corpus, qtbot) -> None:
    window.session.set_generator("tinychar")
    seen: list[float] = []
    worker = window.session.worker

    def record(_job: int, events: list) -> None:
        # A batch that ends the job is delivered after the worker went back to the generation
        # pace: only the batches that came while it trained say what that pace was.
        if any(isinstance(e, Progress) for e in events) and not any(
            isinstance(e, TERMINAL) for e in events
        ):
            seen.append(worker.buffer.interval)

    window.session.events.connect(record)
    # Long enough to be delivered in several batches on any machine; cancelled once it was.
    job = window.session.train(corpus, {"steps": 100_000, "checkpoint_every": 100_000})
    qtbot.waitUntil(lambda: len(seen) >= 2, timeout=60_000)
    window.session.cancel(job)
    qtbot.waitUntil(lambda: job in window.ended, timeout=60_000)
    assert set(seen) == {TRAINING_INTERVAL}
    # Back to the generation pace once it ended (the worker resets it after the last event).
    qtbot.waitUntil(lambda: worker.buffer.interval == INTERVAL, timeout=5000)


def test_a_frame_costs_its_redraw_and_its_paint(qtbot) -> None:
    """Pacing counts the painting a frame causes (most of its cost), not only the redraw."""
    view = shown_curves(qtbot, 700, 400)
    paints: list[float] = []
    for step in range(1, 30):
        view.store.add(step, {"loss/train": 2.0 / step, "lr/lr": 1e-3})
        qtbot.wait(REDRAW_MS // 2)
        paints.append(view.frame_paint_cpu)
    assert view.redraws >= 3
    assert max(paints) > 0  # painting the plots was measured and charged to the frames
    assert view.frame_cpu > 0


def test_a_long_curve_draws_about_two_points_per_pixel_column(qtbot) -> None:
    """Every point is kept, but a frame draws each pixel column's min and max, not 5000 points."""
    view = shown_curves(qtbot, 600, 400)
    total = 5000
    view.set_total_steps(total)
    for step in range(1, total + 1):
        view.store.add(step, {"loss/train": 2.0 + (step % 7) / 10})
    view.redraw()
    curve = view.curves["loss/train"]
    columns = curve.getViewBox().width()
    drawn, _ = curve.getData()
    assert view.point_count("loss/train") == total
    assert 0 < len(drawn) <= 2 * columns + 4


def test_a_one_point_starting_figure_is_drawn_as_a_marker(qtbot) -> None:
    """lm's base-model bits per byte arrives once, before step 1: a marker, not an empty line."""
    view = CurvesView()
    qtbot.addWidget(view)
    view.show()
    qtbot.waitExposed(view)
    view.store.add(1, {"bits_per_byte/base": 1.78, "bits_per_byte/val": 1.77})
    qtbot.waitUntil(lambda: view.point_count("bits_per_byte/val") == 1, timeout=5000)
    view.store.add(2, {"bits_per_byte/val": 1.75})
    qtbot.waitUntil(lambda: view.point_count("bits_per_byte/val") == 2, timeout=5000)
    assert view.curves["bits_per_byte/base"].opts["symbol"] == "o"
    assert view.curves["bits_per_byte/val"].opts["symbol"] is None  # a line again
