"""The jobs panel: queued, running and finished jobs with progress; cancel; failure details."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from studio.engine import Cancelled, Failed, Finished, Progress, Started

from ..eta import format_eta
from ..session import Session
from .details import failure_box

ID_ROLE = Qt.ItemDataRole.UserRole


class JobsPanel(QWidget):
    def __init__(self, session: Session, parent=None) -> None:
        super().__init__(parent)
        self.session = session
        self.items: dict[int, QTreeWidgetItem] = {}
        self.failures: dict[int, Failed] = {}
        self.tree = QTreeWidget()
        self.tree.setObjectName("jobsTree")
        self.tree.setHeaderLabels(["Job", "State", "Progress"])
        self.tree.setRootIsDecorated(False)
        self.tree.header().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.tree.itemDoubleClicked.connect(self._details)
        self.cancel_button = QPushButton("Cancel job")
        self.cancel_button.setObjectName("cancelJob")
        self.cancel_button.clicked.connect(self.cancel_selected)
        self.details_button = QPushButton("Details…")
        self.details_button.clicked.connect(lambda: self._details(self.tree.currentItem()))
        buttons = QHBoxLayout()
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.details_button)
        buttons.addStretch()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.tree)
        layout.addLayout(buttons)
        session.job_queued.connect(self._on_queued)
        session.events.connect(self._on_events)

    def _on_queued(self, job_id: int, title: str, _kind: str) -> None:
        item = QTreeWidgetItem([title, "queued", ""])
        item.setData(0, ID_ROLE, job_id)
        self.tree.insertTopLevelItem(0, item)
        self.items[job_id] = item
        self.tree.setCurrentItem(item)

    def _on_events(self, job_id: int, events: list) -> None:
        item = self.items.get(job_id)
        if item is None:
            return
        for event in events:
            if isinstance(event, Started):
                item.setText(1, "running")
            elif isinstance(event, Progress) and event.total:
                text = f"{event.done}/{event.total}"
                if event.eta_seconds is not None and event.done < event.total:
                    text += f"  ·  {format_eta(event.eta_seconds)} left"
                item.setText(2, text)
            elif isinstance(event, Finished):
                item.setText(1, "done")
            elif isinstance(event, Cancelled):
                item.setText(1, "cancelled")
            elif isinstance(event, Failed):
                item.setText(1, "failed")
                item.setToolTip(1, event.message)
                item.setText(2, event.message[:80])
                self.failures[job_id] = event

    def state(self, job_id: int) -> str:
        item = self.items.get(job_id)
        return item.text(1) if item else ""

    def cancel_selected(self) -> None:
        item = self.tree.currentItem()
        if item is not None:
            self.session.cancel(item.data(0, ID_ROLE))

    def _details(self, item: QTreeWidgetItem | None) -> None:
        if item is None:
            return
        failure = self.failures.get(item.data(0, ID_ROLE))
        if failure is not None:
            failure_box(self, item.text(0), failure).exec()
