"""Loaded by every Python subprocess the tests start: refuses network connections.

Studio never touches the network; this makes any attempt fail loudly in the suite.
"""

import socket

_ALLOWED = {getattr(socket, "AF_UNIX", None)}


def _refuse(self, *args, **kwargs):
    if self.family in _ALLOWED:
        return _original_connect(self, *args, **kwargs)
    raise OSError("network access is blocked in Studio's tests")


_original_connect = socket.socket.connect
socket.socket.connect = _refuse
socket.socket.connect_ex = _refuse


def _log_writes(log_path, home):
    """Record every write this process makes under ``home`` (tests of who writes, per rank)."""
    import atexit
    import json
    import os
    import sys

    writes = []
    write_flags = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC

    def audit(event, args):
        path = None
        if event == "open" and args:
            mode, flags = args[1], args[2] if len(args) > 2 else 0
            writing = (isinstance(mode, str) and any(c in mode for c in "wax+")) or (
                isinstance(flags, int) and flags & write_flags
            )
            path = args[0] if writing else None
        elif event in ("os.rename", "os.replace", "os.mkdir", "os.remove", "shutil.rmtree"):
            path = args[0]
        if isinstance(path, (str, bytes, os.PathLike)) and str(os.fsdecode(path)).startswith(home):
            writes.append(f"{event} {os.fsdecode(path)}")

    def save():
        with open(log_path, "w", encoding="utf-8") as handle:
            json.dump(writes, handle)

    atexit.register(save)
    sys.addaudithook(audit)


def _start_write_log():
    import os

    log = os.environ.get("STUDIO_TEST_WRITE_LOG")
    if log and os.environ.get("RANK"):
        _log_writes(f"{log}.rank{os.environ['RANK']}", os.environ["STUDIO_HOME"])


_start_write_log()
