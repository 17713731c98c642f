"""A test stuck past its limit ends the run with a report whose last lines name every thread;
time when the process was suspended (a paused CI container) does not count toward the limit."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
import time
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

SLOW = textwrap.dedent(
    """
    import pathlib, time

    def test_slow():
        pathlib.Path("started").touch()
        for _ in range(60):  # 6 s awake: short sleeps, so most of it comes after a stop
            time.sleep(0.1)
    """
)


def _pytest(folder: Path, test: str, timeout: int) -> subprocess.Popen:
    tests = Path(__file__).parent
    return subprocess.Popen(
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
            f"timeout={timeout}",
            test,
        ],
        cwd=folder,
        env={"PYTHONPATH": str(tests), "PATH": "/usr/bin:/bin"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_a_stuck_test_ends_the_run_with_every_thread_named(tmp_path: Path) -> None:
    (tmp_path / "test_stuck.py").write_text(STUCK)
    run = _pytest(tmp_path, "test_stuck.py", timeout=3)
    _out, err = run.communicate(timeout=120)
    assert run.returncode == 1
    tail = err.strip().splitlines()[-6:]
    assert tail[-1].startswith("HANG: test_stuck.py::test_stuck")
    kernel = "\n".join(tail)
    assert "main" in kernel and "sleeper" in kernel  # the kernel's view, one line a thread
    assert "test_stuck.py:8 test_stuck: lock.acquire()" in err  # the main thread's frame


def test_time_suspended_is_not_counted(tmp_path: Path) -> None:
    """Stopped with SIGSTOP for longer than its limit, a 6-second test still passes."""
    (tmp_path / "test_slow.py").write_text(SLOW)
    run = _pytest(tmp_path, "test_slow.py", timeout=15)
    began = time.monotonic()
    while not (tmp_path / "started").exists():
        assert run.poll() is None and time.monotonic() - began < 60
        time.sleep(0.05)
    time.sleep(1)
    run.send_signal(signal.SIGSTOP)
    time.sleep(20)  # the limit (15 s) passes while the process cannot run
    run.send_signal(signal.SIGCONT)
    out, err = run.communicate(timeout=120)
    assert time.monotonic() - began > 20
    assert run.returncode == 0, out + err
    assert "HANG" not in err
