"""Live training curves: one pyqtgraph plot per metric group, smoothing, log scale.

Bound to a Qt-free :class:`CurveStore`. The store takes every point as it arrives; this widget
redraws on its own timer at most 10 times a second, and only when the store changed, with
``setData`` on numpy views (never a redraw per point: measured at 0.2–0.3x training speed).
Long runs are clipped to the view and downsampled by pyqtgraph.

pyqtgraph costs ~0.4-0.6 s to import (it walks every Qt enum), so it is imported when a curve
view is first shown or first has data, not while the window opens.
"""

from __future__ import annotations

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

# 5 Hz: live to the eye, and half the UI-thread (GIL) time of 10 Hz while a model trains.
REDRAW_MS = 200


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
        self.timer = QTimer(self)
        self.timer.setInterval(REDRAW_MS)
        self.timer.timeout.connect(self.redraw)
        self.timer.start()

    def showEvent(self, event) -> None:
        self._ensure_graphics()
        super().showEvent(event)

    def _ensure_graphics(self) -> pg.GraphicsLayoutWidget:
        if self.graphics is None:
            import pyqtgraph as pg

            self._pg = pg
            self.graphics = pg.GraphicsLayoutWidget()
            self.graphics.setBackground(self._theme["plot_bg"])
            self.graphics.setObjectName("curves")
            self._layout.replaceWidget(self._placeholder, self.graphics)
            self._placeholder.hide()
            self._drawn_version = -1
        return self.graphics

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
            self.ranges[group] = (RangeKeeper(headroom=0.25, shrink_below=0), RangeKeeper())
        self.force_redraw()

    def _plot_for(self, group: str) -> pg.PlotItem:
        plot = self.plots.get(group)
        if plot is None:
            if self.plots and len(self.plots) % 2 == 0:
                self.graphics.nextRow()
            plot = self.graphics.addPlot(title=group)
            plot.showGrid(x=True, y=True, alpha=0.15)
            legend = plot.addLegend(offset=(-10, 10))
            legend.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
            plot.titleLabel.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
            plot.setClipToView(True)
            plot.setDownsampling(auto=True, mode="peak")
            plot.setLogMode(y=self.log_scale.isChecked())
            # Ranges are kept by RangeKeeper, not pyqtgraph's per-point auto-range (see there).
            plot.enableAutoRange(False)
            plot.getViewBox().sigRangeChangedManually.connect(
                lambda *_args, group=group: self.user_ranged.add(group)
            )
            self.ranges[group] = (RangeKeeper(headroom=0.25, shrink_below=0), RangeKeeper())
            plot.getAxis("bottom").setLabel("step")
            for axis in ("left", "bottom"):
                plot.getAxis(axis).setTextPen(self._theme["plot_fg"])
                # Axes repaint whenever a curve does; their text costs ~3 ms each (measured).
                # A pixmap cache redraws them only when their ticks change, which is rare here.
                plot.getAxis(axis).setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
            self.plots[group] = plot
        return plot

    def _reset(self) -> None:
        if self.graphics is not None:
            self.graphics.clear()
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
                    colour = CURVE_COLOURS[len(self.curves) % len(CURVE_COLOURS)]
                    curve = plot.plot(pen=pg.mkPen(colour, width=2), name=name)
                    self.curves[name] = curve
                series = store.series[name]
                values = self.smoothers.setdefault(name, Smoother()).update(series.values, weight)
                if self.log_scale.isChecked():
                    values = np.where(values > 0, values, np.nan)
                curve.setData(series.steps, values)
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
        x = x_keeper.update(0.0, max(float(s[-1]) for s in steps))
        y = y_keeper.update(float(values.min()), float(values.max()))
        if x is not None or y is not None:
            self.plots[group].setRange(xRange=x, yRange=y, padding=0)

    def point_count(self, name: str) -> int:
        """Points the curve holds (what the user can zoom into), for tests."""
        curve = self.curves.get(name)
        if curve is None or curve.xData is None:
            return 0
        return len(curve.xData)
