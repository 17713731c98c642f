"""The worker trains at the priority WORKER_NICENESS sets (Linux niceness), which is the
command line's: under load, training in the window then keeps pace with `studio train`."""

from __future__ import annotations

import os
import sys
import threading
from pathlib import Path

import pytest

from studio.ui.worker import WORKER_NICENESS, GpuWorker

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux niceness")


def niceness(thread_id: int) -> int:
    # /proc/<pid>/task/<tid>/stat: the 19th field is the thread's nice value. The command name
    # (field 2) may hold spaces, so count from after its closing parenthesis.
    stat = Path(f"/proc/self/task/{thread_id}/stat").read_text()
    return int(stat.rsplit(")", 1)[1].split()[16])


def test_the_worker_runs_at_the_command_lines_priority(qtbot) -> None:
    window_thread = threading.get_native_id()
    before = niceness(window_thread)
    worker = GpuWorker("cpu")
    worker.start()
    try:
        qtbot.waitUntil(lambda: worker.native_id is not None, timeout=5000)
        assert WORKER_NICENESS == 0  # measured: see the constant's comment
        expected = min(19, before + WORKER_NICENESS)
        qtbot.waitUntil(lambda: niceness(worker.native_id) == expected, timeout=5000)
        assert niceness(window_thread) == before  # the window's own thread keeps its priority
        assert os.getpriority(os.PRIO_PROCESS, 0) == before
    finally:
        assert worker.stop(10_000)
