"""The window's job table, driven by events alone (no Qt), as krita-ai-diffusion tests its model."""

from __future__ import annotations

from pathlib import Path

from studio.engine import Cancelled, Failed, Finished, Progress, Started, TrainResult
from studio.ui.models.jobs import JobTable


def test_records_follow_their_jobs_events() -> None:
    table = JobTable()
    seen: list[tuple[int, str]] = []
    table.subscribe(lambda record: seen.append((record.id, record.state)))
    table.add(1, "train", "Train gpt")
    table.add(2, "datacheck", "Check data", device=False)
    assert [r.state for r in table] == ["queued", "queued"]
    table.apply(1, [Started("train", "Train gpt", run_dir=Path("/runs/a")), Progress(3, 10, 4.0)])
    record = table.get(1)
    assert (record.state, record.done, record.total, record.eta_seconds) == ("running", 3, 10, 4.0)
    assert record.run == Path("/runs/a")
    result = TrainResult(Path("/runs/a"), Path("/runs/a/c"), Path("/models/a"), 10)
    table.apply(1, [Progress(10, 10, 0.0), Finished(result)])
    assert record.state == "done" and record.result.step == 10 and record.eta_seconds is None
    assert record.result["step"] == 10  # key access, as when results were dictionaries
    table.apply(2, [Started("datacheck", "Check data"), Failed("no such folder")])
    assert table.get(2).state == "failed" and table.get(2).failure.message == "no such folder"
    assert seen[:2] == [(1, "queued"), (2, "queued")] and seen[-1] == (2, "failed")
    assert table.apply(99, [Cancelled()]) is None  # unknown jobs change nothing


def test_cancelled_keeps_its_step_and_clears_the_eta() -> None:
    table = JobTable()
    table.add(1, "train", "Train")
    table.apply(1, [Started("train", "Train"), Progress(47, 100, 3600.0), Cancelled(step=47)])
    record = table.get(1)
    assert (record.state, record.stopped_at, record.eta_seconds) == ("cancelled", 47, None)


def test_the_device_queue_reorders_without_touching_the_rest() -> None:
    table = JobTable()
    for job_id in (1, 2, 3, 4):
        table.add(job_id, "train", f"Train {job_id}")
    table.add(5, "datacheck", "Check", device=False)
    table.apply(1, [Started("train", "Train 1")])
    assert [r.id for r in table.waiting()] == [2, 3, 4]
    table.reorder([4, 2, 3])
    assert [r.id for r in table.waiting()] == [4, 2, 3]
    assert [r.id for r in table] == [1, 4, 2, 3, 5]
    assert [r.id for r in table.waiting(device=False)] == [5]


def test_a_side_lane_counts_the_jobs_ahead_of_each() -> None:
    from studio.ui.views.jobs_panel import describe_state

    table = JobTable()
    table.add(1, "train", "Train")  # the device queue is not a lane
    table.add(2, "import", "Import a", device=False, lane="import")
    table.add(3, "datacheck", "Check", device=False, lane="side")
    table.add(4, "import", "Import b", device=False, lane="import")
    assert [table.ahead_in_lane(table.get(i)) for i in (1, 2, 3, 4)] == [0, 0, 0, 1]
    assert describe_state(table.get(4), None, 1) == "waiting beside"
    table.apply(2, [Started("import", "Import a"), Finished(None)])
    assert table.ahead_in_lane(table.get(4)) == 0
    assert describe_state(table.get(4), None, 0) == "starting"
