"""Events as plain data on the pipe between a job's child process and Studio.

The child encodes each event into builtins only (dicts, lists, strings, numbers, bytes): a
dataclass becomes ``{"__type__": name, ...fields}``, a numpy array its dtype, shape and bytes, a
path its text. The parent decodes with an unpickler that refuses every class, so whatever a
plugin in the child writes to the pipe, Studio's process never builds an object it did not name
itself: only the event and sample types listed in ``TYPES`` come back.
"""

from __future__ import annotations

import dataclasses
import io
import pickle
from pathlib import Path
from typing import Any

from studio.api import ImageSample, TextChunk
from studio.engine import events

TYPES: dict[str, type] = {
    cls.__name__: cls
    for cls in (
        events.Started,
        events.Progress,
        events.Metric,
        events.SampleEvent,
        events.Log,
        events.CheckpointSaved,
        events.Finished,
        events.Result,
        events.TrainResult,
        events.GenerateResult,
        events.DataCheckResult,
        events.Failed,
        events.Cancelled,
        TextChunk,
        ImageSample,
    )
}


class PlainUnpickler(pickle.Unpickler):
    """Builtins only: a pickle that names any class or function is refused."""

    def find_class(self, module: str, name: str) -> Any:
        raise pickle.UnpicklingError(f"refused {module}.{name}: only plain data crosses the pipe")


def dumps(value: Any) -> bytes:
    return pickle.dumps(_plain(value), protocol=pickle.HIGHEST_PROTOCOL)


def loads(data: bytes) -> Any:
    return _rebuild(PlainUnpickler(io.BytesIO(data)).load())


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, (bool, int, float, str, bytes)):
        return value
    if isinstance(value, Path):
        return {"__type__": "path", "text": str(value)}
    if isinstance(value, (list, tuple)):
        items = [_plain(item) for item in value]
        return items if isinstance(value, list) else {"__type__": "tuple", "items": items}
    if isinstance(value, dict):
        return {"__type__": "dict", "items": [[_plain(k), _plain(v)] for k, v in value.items()]}
    if dataclasses.is_dataclass(value) and type(value).__name__ in TYPES:
        fields = {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
        return {"__type__": type(value).__name__, **fields}
    if hasattr(value, "__array_interface__"):  # numpy arrays, and numpy scalars
        import numpy as np

        array = np.ascontiguousarray(value)
        return {
            "__type__": "ndarray",
            "dtype": array.dtype.str,
            "shape": list(array.shape),
            "data": array.tobytes(),
        }
    if hasattr(value, "item") and callable(value.item):  # a stray torch or numpy scalar
        return _plain(value.item())
    # Anything else (a plugin's own object in a result dict) travels as its text.
    return repr(value)


def _rebuild(value: Any) -> Any:
    if isinstance(value, list):
        return [_rebuild(item) for item in value]
    if not isinstance(value, dict):
        return value
    kind = value.get("__type__")
    if kind == "path":
        return Path(value["text"])
    if kind == "tuple":
        return tuple(_rebuild(item) for item in value["items"])
    if kind == "dict":
        return {_rebuild(k): _rebuild(v) for k, v in value["items"]}
    if kind == "ndarray":
        import numpy as np

        array = np.frombuffer(value["data"], dtype=np.dtype(value["dtype"]))
        return array.reshape(value["shape"]).copy()
    if kind in TYPES:
        fields = {k: _rebuild(v) for k, v in value.items() if k != "__type__"}
        return TYPES[kind](**fields)
    raise ValueError(f"unknown value on the job pipe: {kind!r}")
