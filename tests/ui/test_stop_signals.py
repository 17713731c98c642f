"""The window stops like the command line: SIGTERM and SIGHUP close it after saving a checkpoint."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest
from ui_support import train_slowly

from studio.engine import find_run


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP])
def test_a_stop_signal_closes_the_window_with_a_checkpoint(
    qtbot, window, corpus: Path, home, signum
) -> None:
    from PySide6.QtWidgets import QApplication

    from studio.ui.app import stop_window
    from studio.ui.stop_signals import StopSignals

    view = train_slowly(qtbot, window, corpus, steps=500, until=3)
    reasons: list[str] = []
    stops = StopSignals(
        QApplication.instance(),
        lambda reason: (reasons.append(reason), stop_window(window, reason)),
    )
    try:
        os.kill(os.getpid(), signum)  # a real signal, to this very process
        qtbot.waitUntil(lambda: not window.isVisible(), timeout=60_000)
    finally:
        stops.uninstall()
    assert reasons == [signal.Signals(signum).name]
    run = find_run(home.runs, str(view.run_dir))
    assert run.status == "cancelled" and run.info["step"] >= 3
    assert run.info["last_checkpoint"].endswith(f"step-{run.info['step']:07d}")
