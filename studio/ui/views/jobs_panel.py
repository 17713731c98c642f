"""The jobs panel: the device queue (reorderable), jobs running beside it, and finished jobs;
cancel, move up or down, failure details. Every row is drawn from the session's job table."""

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

from ..eta import format_eta
from ..models.jobs import QUEUED, RUNNING, JobRecord
from ..session import Session
from .details import failure_box

ID_ROLE = Qt.ItemDataRole.UserRole


STATE_TEXTS = ("running beside", "waiting beside", "waiting (10 in queue)", "cancelled")


def describe_state(record: JobRecord, place: int | None, ahead_in_lane: int = 0) -> str:
    """``place``: in the device queue; ``ahead_in_lane``: jobs before it in its side lane."""
    if record.state == QUEUED:
        if not record.device:
            return "waiting beside" if ahead_in_lane else "starting"
        return "next" if place == 0 else f"waiting ({place + 1} in queue)"
    if record.state == RUNNING and not record.device:
        return "running beside"
    return record.state


def describe_progress(record: JobRecord) -> str:
    if record.failure is not None:
        return record.failure.message[:80]
    if not record.total:
        return ""
    text = f"{record.done}/{record.total}"
    if record.state == RUNNING and record.eta_seconds is not None and record.done < record.total:
        text += f"  ·  {format_eta(record.eta_seconds)} left"
    return text


class JobsPanel(QWidget):
    def __init__(self, session: Session, parent=None) -> None:
        super().__init__(parent)
        self.session = session
        self.items: dict[int, QTreeWidgetItem] = {}
        self.tree = QTreeWidget()
        self.tree.setObjectName("jobsTree")
        self.tree.setHeaderLabels(["Job", "State", "Progress"])
        self.tree.setRootIsDecorated(False)
        self.tree.header().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        # As wide as the longest state, so "running beside" (an import, a check) is never cut.
        widest = max(self.fontMetrics().horizontalAdvance(t) for t in STATE_TEXTS)
        self.tree.setColumnWidth(1, widest + 24)
        self.tree.itemDoubleClicked.connect(self._details)
        self.tree.currentItemChanged.connect(self._update_buttons)
        self.cancel_button = QPushButton("Cancel job")
        self.cancel_button.setObjectName("cancelJob")
        self.cancel_button.clicked.connect(self.cancel_selected)
        self.up_button = QPushButton("Move up")
        self.up_button.setToolTip("Run this waiting job sooner")
        self.up_button.clicked.connect(lambda: self.move_selected(-1))
        self.down_button = QPushButton("Move down")
        self.down_button.setToolTip("Run this waiting job later")
        self.down_button.clicked.connect(lambda: self.move_selected(1))
        self.details_button = QPushButton("Details…")
        self.details_button.clicked.connect(lambda: self._details(self.tree.currentItem()))
        buttons = QHBoxLayout()
        for button in (self.cancel_button, self.up_button, self.down_button, self.details_button):
            buttons.addWidget(button)
        buttons.addStretch()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.tree)
        layout.addLayout(buttons)
        session.job_changed.connect(self._on_changed)
        self._update_buttons()

    def _on_changed(self, job_id: int) -> None:
        record = self.session.jobs.get(job_id)
        if record is None:
            return
        item = self.items.get(job_id)
        if item is None:
            item = QTreeWidgetItem([record.title, "", ""])
            item.setData(0, ID_ROLE, job_id)
            self.tree.insertTopLevelItem(0, item)
            self.items[job_id] = item
            self.tree.setCurrentItem(item)
        self._draw(record)
        # Queue positions shift for every waiting job when one is added, moves or starts; a side
        # lane's next job stops waiting when the one before it ends.
        for other in self.session.jobs:
            if other.state == QUEUED and other is not record:
                self._draw(other)
        self._update_buttons()

    def _draw(self, record: JobRecord) -> None:
        item = self.items.get(record.id)
        if item is None:
            return
        waiting = [r.id for r in self.session.jobs.waiting()]
        place = waiting.index(record.id) if record.id in waiting else None
        ahead = self.session.jobs.ahead_in_lane(record)
        item.setText(1, describe_state(record, place, ahead))
        item.setText(2, describe_progress(record))
        if record.failure is not None:
            item.setToolTip(1, record.failure.message)

    def state(self, job_id: int) -> str:
        record = self.session.jobs.get(job_id)
        return record.state if record else ""

    def selected(self) -> JobRecord | None:
        item = self.tree.currentItem()
        return self.session.jobs.get(item.data(0, ID_ROLE)) if item is not None else None

    def cancel_selected(self) -> None:
        record = self.selected()
        if record is not None:
            self.session.cancel(record.id)

    def move_selected(self, offset: int) -> None:
        record = self.selected()
        if record is None or record.state != QUEUED or not record.device:
            return
        waiting = [r.id for r in self.session.jobs.waiting()]
        self.session.move(record.id, max(0, waiting.index(record.id) + offset))

    def _update_buttons(self, *_args) -> None:
        record = self.selected()
        waiting = [r.id for r in self.session.jobs.waiting()]
        movable = record is not None and record.id in waiting
        self.cancel_button.setEnabled(record is not None and not record.ended)
        self.up_button.setEnabled(movable and waiting.index(record.id) > 0)
        self.down_button.setEnabled(movable and waiting.index(record.id) < len(waiting) - 1)
        self.details_button.setEnabled(record is not None and record.failure is not None)

    def _details(self, item: QTreeWidgetItem | None) -> None:
        record = self.session.jobs.get(item.data(0, ID_ROLE)) if item is not None else None
        if record is not None and record.failure is not None:
            failure_box(self, record.title, record.failure).exec()
