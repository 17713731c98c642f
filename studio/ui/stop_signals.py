"""The window stops like the command line: SIGTERM, SIGHUP and a session logout close it cleanly.

Closing the window cancels the running job, and a cancelled training run saves a checkpoint
first (``MainWindow.closeEvent``). ``kill``, systemd and a closing session send SIGTERM or SIGHUP;
a desktop session that logs out asks through Qt's session manager (``commitDataRequest``).

Python runs a signal handler only when the interpreter gets control, and Qt's event loop is C++:
the handler would wait for the next Python call. ``signal.set_wakeup_fd`` writes a byte to a
socket on every signal, and a ``QSocketNotifier`` on the other end wakes the event loop at once.
"""

from __future__ import annotations

import signal
import socket
from collections.abc import Callable

from PySide6.QtCore import QObject, QSocketNotifier

STOP_SIGNALS = tuple(getattr(signal, n) for n in ("SIGTERM", "SIGHUP") if hasattr(signal, n))


class StopSignals(QObject):
    """Calls ``on_stop(reason)`` once per signal or logout request, on the UI thread."""

    def __init__(self, app, on_stop: Callable[[str], None]) -> None:
        super().__init__(app)
        self.on_stop = on_stop
        self._reader, self._writer = socket.socketpair()
        for end in (self._reader, self._writer):
            end.setblocking(False)
        self._previous_fd = signal.set_wakeup_fd(self._writer.fileno())
        self._notifier = QSocketNotifier(self._reader.fileno(), QSocketNotifier.Type.Read, self)
        self._notifier.activated.connect(self._drain)
        self._previous = {s: signal.signal(s, self._received) for s in STOP_SIGNALS}
        app.commitDataRequest.connect(lambda _manager: self.on_stop("the session is ending"))

    def _received(self, signum: int, _frame: object) -> None:
        self.on_stop(signal.Signals(signum).name)

    def _drain(self) -> None:
        # The handler above already ran (Python ran it as soon as this slot was entered).
        try:
            while self._reader.recv(256):
                pass
        except BlockingIOError:
            pass

    def uninstall(self) -> None:
        """Put back what was there before (tests; a second window in one process)."""
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)
        signal.set_wakeup_fd(self._previous_fd)
        self._notifier.setEnabled(False)
        self._reader.close()
        self._writer.close()
