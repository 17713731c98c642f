"""Live training curves: one pyqtgraph plot per metric group, smoothing, log scale.

Bound to a Qt-free :class:`CurveStore`. The store takes every point as it arrives; this widget
redraws on its own timer at most 5 times a second (fewer when frames are costly, see
FRAME_BUDGET), only when the store changed and the curves are on screen, with ``setData`` on
numpy views (never a redraw per point: measured at 0.2–0.3x training speed).
Long runs are clipped to the view and downsampled by pyqtgraph.

pyqtgraph costs ~0.4-0.6 s to import (it walks every Qt enum), so it is imported when a curve
view is first shown or first has data, not while the window opens.
"""

from __future__ import annotations

import functools
import time
import zlib
from functools import partial
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QCheckBox,
    QGraphicsItem,
    QHBoxLayout,
    QLabel,
    QSlider,
    QVBoxLayout,
    QWidget,
)

from ..models.curves import CurveStore, RangeKeeper, Smoother
from ..theme import CURVE_COLOURS, current_theme

if TYPE_CHECKING:
    import pyqtgraph as pg

# 5 Hz at most: live to the eye, and half the UI-thread (GIL) time of 10 Hz while a model trains.
REDRAW_MS = 200
# A frame (setData + painting the plots) holds the GIL from start to end, so the training thread,
# and torch's threads with it, wait for it. On 2 vCPUs a share of a core taken by the window's
# thread cost training about 2.4 times that share of its speed (torch's two threads work in step,
# so one of them waiting idles both). Frames are paced to keep their processor time under this
# share of one core. A frame here costs ~3 ms of redraw and as much again of painting (until
# 2026-11 only the redraw was counted, and frames came ~4.5 times a second), so about one frame a
# second on this machine; cheap frames (a fast machine, a short curve) come up to 5 times a second.
FRAME_BUDGET = 0.0075
SLOWEST_MS = 1000  # never fewer than one frame a second
# Plots made ahead, on idle, one per event-loop pass: a pyqtgraph PlotItem takes ~30 ms to build
# (its menus and axes), ~65 ms each with a model training beside it. Built when the first
# metrics arrive, three of them stalled the UI for ~250 ms in one go (measured).
SPARE_PLOTS = 4
AXIS_WIDTH, AXIS_HEIGHT = 56, 36


def frame_interval_ms(frame_cpu: float) -> int:
    """Milliseconds between frames so that frames of ``frame_cpu`` seconds stay in the budget."""
    return int(min(SLOWEST_MS, max(REDRAW_MS, 1000 * frame_cpu / FRAME_BUDGET)))


@functools.cache
def _timed_graphics_class() -> type:
    """pyqtgraph's GraphicsLayoutWidget that adds up the processor time of its paints.

    Made on first use: pyqtgraph is imported late (see the module docstring).
    """
    import pyqtgraph as pg

    class TimedGraphics(pg.GraphicsLayoutWidget):
        paint_cpu = 0.0

        def paintEvent(self, event) -> None:
            began = time.thread_time()
            super().paintEvent(event)
            self.paint_cpu += time.thread_time() - began

    return TimedGraphics


def colour_for(name: str) -> str:
    """The same colour for a curve in every run: by what it measures ("train", "val"), not by
    the order curves happened to appear in."""
    kind = name.rsplit("/", 1)[-1]
    fixed = {"train": 0, "val": 1}
    index = (
        fixed[kind] if kind in fixed else 2 + zlib.crc32(kind.encode()) % (len(CURVE_COLOURS) - 2)
    )
    return CURVE_COLOURS[index]


def _title(group: str, names: list[str]) -> str:
    kinds = [n.rsplit("/", 1)[-1] for n in names]
    if kinds == [group]:
        return group  # one curve named like its plot: nothing to tell apart
    pairs = zip(names, kinds, strict=True)
    keys = "  ".join(f'<span style="color:{colour_for(n)}">━ {kind}</span>' for n, kind in pairs)
    return f"{group}&nbsp;&nbsp;{keys}"


