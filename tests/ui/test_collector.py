"""The window collects reference cycles on its own thread, and nowhere else, while it lives."""

from __future__ import annotations

import gc

from PySide6.QtWidgets import QWidget

from studio.ui.collector import UiThreadCollector


class Cycle:
    def __init__(self) -> None:
        self.me = self


def test_collection_moves_to_the_ui_thread_while_the_window_lives(qtbot) -> None:
    assert gc.isenabled()
    window = QWidget()
    collector = UiThreadCollector(window)
    assert not gc.isenabled()  # no collection on whatever thread allocates next
    for _ in range(gc.get_threshold()[0] + 10):
        Cycle()
    assert collector.collect() > 0  # the timer's work: the cycles are found, on this thread
    qtbot.waitUntil(lambda: collector.timer.isActive(), timeout=1000)
    second = QWidget()
    UiThreadCollector(second)
    window.deleteLater()  # one window gone, one still alive: still off
    qtbot.wait(50)
    assert not gc.isenabled()
    second.deleteLater()
    qtbot.waitUntil(gc.isenabled, timeout=2000)  # automatic again once the last window is gone
