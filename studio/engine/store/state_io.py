"""Nested training state (optimiser, scheduler, RNG) to safetensors plus JSON, and back.

``torch.save`` would pickle, and loading a pickle runs arbitrary code. Instead every tensor goes
to a safetensors file under a generated key, and the structure around them (dicts, lists, tuples,
numbers, strings) to JSON, with markers where JSON alone would lose the type.
"""

from __future__ import annotations

from typing import Any

_TENSOR = "__tensor__"
_TUPLE = "__tuple__"
_ITEMS = "__items__"  # a dict whose keys are not all strings (optimiser state is keyed by int)


def flatten(state: Any) -> tuple[Any, dict[str, Any]]:
    """Split ``state`` into a JSON-able tree and a flat ``{key: tensor}`` dict."""
    import torch

    tensors: dict[str, torch.Tensor] = {}

    def walk(value: Any) -> Any:
        if isinstance(value, torch.Tensor):
            key = f"t{len(tensors)}"
            # contiguous + clone: safetensors wants dense storage, and no aliasing with live params.
            tensors[key] = value.detach().to("cpu").contiguous().clone()
            return {_TENSOR: key}
        if isinstance(value, dict):
            if all(isinstance(k, str) for k in value) and not (
                set(value) & {_TENSOR, _TUPLE, _ITEMS}
            ):
                return {k: walk(v) for k, v in value.items()}
            return {_ITEMS: [[walk(k), walk(v)] for k, v in value.items()]}
        if isinstance(value, tuple):
            return {_TUPLE: [walk(v) for v in value]}
        if isinstance(value, list):
            return [walk(v) for v in value]
        if value is None or isinstance(value, (bool, int, float, str)):
            return value
        raise TypeError(f"cannot save a {type(value).__name__} in training state")

    return walk(state), tensors


def unflatten(tree: Any, tensors: dict[str, Any]) -> Any:
    """Rebuild what :func:`flatten` split."""

    def walk(value: Any) -> Any:
        if isinstance(value, dict):
            if _TENSOR in value:
                return tensors[value[_TENSOR]]
            if _TUPLE in value:
                return tuple(walk(v) for v in value[_TUPLE])
            if _ITEMS in value:
                return {walk(k): walk(v) for k, v in value[_ITEMS]}
            return {k: walk(v) for k, v in value.items()}
        if isinstance(value, list):
            return [walk(v) for v in value]
        return value

    return walk(tree)
