"""Training curves as numpy arrays, grouped by metric prefix. Qt-free.

Every logged value is kept (the window's curve must hold every point); arrays grow by doubling so
appending a step is O(1) amortised, and a redraw reads a view, never a copy of Python lists.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np


class Series:
    """One metric: steps and values in preallocated arrays."""

    def __init__(self, capacity: int = 1024) -> None:
        self._steps = np.empty(capacity, dtype=np.float64)
        self._values = np.empty(capacity, dtype=np.float64)
        self.size = 0

    def append(self, step: float, value: float) -> None:
        if self.size == len(self._steps):
            self._steps = np.resize(self._steps, self.size * 2)
            self._values = np.resize(self._values, self.size * 2)
        self._steps[self.size] = step
        self._values[self.size] = value
        self.size += 1

    @property
    def steps(self) -> np.ndarray:
        return self._steps[: self.size]

    @property
    def values(self) -> np.ndarray:
        return self._values[: self.size]


def group_of(name: str) -> str:
    """``loss/train`` -> ``loss``: each group is one plot."""
    return name.split("/", 1)[0] if "/" in name else name


def smooth(values: np.ndarray, weight: float) -> np.ndarray:
    """TensorBoard-style exponential moving average, debiased; weight 0 returns the values."""
    if weight <= 0 or len(values) == 0:
        return values
    out = np.empty_like(values)
    last, debias = 0.0, 0.0
    for i, value in enumerate(values):
        last = last * weight + (1 - weight) * value
        debias = debias * weight + (1 - weight)
        out[i] = last / debias
    return out


class Smoother:
    """``smooth`` done incrementally: a redraw smooths only the points added since the last one."""

    def __init__(self) -> None:
        self.weight = -1.0
        self.done = 0
        self._last = self._debias = 0.0
        self._out = np.empty(0)

    def update(self, values: np.ndarray, weight: float) -> np.ndarray:
        if weight <= 0:
            return values
        if weight != self.weight or len(values) < self.done:
            self.weight, self.done, self._last, self._debias = weight, 0, 0.0, 0.0
        if len(self._out) < len(values):
            self._out = np.resize(self._out, max(len(values), 2 * len(self._out), 1024))
        last, debias = self._last, self._debias
        for i in range(self.done, len(values)):
            last = last * weight + (1 - weight) * values[i]
            debias = debias * weight + (1 - weight)
            self._out[i] = last / debias
        self._last, self._debias, self.done = last, debias, len(values)
        return self._out[: len(values)]


class CurveStore:
    """Every metric of one run. ``version`` changes on every append, so a view redraws lazily."""

    def __init__(self) -> None:
        self.series: dict[str, Series] = {}
        self.version = 0
        self.last_step = 0

    def clear(self) -> None:
        self.series.clear()
        self.version += 1
        self.last_step = 0

    def add(self, step: int, values: dict[str, float]) -> None:
        for name, value in values.items():
            series = self.series.get(name)
            if series is None:
                series = self.series[name] = Series()
            series.append(step, value)
        self.last_step = max(self.last_step, step)
        self.version += 1

    def extend(self, records: Iterable[tuple[int, dict[str, float]]]) -> None:
        for step, values in records:
            self.add(step, values)

    def groups(self) -> dict[str, list[str]]:
        result: dict[str, list[str]] = {}
        for name in self.series:
            result.setdefault(group_of(name), []).append(name)
        return result

    def count(self, name: str) -> int:
        series = self.series.get(name)
        return series.size if series else 0


class RangeKeeper:
    """An axis range that changes rarely: it grows past the data with headroom and shrinks only
    when the data fill less than ``shrink_below`` of it.

    Measured here: pyqtgraph's own auto-range re-lays-out the axes on every new point, ~40 ms of
    UI thread (holding the GIL) per frame for three plots; a range that stays put costs ~5 ms.
    """

    def __init__(self, headroom: float = 0.15, shrink_below: float = 0.4) -> None:
        self.headroom = headroom
        self.shrink_below = shrink_below
        self.range: tuple[float, float] | None = None

    def update(self, low: float, high: float) -> tuple[float, float] | None:
        """The new range when it must change to show [low, high] well, else None."""
        if not (np.isfinite(low) and np.isfinite(high)):
            return None
        span = max(high - low, abs(high) * 1e-3, 1e-12)
        if self.range is not None:
            current_low, current_high = self.range
            inside = current_low <= low and high <= current_high
            if inside and span >= self.shrink_below * (current_high - current_low):
                return None
        pad = span * self.headroom
        # Data that never go below zero (a loss, a step count) get no axis below zero.
        self.range = (max(0.0, low - pad) if low >= 0 else low - pad, high + pad)
        return self.range
