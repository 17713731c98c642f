"""A test stuck past its limit ends the run with a report whose last lines name every thread."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

STUCK = textwrap.dedent(
    """
    import threading, time

    def test_stuck():
        threading.Thread(target=time.sleep, args=(60,), name="sleeper", daemon=True).start()
        lock = threading.Lock()
        lock.acquire()
        lock.acquire()  # never: the main thread waits on itself
    """
)


def test_a_stuck_test_ends_the_run_with_every_thread_named(tmp_path: Path) -> None:
    (tmp_path / "test_stuck.py").write_text(STUCK)
    tests = Path(__file__).parent
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-p",
            "support.hang_report",
            "-o",
            "timeout=2",
            "test_stuck.py",
        ],
        cwd=tmp_path,
        env={"PYTHONPATH": str(tests), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 1
    tail = run.stderr.strip().splitlines()[-6:]
    assert tail[-1].startswith("HANG: test_stuck.py::test_stuck")
    kernel = "\n".join(tail)
    assert "main" in kernel and "sleeper" in kernel  # the kernel's view, one line a thread
    assert "test_stuck.py:8 test_stuck: lock.acquire()" in run.stderr  # the main thread's frame
