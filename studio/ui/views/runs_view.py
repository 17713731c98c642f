"""Runs: every past training run with its status and curves, read back from metrics.jsonl."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QStandardPaths, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from studio.api import StudioError
from studio.engine import (
    export_metrics,
    latest_view,
    list_runs,
    read_metrics,
    remove_run,
    resume_problem,
)

from ..models.curves import CurveStore
from ..session import Session
from .confirm import confirm, offer_resume
from .curves import CurvesView
from .nearest_view import NearestView
from .voice_report_view import VoiceReportView

COLUMNS = ["Run", "Generator", "Status", "Step", "Checkpoints", "Created"]
PATH_ROLE = Qt.ItemDataRole.UserRole
LIVE_MS = 2000


class RunsView(QWidget):
    resume_requested = Signal(str)  # the run's folder

    def __init__(self, session: Session, theme: str | None = None, parent=None) -> None:
        super().__init__(parent)
        self.session = session
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setObjectName("runsTable")
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.verticalHeader().hide()
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QTableWidget.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.table.currentCellChanged.connect(self._on_row)
        self.curves = CurvesView(CurveStore(), theme)
        self.detail = QLabel("Select a run to see its curves.")
        self.detail.setObjectName("hint")
        self.detail.setWordWrap(True)
        self.resume_button = QPushButton("Resume")
        self.resume_button.setEnabled(False)
        self.resume_button.clicked.connect(self._resume)
        self.export_button = QPushButton("Export CSV…")
        self.export_button.setToolTip("Save this run's metrics as a CSV file (one row per step)")
        self.export_button.clicked.connect(self.export_selected)
        self.remove_button = QPushButton("Remove…")
        self.remove_button.setToolTip("Delete this run's folder; its model in the library stays")
        self.remove_button.clicked.connect(self.remove_selected)
        refresh = QPushButton("Refresh")
        refresh.clicked.connect(self.refresh)
        buttons = QHBoxLayout()
        buttons.addWidget(self.resume_button)
        buttons.addWidget(self.export_button)
        buttons.addWidget(self.remove_button)
        buttons.addWidget(refresh)
        buttons.addStretch()
        top = QWidget()
        top_layout = QVBoxLayout(top)
        top_layout.setContentsMargins(0, 0, 0, 0)
        top_layout.addWidget(self.table)
        top_layout.addLayout(buttons)
        bottom = QWidget()
        bottom_layout = QVBoxLayout(bottom)
        bottom_layout.setContentsMargins(0, 0, 0, 0)
        bottom_layout.addWidget(self.detail)
        self.voice = VoiceReportView()  # shown for runs with a voice report
        self.nearest = NearestView()
        graphs = QSplitter(Qt.Orientation.Horizontal)
        graphs.addWidget(self.curves)
        graphs.addWidget(self.nearest)
        graphs.setSizes([560, 300])
        bottom_layout.addWidget(graphs, 1)
        bottom_layout.addWidget(self.voice, 1)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(top)
        splitter.addWidget(bottom)
        splitter.setSizes([220, 420])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(splitter)
        self.runs = []
        self._stale = True
        # While the view is on screen and a run is training (here or from the command line),
        # its row follows it: re-read every few seconds, never while the view is hidden.
        self.live = QTimer(self)
        self.live.setInterval(LIVE_MS)
        self.live.timeout.connect(self._follow_running)
        session.library_changed.connect(self.refresh)
        self.refresh()

    def refresh(self, *_args) -> None:
        """Re-read the runs now if the view is on screen, else when it is next shown or asked.

        Runs change as a job starts and ends, and re-reading every run (and redrawing the
        selected one's curves) on the UI thread then stalled the Train view (measured).
        """
        self._stale = True
        if self.isVisible():
            self._reload()

    def showEvent(self, event) -> None:
        if self._stale:
            self._reload()
        self.live.start()
        super().showEvent(event)

    def hideEvent(self, event) -> None:
        self.live.stop()
        super().hideEvent(event)

    def _follow_running(self) -> None:
        if any(run.status == "running" for run in self.runs) or self._new_runs():
            self._reload()

    def _new_runs(self) -> bool:
        runs = self.session.home.runs
        return runs.is_dir() and sum(1 for _ in runs.iterdir()) != len(self.runs)

    def _fresh(self) -> None:
        if self._stale:
            self._reload()

    def _reload(self) -> None:
        self._stale = False
        selected = self.selected_path()
        self.runs = list(reversed(list_runs(self.session.home.runs)))  # newest first
        self.table.setRowCount(len(self.runs))
        for row, run in enumerate(self.runs):
            summary = run.summary()
            total = summary.get("total_steps")
            cells = [
                run.name,
                str(summary.get("generator", "")),
                summary["status"],
                f"{summary['step']}/{total}" if total else str(summary["step"]),
                ", ".join(str(s) for s in summary["checkpoints"]),
                str(summary.get("created", ""))[:16].replace("T", " "),
            ]
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setData(PATH_ROLE, str(run.path))
                self.table.setItem(row, column, item)
        self.table.resizeColumnsToContents()
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        names = [str(r.path) for r in self.runs]
        if selected in names:
            self.table.selectRow(names.index(selected))
            self._on_row(names.index(selected))

    def run_names(self) -> list[str]:
        self._fresh()
        return [r.name for r in self.runs]

    def selected_path(self) -> str | None:
        row = self.table.currentRow()
        return str(self.runs[row].path) if 0 <= row < len(self.runs) else None

    def select(self, name: str) -> None:
        row = self.run_names().index(name)
        self.table.selectRow(row)
        self._on_row(row)

    def _on_row(self, row: int, *_args) -> None:
        if not 0 <= row < len(self.runs):
            return
        run = self.runs[row]
        store = CurveStore()
        store.extend((r["step"], r["values"]) for r in read_metrics(run.metrics_file))
        self.curves.set_store(store)
        self.voice.show_run(run.path)
        report = run.info.get("report") or {}
        skipped = len(report.get("skipped", []))
        self.detail.setText(
            f"{run.name}: {run.status}, step {run.info.get('step', 0)}; data {run.info.get('data')}"
            + (f" ({skipped} file(s) skipped)" if skipped else "")
        )
        offer_resume(self.resume_button, resume_problem(run))
        found = latest_view(run.path)
        if found is None:
            self.nearest.clear("This run has no memorisation view (image generators make one).")
        else:
            self.nearest.show_file(*found)

    def export_selected(self) -> Path | None:
        run = self._selected_run()
        if run is None:
            return None
        folder = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
        name, _ = QFileDialog.getSaveFileName(
            self,
            "Export metrics",
            str(Path(folder or Path.home()) / f"{run.name}-metrics.csv"),
            "CSV (*.csv)",
        )
        if not name:
            return None
        return export_metrics(self.session.home, str(run.path), Path(name))

    def remove_selected(self) -> bool:
        run = self._selected_run()
        if run is None:
            return False
        if not confirm(
            self,
            "Remove the run?",
            f"Delete run “{run.name}” with its checkpoints, previews and metrics? "
            "A model it published stays in the library. This cannot be undone.",
        ):
            return False
        try:
            remove_run(self.session.home, str(run.path))
        except StudioError as error:
            self.detail.setText(f"Not removed: {error}")
            return False
        self.session.library_changed.emit()
        self._reload()
        return True

    def _selected_run(self):
        row = self.table.currentRow()
        return self.runs[row] if 0 <= row < len(self.runs) else None

    def _resume(self) -> None:
        path = self.selected_path()
        if path:
            self.resume_requested.emit(path)
