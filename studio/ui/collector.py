"""Python's cycle collector, run on the window's thread only, while a window lives.

The collector runs on whichever thread happens to allocate when its thresholds trip, and a
training job calls ``gc.collect()`` on the worker thread when it ends (to free device memory).
Either can find an unreachable Qt object (a closed dialog, a widget in a reference cycle) and
destroy it there; its destructor asks shiboken for the GIL the collecting thread already holds
while the UI thread waits on Qt, and the app hangs. That was seen in the test suite (the worker
stuck in ``QObject::~QObject`` under ``gc_collect``). As pyqtgraph's ``GarbageCollector``
does, automatic collection is switched off while a window lives, and this timer collects on the
UI thread instead, generation by generation as the thresholds say.
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QObject, QTimer

INTERVAL_MS = 500

# Windows alive with a collector, and whether collection was automatic before the first: it is
# switched back on only when the last of them is gone (a closed window's deferred deletion can
# come while the next window trains).
_live = 0
_was_enabled = True


def _window_gone(*_args: object) -> None:
    global _live
    _live -= 1
    if _live == 0 and _was_enabled:
        gc.enable()


class UiThreadCollector(QObject):
    def __init__(self, parent: QObject) -> None:
        global _live, _was_enabled
        super().__init__(parent)
        if _live == 0:
            _was_enabled = gc.isenabled()
        _live += 1
        gc.disable()
        self.timer = QTimer(self)
        self.timer.setInterval(INTERVAL_MS)
        self.timer.timeout.connect(self.collect)
        self.timer.start()
        # A plain function, not a method: it runs while this object is being destroyed too.
        parent.destroyed.connect(_window_gone)

    def collect(self) -> int:
        """Collect the generations whose counts passed their thresholds (0 if none did)."""
        counts, thresholds = gc.get_count(), gc.get_threshold()
        if counts[0] <= thresholds[0]:
            return 0
        generation = 2 if counts[2] > thresholds[2] else 1 if counts[1] > thresholds[1] else 0
        return gc.collect(generation)
