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
