"""A guard against a reference-counting bug measured in PySide6 6.12 on CPython 3.11.

Measured on this machine (see docs/window.md): every Python ``Signal.emit()`` drops one reference
to ``True`` (the bool it returns), and every Python slot Qt calls drops one reference to ``None``
(the slot's return value). On CPython < 3.12 these singletons have ordinary reference counts, so
after a few hundred emits (True starts near 550) or some ten thousand slot calls the interpreter
aborts with "bool_dealloc" / "none_dealloc" — a busy training window dies within a minute.

CPython 3.12 made these singletons immortal. We do the same on older versions, once, only when a
probe shows the leak: their counts are raised by 2**40, so no leak can reach zero. The singletons
are static objects that are never freed anyway; only their counter changes.
"""

from __future__ import annotations

import ctypes
import sys

CUSHION = 1 << 40
_applied = False


def _probe() -> tuple[int, int]:
    """References to (None, True) lost per emit + slot call; (0, 0) when PySide6 is sound."""
    from PySide6.QtCore import QObject, Signal

    class _Probe(QObject):
        ping = Signal()

        def pong(self) -> None:
            pass

    probe = _Probe()
    probe.ping.connect(probe.pong)
    rounds = 16
    none_before, true_before = sys.getrefcount(None), sys.getrefcount(True)
    for _ in range(rounds):
        probe.ping.emit()
    lost = (none_before - sys.getrefcount(None), true_before - sys.getrefcount(True))
    probe.ping.disconnect(probe.pong)
    return lost


def _immortalise(obj: object) -> None:
    # ob_refcnt is the first field of every object on CPython < 3.12.
    ctypes.c_ssize_t.from_address(id(obj)).value += CUSHION


def apply() -> bool:
    """Make None/True/False effectively immortal if this PySide6 leaks them; True if applied."""
    global _applied
    if _applied:
        return True
    if sys.version_info >= (3, 12) or sys.implementation.name != "cpython":
        return False
    lost_none, lost_true = _probe()
    if lost_none <= 0 and lost_true <= 0:
        return False
    for singleton in (None, True, False):
        _immortalise(singleton)
    _applied = True
    return True
