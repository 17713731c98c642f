"""A start-up check for a reference-counting bug measured in PySide6 6.12 on CPython 3.11.

Measured on this machine (docs/dev/window-performance.md): with PySide6-Essentials 6.12.0 every
Python ``Signal.emit()`` drops one reference to ``True`` and every Python slot Qt calls drops one
to ``None``; on CPython < 3.12, where those objects are not immortal, the window aborts with
"bool_dealloc" / "none_dealloc" within minutes of live curves. pyproject.toml keeps that binding
out; an environment that forces one in anyway gets a clear warning at start-up instead of a crash
with no explanation later.
"""

from __future__ import annotations

import sys

ROUNDS = 16


def lost_references() -> tuple[int, int]:
    """References to (None, True) lost over a few emits and slot calls; (0, 0) when sound."""
    from PySide6.QtCore import QObject, Signal

    class _Probe(QObject):
        ping = Signal()

        def pong(self) -> None:
            pass

    probe = _Probe()
    probe.ping.connect(probe.pong)
    none_before, true_before = sys.getrefcount(None), sys.getrefcount(True)
    for _ in range(ROUNDS):
        probe.ping.emit()
    lost = (none_before - sys.getrefcount(None), true_before - sys.getrefcount(True))
    probe.ping.disconnect(probe.pong)
    return lost


def warning_for(lost: tuple[int, int], version: str) -> str | None:
    """The user's warning for a probe result, or None when the binding keeps its counts."""
    if sys.version_info >= (3, 12) or max(lost) <= 0:
        return None  # immortal singletons (3.12+) cannot be freed, whatever the binding does
    return (
        f"PySide6 {version} loses references to None/True ({lost[0]} and {lost[1]} in "
        f"{ROUNDS} signals): the window may abort after minutes of training. Install the "
        "tested binding: pip install 'PySide6-Essentials>=6.7,<6.12'"
    )


def binding_warning() -> str | None:
    """Probe the running binding once; a warning to show, or None."""
    import PySide6

    return warning_for(lost_references(), PySide6.__version__)
