"""What a test stuck past its time limit was doing, written so that the end of CI's log says it.

pytest-timeout's thread method prints every thread's whole stack and the main thread's comes
last: a CI log that keeps only its tail then shows the pytest frames of a main thread waiting in
Qt's event loop, and not the other threads, nor whether that thread waits on a lock, polls, or
spins. This report ends the run the same way (``os._exit``) but puts the main thread's own frames
first and, last, a line for every thread of the process as the kernel sees it (state, what it
waits in, processor time), after the innermost frames of each Python thread.
"""

from __future__ import annotations

import os
import sys
import threading
import time
import traceback
from pathlib import Path
from types import FrameType

import pytest

#: Innermost frames shown per thread: where it is, not how pytest got there.
FRAMES = 8


def _innermost(frame: FrameType, count: int = FRAMES) -> list[str]:
    entries = traceback.extract_stack(frame)[-count:]
    return [
        f"    {Path(e.filename).name}:{e.lineno} {e.name}: {(e.line or '').strip()}"
        for e in entries
    ]


def _kernel_threads(labels: dict[int, str]) -> list[str]:
    """One line per thread of this process: name, state, wait channel, processor seconds."""
    lines = []
    tasks = Path("/proc/self/task")
    if not tasks.is_dir():  # not Linux
        return lines
    ticks = os.sysconf("SC_CLK_TCK")
    for task in sorted(tasks.iterdir(), key=lambda p: int(p.name)):
        try:
            # The name is in parentheses and may hold spaces: split after its closing one.
            stat = (task / "stat").read_text()
            name = stat[stat.index("(") + 1 : stat.rindex(")")]
            fields = stat[stat.rindex(")") + 2 :].split()
            state, cpu = fields[0], (int(fields[11]) + int(fields[12])) / ticks
            wchan = (task / "wchan").read_text().strip() or "-"
        except (OSError, ValueError, IndexError):
            continue
        label = labels.get(int(task.name), name)
        lines.append(f"  tid {task.name:>7} {label:<24} {state} wait={wchan:<24} cpu={cpu:.1f}s")
    return lines


def hang_report(nodeid: str, seconds: float, suspended: float = 0.0) -> str:
    threads = {thread.ident: thread for thread in threading.enumerate()}
    frames = sys._current_frames()
    me, main = threading.get_ident(), threading.main_thread().ident
    out = [f"HANG: {nodeid} ran past {seconds:.0f} s", "main thread, innermost frames:"]
    if main in frames:
        out += _innermost(frames[main])
    for ident, frame in frames.items():
        if ident in (me, main):
            continue
        thread = threads.get(ident)
        name, native = (thread.name, thread.native_id) if thread else ("<not Python's>", None)
        out.append(f"thread {name} (tid {native}):")
        out += _innermost(frame, 5)
    out.append("every thread of the process, as the kernel sees it:")
    labels = {t.native_id: t.name for t in threads.values() if t.native_id is not None}
    labels[threading.main_thread().native_id or 0] = "main"
    labels[threading.get_native_id()] = "(this report)"
    out += _kernel_threads(labels)
    if suspended:
        out.append(f"(besides {suspended:.0f} s when the process did not run at all)")
    out.append(f"HANG: {nodeid} (the lines above say where each thread was)")
    return "\n".join(out) + "\n"


#: How often the watch looks at the clock, and the longest gap between two looks it counts.
TICK_S = 1.0
LONGEST_GAP_S = 5.0


def watch(item, seconds: float) -> threading.Event:
    """Arm the report for ``item``; setting the returned event (the test ended) disarms it.

    The limit counts time this process was awake. A gap between two looks much longer than the
    tick means the machine or its container was suspended (a shared CI host): the test did not
    run then, and counting the gap would report a hang that was not one.
    """
    done = threading.Event()

    def look() -> None:
        awake, suspended = 0.0, 0.0
        last = time.monotonic()
        while not done.wait(TICK_S):
            now = time.monotonic()
            gap, last = now - last, now
            awake += min(gap, LONGEST_GAP_S)
            suspended += max(0.0, gap - LONGEST_GAP_S)
            if awake >= seconds:
                report(awake, suspended)

    def report(awake: float, suspended: float) -> None:
        capture = item.config.pluginmanager.getplugin("capturemanager")
        if capture is not None:
            capture.suspend_global_capture(item)
        text = hang_report(item.nodeid, awake, suspended)
        try:
            sys.stderr.write(text)
            sys.stderr.flush()
        finally:
            os._exit(1)

    threading.Thread(target=look, name=f"hang watch {item.nodeid}", daemon=True).start()
    return done


@pytest.hookimpl(tryfirst=True)
def pytest_timeout_set_timer(item: pytest.Item, settings) -> bool | None:
    """pytest-timeout's hook: this report instead of its plain stack dump."""
    if settings.timeout <= 0:
        return None
    item.cancel_timeout = watch(item, settings.timeout).set  # pytest-timeout calls it
    return True
