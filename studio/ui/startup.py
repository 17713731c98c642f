"""Start-up checks that run before any Qt object exists. Qt-free, so they are unit-tested.

- No display: ``make run`` over ssh would die with Qt's xcb error; say what to do instead.
- Crash guard: a marker file is written before plugins load and removed once the window is up;
  found at the next start, it means the last start crashed (a plugin, likely): offer safe mode.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Mapping
from pathlib import Path

HEADLESS_PLATFORMS = {"offscreen", "minimal", "vnc", "eglfs", "linuxfb"}


def display_problem(
    env: Mapping[str, str] | None = None, platform: str | None = None
) -> str | None:
    """A message when Qt could not open a window here, else None. Linux/BSD only."""
    env = os.environ if env is None else env
    platform = sys.platform if platform is None else platform
    if not platform.startswith(("linux", "freebsd", "openbsd")):
        return None
    qpa = env.get("QT_QPA_PLATFORM", "").split(":", 1)[0].strip().lower()
    if qpa in HEADLESS_PLATFORMS:
        return None
    if qpa.startswith("wayland") and env.get("WAYLAND_DISPLAY"):
        return None
    if qpa in ("", "xcb") and env.get("DISPLAY"):
        return None
    if qpa == "" and env.get("WAYLAND_DISPLAY"):
        return None
    wanted = qpa or "a window"
    return (
        f"studio: no display to open {wanted} on (DISPLAY and WAYLAND_DISPLAY are not set).\n"
        "  - on a desktop, run it from a terminal inside your graphical session;\n"
        "  - over ssh, use 'ssh -X' (X forwarding), or run under a virtual display:\n"
        "      xvfb-run -a make run      (Debian/Ubuntu: apt-get install xvfb)\n"
        "  - without a window, use the command line: studio --help"
    )


def begin_start(path: Path) -> bool:
    """Write the marker (``Home.start_marker``); True when one was already there: a crash."""
    crashed = path.exists()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"pid": os.getpid(), "time": time.time()}), encoding="utf-8")
    return crashed


def end_start(path: Path) -> None:
    """The window is up and plugins loaded: this start did not crash."""
    path.unlink(missing_ok=True)
