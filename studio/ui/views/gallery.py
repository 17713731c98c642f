"""The image gallery: a zoomable grid; save, copy, drag out, and the metadata to re-run exactly."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QMimeData, QSize, Qt, QUrl, Signal
from PySide6.QtGui import QGuiApplication, QIcon, QImage, QPixmap
from PySide6.QtWidgets import QFileDialog, QListView, QListWidget, QListWidgetItem, QMenu

ITEM_ROLE = Qt.ItemDataRole.UserRole


@dataclass
class GalleryItem:
    """One image and what made it: enough to re-run it exactly, alone."""

    image: QImage
    path: Path | None = None
    seed: int | None = None
    label: str = ""
    request: dict[str, Any] = field(default_factory=dict)
    index: int = 0


def to_qimage(pixels: np.ndarray) -> QImage:
    """uint8 HxWxC (C = 1 or 3) -> an owned QImage (copied: the array may go away)."""
    pixels = np.ascontiguousarray(pixels)
    if pixels.ndim == 3 and pixels.shape[2] == 1:
        pixels = np.ascontiguousarray(pixels[:, :, 0])
    height, width = pixels.shape[:2]
    if pixels.ndim == 2:
        image = QImage(pixels.data, width, height, width, QImage.Format.Format_Grayscale8)
    else:
        image = QImage(pixels.data, width, height, width * 3, QImage.Format.Format_RGB888)
    return image.copy()


class Gallery(QListWidget):
    rerun_requested = Signal(object)  # GalleryItem

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("gallery")
        self.setViewMode(QListView.ViewMode.IconMode)
        self.setResizeMode(QListView.ResizeMode.Adjust)
        self.setMovement(QListView.Movement.Static)
        self.setSelectionMode(QListWidget.SelectionMode.ExtendedSelection)
        self.setDragEnabled(True)
        self.setDragDropMode(QListWidget.DragDropMode.DragOnly)
        self.setSpacing(6)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.customContextMenuRequested.connect(self._menu)
        self.set_zoom(128)

    def set_zoom(self, size: int) -> None:
        self.setIconSize(QSize(size, size))
        self.setGridSize(QSize(size + 16, size + 30))
        for row in range(self.count()):
            self._refresh_icon(self.item(row))

    def add(self, entry: GalleryItem) -> QListWidgetItem:
        item = QListWidgetItem(
            entry.label or (f"seed {entry.seed}" if entry.seed is not None else "")
        )
        item.setData(ITEM_ROLE, entry)
        item.setToolTip(str(entry.path or ""))
        self._refresh_icon(item)
        self.addItem(item)
        return item

    def _refresh_icon(self, item: QListWidgetItem) -> None:
        entry: GalleryItem = item.data(ITEM_ROLE)
        size = self.iconSize()
        # Pixel art stays crisp when zoomed: nearest-neighbour scaling.
        pixmap = QPixmap.fromImage(entry.image).scaled(
            size, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.FastTransformation
        )
        item.setIcon(QIcon(pixmap))

    def entries(self) -> list[GalleryItem]:
        return [self.item(i).data(ITEM_ROLE) for i in range(self.count())]

    def selected_entries(self) -> list[GalleryItem]:
        return [item.data(ITEM_ROLE) for item in self.selectedItems()]

    # -- drag out: the files themselves, so another app (or the desktop) gets the PNG -----------

    def mimeData(self, items: list[QListWidgetItem]) -> QMimeData:
        mime = QMimeData()
        entries = [item.data(ITEM_ROLE) for item in items]
        mime.setUrls([QUrl.fromLocalFile(str(e.path)) for e in entries if e.path])
        if entries:
            mime.setImageData(entries[0].image)
        return mime

    # -- actions --------------------------------------------------------------------------------

    def copy_selected(self) -> None:
        entries = self.selected_entries()
        if entries:
            QGuiApplication.clipboard().setImage(entries[0].image)

    def save_selected(self) -> list[Path]:
        saved = []
        for entry in self.selected_entries():
            name, _ = QFileDialog.getSaveFileName(
                self, "Save image", entry.path.name if entry.path else "image.png", "PNG (*.png)"
            )
            if name:
                if entry.path and entry.path.is_file():
                    Path(name).write_bytes(entry.path.read_bytes())  # keeps the embedded metadata
                else:
                    entry.image.save(name)
                saved.append(Path(name))
        return saved

    def _menu(self, position) -> None:
        item = self.itemAt(position)
        if item is None:
            return
        menu = QMenu(self)
        menu.addAction("Save as…", self.save_selected)
        menu.addAction("Copy", self.copy_selected)
        menu.addAction("Re-run exactly", self._rerun_current)
        menu.exec(self.viewport().mapToGlobal(position))

    def _rerun_current(self) -> None:
        entries = self.selected_entries()
        if entries:
            self.rerun_requested.emit(entries[0])
