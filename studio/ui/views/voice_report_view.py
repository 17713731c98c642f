"""The voice report of a run, in the Runs view: figures per model, warnings, and the samples
beside the writer's real continuations. Reads the run's voice-report.json (``studio evaluate``
writes it); hidden for runs that have none.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import (
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from studio.engine import VOICE_REPORT_FILE, read_json

COLUMNS = ["Model", "Bits per byte", "Copy rate", "Longest copy (words)", "Style distance"]


class VoiceReportView(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = QLabel()
        self.warnings = QLabel()
        self.warnings.setObjectName("warning")
        self.warnings.setWordWrap(True)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.samples = QTextBrowser()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        for widget in (self.title, self.warnings, self.table, self.samples):
            layout.addWidget(widget)
        self.report: dict[str, Any] | None = None
        self.hide()

    def show_run(self, run_path: Path) -> None:
        self.report = read_json(Path(run_path) / VOICE_REPORT_FILE)
        if not isinstance(self.report, dict) or "models" not in self.report:
            self.report = None
            self.hide()
            return
        report = self.report
        self.title.setText(f"Voice report ({str(report.get('created', ''))[:16]})")
        self.warnings.setText("\n".join(report.get("warnings", [])))
        self.warnings.setVisible(bool(report.get("warnings")))
        models = report["models"]
        self.table.setRowCount(len(models))
        for row, (label, entry) in enumerate(models.items()):
            bits = entry.get("bits_per_byte")
            cells = [
                label,
                f"{bits:.3f}" if bits is not None else "not measured",
                f"{entry['copying']['rate']:.1%}",
                str(entry["copying"]["longest_words"]),
                f"{entry['style_distance']:.3f}",
            ]
            for column, text in enumerate(cells):
                self.table.setItem(row, column, QTableWidgetItem(text))
        self.samples.setHtml(_samples_html(report.get("samples", [])))
        self.show()


def _samples_html(samples: list[dict[str, Any]]) -> str:
    parts = []
    for number, sample in enumerate(samples, 1):
        rows = [f"<p><b>Prompt {number}</b>: {html.escape(sample['prompt'])}</p>"]
        rows.append(f"<p><i>Real continuation</i>: {html.escape(sample['real'])}</p>")
        for label, text in sample.get("generated", {}).items():
            rows.append(f"<p><i>{html.escape(label)}</i>: {html.escape(text)}</p>")
        parts.append("".join(rows) + "<hr>")
    return "".join(parts)
