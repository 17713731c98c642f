"""Image quality in the window: the KID curve and the memorisation view, in Train and Runs."""

from __future__ import annotations

from pathlib import Path

from images.corpus import write_folder

from studio.engine.evaluation import EvaluateJob
from studio.engine.events import Finished, Metric, SampleEvent
from studio.engine.train.job import TrainJob

TINY = {
    "resolution": 32,
    "latent": 8,
    "g_width": 4,
    "d_width": 4,
    "batch_size": 4,
    "cache_mb": 8,
    "preview_count": 4,
    "steps": 4,
    "preview_every": 2,
    "eval_every": 2,
}


def test_kid_curve_and_nearest_view_in_train_and_runs(qtbot, window, tmp_path) -> None:
    data = write_folder(tmp_path / "pics", 6)
    home, host = window.session.home, window.session.host
    events = list(TrainJob(host, home, "dcgan", data=data, params=TINY).run())
    assert isinstance(events[-1], Finished), events[-1]
    run_name = Path(events[-1].result["run"]).name

    # Train: the run's own events, as the worker delivers them.
    train = window.train_view
    for event in events:
        if isinstance(event, (Metric, SampleEvent)):
            train.handle(event)
    assert train.store.series["KID/kid"].steps.tolist() == [2, 4]
    train.curves.redraw()
    assert train.curves.point_count("KID/kid") == 2
    assert (
        train.nearest.image is not None
        and "nearest training images" in train.nearest.caption.text()
    )
    assert train.previews.count() == 2  # the grids; the memorisation views went to their pane

    # Runs: the latest preview's memorisation view, then an evaluation's, with its KID.
    runs = window.runs_view
    window.tabs.setCurrentWidget(runs)
    runs.refresh()
    runs.select(run_name)
    assert runs.nearest.caption.text() == "preview at step 4"
    assert runs.nearest.image is not None and runs.nearest.image.width() > 64
    runs.curves.redraw()
    assert runs.curves.point_count("KID/kid") == 2
    done = list(EvaluateJob(host, home, run_name, data=data, params={"count": 12}).run())
    assert isinstance(done[-1], Finished), done[-1]
    runs.select(run_name)
    assert runs.nearest.caption.text().startswith("evaluation of step 4: KID ")
    assert runs.nearest.image is not None
