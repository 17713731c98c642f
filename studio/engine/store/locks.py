"""A lock on a file, held across threads and processes: one import of a model at a time.

Two imports of the same source may run at once (two drops in the window, the window and
``studio models add``, an import in its own process): each holds the source's lock from "is it
in the library already?" until its library entry is written, so the second finds the first's
entry instead of converting again and replacing the stored model under it.

``flock`` locks belong to an open file, not to a process, so two threads of one process exclude
each other as two processes do, and a process that dies (a crashed plugin) lets go at once. The
lock file is removed on release; a waiter that then holds a lock on a removed file sees that its
file is not the one at the path any more, and locks the new one.
"""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path

if sys.platform == "win32":
    import msvcrt
else:
    import fcntl


class FileLock:
    """``acquire()`` (without waiting; True when held) and ``release()``; not reentrant."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def acquire(self) -> bool:
        if self._fd is not None:
            raise RuntimeError(f"{self.path} is already locked by this FileLock")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        if not _try_lock(fd):
            os.close(fd)
            return False
        if not _same_file(fd, self.path):
            # Released and removed by its holder between our open and our lock: try the new one.
            os.close(fd)
            return self.acquire()
        self._fd = fd
        return True

    def release(self) -> None:
        if self._fd is None:
            return
        if sys.platform != "win32":  # Windows cannot remove a file that is open
            with contextlib.suppress(FileNotFoundError):
                self.path.unlink()  # while still held: nobody else can be holding this file
        os.close(self._fd)  # closing lets go of the lock
        self._fd = None


def _try_lock(fd: int) -> bool:
    try:
        if sys.platform == "win32":
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        else:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False
    return True


def _same_file(fd: int, path: Path) -> bool:
    try:
        on_disk = os.stat(path)
    except FileNotFoundError:
        return False
    held = os.fstat(fd)
    return (held.st_dev, held.st_ino) == (on_disk.st_dev, on_disk.st_ino)
