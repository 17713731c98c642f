"""The Runs view shows a run's voice report: figures per model, warnings and the samples."""

from __future__ import annotations

from pathlib import Path

from studio.engine import Finished, TrainJob, VoiceReportJob


def _run(job) -> Finished:
    events = list(job.run())
    assert isinstance(events[-1], Finished), events[-1]
    return events[-1]


def test_runs_view_shows_the_voice_report(qtbot, window, tmp_path: Path) -> None:
    text = tmp_path / "novel.txt"
    text.write_text("she wrote the names of the boats in the book at night " * 120)
    session = window.session
    _run(
        TrainJob(
            session.host,
            session.home,
            "tinychar",
            data=text,
            name="voice",
            params={"steps": 6, "hidden": 16},
        )
    )
    report = _run(VoiceReportJob(session.host, session.home, "voice", data=text, prompts=2))
    window.tabs.setCurrentWidget(window.runs_view)
    window.runs_view.refresh()
    window.runs_view.select("voice")
    view = window.runs_view.voice
    assert view.isVisible()
    assert view.table.rowCount() == 1
    assert view.table.item(0, 0).text() == "voice"
    assert view.table.item(0, 1).text() == "not measured"
    rate = report.result["figures"]["copy_rate/voice"]
    assert view.table.item(0, 2).text() == f"{rate:.1%}"
    shown = view.samples.toPlainText()
    assert "Real continuation" in shown and "Prompt 2" in shown