class CurvesView(QWidget):
    def __init__(self, store: CurveStore | None = None, theme: str | None = None, parent=None):
        super().__init__(parent)
        self.store = store or CurveStore()
        self._theme = current_theme(theme)
        self._drawn_version = -1
        self.plots: dict[str, pg.PlotItem] = {}
        self.curves: dict[str, pg.PlotDataItem] = {}
        self.smoothers: dict[str, Smoother] = {}
        # Per plot: (x, y) range keepers; a plot the user zoomed or panned is left alone.
        self.ranges: dict[str, tuple[RangeKeeper, RangeKeeper]] = {}
        self.user_ranged: set[str] = set()
        self.redraws = 0
        # Built ahead on idle and reused from run to run (see SPARE_PLOTS).
        self._spares: list[pg.PlotItem] = []
        self._group_of: dict[int, str] = {}
        # The run's length when known: the x axis then spans it from the start and never moves.
        self._x_total: float | None = None
        self.graphics: pg.GraphicsLayoutWidget | None = None
        self.smoothing = QSlider(Qt.Orientation.Horizontal)
        self.smoothing.setRange(0, 99)
        self.smoothing.setValue(60)
        self.smoothing.setToolTip("Exponential smoothing of the curves (the raw points are kept)")
        self.smoothing.setMaximumWidth(160)
        self.log_scale = QCheckBox("Log scale")
        self.log_scale.setToolTip("Logarithmic y axis")
        self.smoothing.valueChanged.connect(self.force_redraw)
        self.log_scale.toggled.connect(self._on_log)
        controls = QHBoxLayout()
        controls.addWidget(QLabel("Smoothing"))
        controls.addWidget(self.smoothing)
        controls.addWidget(self.log_scale)
        controls.addStretch()
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.addLayout(controls)
        self._placeholder = QLabel("Curves appear here as training logs metrics.")
        self._placeholder.setObjectName("hint")
        self._placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._layout.addWidget(self._placeholder, 1)
        # The processor time of the frames (redraw + paint), smoothed: it paces the timer.
        self.frame_cpu = 0.0
        self.frame_paint_cpu = 0.0  # the part of the last frame's cost that was painting
        self.timer = QTimer(self)
        self.timer.setInterval(REDRAW_MS)
        self.timer.timeout.connect(self._tick)
        self.timer.start()

    def showEvent(self, event) -> None:
        self._ensure_graphics()
        super().showEvent(event)
        self.redraw()  # what arrived while hidden: the timer skips hidden curves

    def _tick(self) -> None:
        """A timer frame: redraw if there is something new and the curves are on screen."""
        if not self.isVisible() or self.store.version == self._drawn_version:
            return
        # The paint this frame's data asks for comes after this returns, so a frame is paced by
        # its own redraw plus what painting the curves took since the last frame.
        self.frame_paint_cpu = self._take_paint_cpu()
        began = time.thread_time()
        self.redraw()
        cost = time.thread_time() - began + self.frame_paint_cpu
        self.frame_cpu = cost if not self.frame_cpu else 0.7 * self.frame_cpu + 0.3 * cost
        self.timer.setInterval(frame_interval_ms(self.frame_cpu))

    def _take_paint_cpu(self) -> float:
        """Processor time the plots' paints took since the last call."""
        if self.graphics is None:
            return 0.0
        painted, self.graphics.paint_cpu = self.graphics.paint_cpu, 0.0
        return painted

    def _ensure_graphics(self) -> pg.GraphicsLayoutWidget:
        if self.graphics is None:
            import pyqtgraph as pg

            self._pg = pg
            self.graphics = _timed_graphics_class()()
            self.graphics.setBackground(self._theme["plot_bg"])
            self.graphics.setObjectName("curves")
            self._layout.replaceWidget(self._placeholder, self.graphics)
            self._placeholder.hide()
            self._drawn_version = -1
            QTimer.singleShot(0, self._make_spare)
        return self.graphics

    def _make_spare(self) -> None:
        """Build one spare plot, then come back on a later pass for the next."""
        if len(self._spares) + len(self.plots) < SPARE_PLOTS:
            self._spares.append(self._new_plot())
            QTimer.singleShot(0, self._make_spare)

    def _new_plot(self) -> pg.PlotItem:
        """A plot set up for any group: only the title and curves differ between groups."""
        plot = self._pg.PlotItem()
        # No grid: the axes draw it, across the whole plot, on every range change; it tripled
        # the cost of an axis repaint (~10 ms each with a model training beside it, measured).
        # No legend inside the plot (it sat on the curves): the title names each curve in its
        # colour, above the plot area (see _title).
        plot.titleLabel.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        plot.setClipToView(True)
        plot.setDownsampling(auto=True, mode="peak")
        # Ranges are kept by RangeKeeper, not pyqtgraph's per-point auto-range (see there).
        plot.enableAutoRange(False)
        plot.getViewBox().sigRangeChangedManually.connect(partial(self._ranged_by_user, id(plot)))
        plot.getAxis("bottom").setLabel("step")
        # Fixed axis sizes: an axis that fits itself to its tick labels ("0.001" -> "0.0005")
        # re-lays-out the plot grid, and every plot's axes and curves repaint (measured).
        plot.getAxis("left").setWidth(AXIS_WIDTH)
        plot.getAxis("bottom").setHeight(AXIS_HEIGHT)
        for axis in ("left", "bottom"):
            plot.getAxis(axis).enableAutoSIPrefix(False)
            plot.getAxis(axis).setTextPen(self._theme["plot_fg"])
            # Axes repaint whenever a curve does; their text costs ~3 ms each (measured).
            # A pixmap cache redraws them only when their ticks change, which is rare here.
            plot.getAxis(axis).setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        return plot

    def _ranged_by_user(self, key: int, *_args) -> None:
        """The user zoomed or panned this plot: its range is theirs from now on."""
        self.user_ranged.add(self._group_of.get(key, ""))

    def set_total_steps(self, total: int | None) -> None:
        """The run's length: the x axis then spans 0..total from the first point and stays put
        (a moving x axis repaints both axes and the grid of every plot: ~10 ms per axis here)."""
        total = float(total) if total else None
        if total == self._x_total:
            return
        self._x_total = total
        for group in self.plots:
            self.ranges[group] = (self._x_keeper(), self.ranges[group][1])

    def set_theme(self, theme: str | None) -> None:
        """Colours for another theme, applied now (Settings changes it while Studio runs)."""
        self._theme = current_theme(theme)
        if self.graphics is not None:
            self.graphics.setBackground(self._theme["plot_bg"])
        for plot in [*self.plots.values(), *self._spares]:
            for axis in ("left", "bottom"):
                plot.getAxis(axis).setTextPen(self._theme["plot_fg"])

    def set_store(self, store: CurveStore) -> None:
        self.store = store
        self._reset()
        self.force_redraw()

    def force_redraw(self, *_args) -> None:
        self._drawn_version = -1
        self.redraw()

    def _on_log(self, on: bool) -> None:
        for group, plot in self.plots.items():
            plot.setLogMode(y=on)
            self.ranges[group] = (self._x_keeper(), RangeKeeper())
        self.force_redraw()

    def _x_keeper(self) -> RangeKeeper:
        if self._x_total:
            return RangeKeeper(headroom=0.02, shrink_below=0)
        return RangeKeeper(headroom=0.25, shrink_below=0)

    def _plot_for(self, group: str) -> pg.PlotItem:
        plot = self.plots.get(group)
        if plot is None:
            if self.plots and len(self.plots) % 2 == 0:
                self.graphics.nextRow()
            plot = self._spares.pop(0) if self._spares else self._new_plot()
            plot.setTitle(group)
            plot.setLogMode(y=self.log_scale.isChecked())
            self._group_of[id(plot)] = group
            self.graphics.addItem(plot)
            self.ranges[group] = (self._x_keeper(), RangeKeeper())
            self.plots[group] = plot
        return plot

    def _reset(self) -> None:
        if self.graphics is not None:
            self.graphics.clear()
        # The plots are kept for the next run: emptied, they are as good as new.
        for plot in self.plots.values():
            plot.clear()
            plot.getViewBox().setRange(xRange=(0, 1), yRange=(0, 1), padding=0)
            self._spares.append(plot)
        self._group_of.clear()
        self.plots.clear()
        self.curves.clear()
        self.smoothers.clear()
        self.ranges.clear()
        self.user_ranged.clear()

    def redraw(self) -> None:
        store = self.store
        if store.version == self._drawn_version or (self.graphics is None and not store.series):
            return
        self._ensure_graphics()
        pg = self._pg
        if not store.series and self.plots:
            self._reset()
        weight = self.smoothing.value() / 100
        for group, names in store.groups().items():
            plot = self._plot_for(group)
            for name in names:
                curve = self.curves.get(name)
                if curve is None:
                    curve = plot.plot(pen=pg.mkPen(colour_for(name), width=2), name=name)
                    plot.setTitle(_title(group, [n for n in names if n in self.curves] + [name]))
                    # Peak downsampling keeps each pixel column's min and max; pyqtgraph's default
                    # factor (5) keeps five columns' worth, the same picture at up to 5x the
                    # vertices: a 6000-step frame cost 19 ms, 9 ms with 1 (measured).
                    curve.opts["autoDownsampleFactor"] = 1.0
                    self.curves[name] = curve
                series = store.series[name]
                values = self.smoothers.setdefault(name, Smoother()).update(series.values, weight)
                if self.log_scale.isChecked():
                    values = np.where(values > 0, values, np.nan)
                curve.setData(series.steps, values)
                # A one-point series (lm's base model, measured before step 1) is the starting
                # point the other curves are read against: a line of one point draws nothing, so
                # it gets a marker (and loses it once it has a second point).
                marker = "o" if len(series.steps) == 1 else None
                if curve.opts.get("symbol") != marker:
                    curve.setSymbol(marker)
                    curve.setSymbolSize(9)
                    curve.setSymbolBrush(colour_for(name))
            self._keep_range(group, names)
        self._drawn_version = store.version
        self.redraws += 1

    def _keep_range(self, group: str, names: list[str]) -> None:
        if group in self.user_ranged:
            return
        x_keeper, y_keeper = self.ranges[group]
        steps = [self.store.series[n].steps for n in names if self.store.series[n].size]
        shown = [self.curves[n].yData for n in names if self.curves[n].yData is not None]
        if not steps or not shown:
            return
        values = np.concatenate(shown)
        if self.log_scale.isChecked():
            values = np.log10(values[values > 0])
        values = values[np.isfinite(values)]
        if not len(values):
            return
        x = x_keeper.update(0.0, max([float(s[-1]) for s in steps] + [self._x_total or 0.0]))
        y = y_keeper.update(float(values.min()), float(values.max()))
        if x is not None or y is not None:
            self.plots[group].setRange(xRange=x, yRange=y, padding=0)

    def point_count(self, name: str) -> int:
        """Points the curve holds (what the user can zoom into), for tests."""
        curve = self.curves.get(name)
        if curve is None or curve.xData is None:
            return 0
        return len(curve.xData)
