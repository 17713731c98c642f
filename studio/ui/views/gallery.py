"""The image gallery: a zoomable grid; save, copy, drag out, view larger, and the metadata to
re-run exactly. New images scroll into view.

An animation (an interpolation walk) plays in its cell, on one timer shared by the gallery that
runs only while the gallery is on screen and has something to play.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import (
    QElapsedTimer,
    QMimeData,
    QSize,
    QStandardPaths,
    Qt,
    QTimer,
    QUrl,
    Signal,
)
from PySide6.QtGui import QGuiApplication, QIcon, QImage, QPixmap
from PySide6.QtWidgets import (
    QDialog,
    QFileDialog,
    QLabel,
    QListView,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QVBoxLayout,
)

ITEM_ROLE = Qt.ItemDataRole.UserRole
MIN_FRAME_MS = 20  # the player's fastest tick: 50 frames a second


@dataclass
class GalleryItem:
    """One image and what made it: enough to re-run it exactly, alone."""

    image: QImage
    path: Path | None = None
    seed: int | None = None
    label: str = ""
    request: dict[str, Any] = field(default_factory=dict)
    index: int = 0
    # An animation: its frames, each shown frame_ms, and the animated file the exporter wrote.
    frames: tuple[QImage, ...] = ()
    frame_ms: int = 100
    animation: Path | None = None


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


@dataclass
class _Playing:
    """An animated cell: its frames' icons at the current zoom, the frame shown, the next's due."""

    item: QListWidgetItem
    icons: list[QIcon]
    frame_ms: int
    frame: int = 0
    due: int = 0  # ms on the gallery's clock


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
        self.itemDoubleClicked.connect(self.enlarge)
        # Where Save as… opens: the user's pictures folder, then wherever they saved last.
        self.save_folder = Path(
            QStandardPaths.writableLocation(QStandardPaths.StandardLocation.PicturesLocation)
            or Path.home()
        )
        # Animated cells, by id of their item.
        self._animated: dict[int, _Playing] = {}
        self._clock = QElapsedTimer()
        self._clock.start()
        self._player = QTimer(self)
        self._player.timeout.connect(self._advance)
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
        item.setToolTip(str(entry.animation or entry.path or ""))
        self._refresh_icon(item)
        self.addItem(item)
        self._update_player()
        self.scrollToItem(item)  # a new image lands in view, not below the fold
        return item

    def _icon(self, image: QImage) -> QIcon:
        # Pixel art stays crisp when zoomed: nearest-neighbour scaling.
        pixmap = QPixmap.fromImage(image).scaled(
            self.iconSize(),
            Qt.AspectRatioMode.KeepAspectRatio,
            Qt.TransformationMode.FastTransformation,
        )
        return QIcon(pixmap)

    def _refresh_icon(self, item: QListWidgetItem) -> None:
        entry: GalleryItem = item.data(ITEM_ROLE)
        if entry.frames:
            icons = [self._icon(frame) for frame in entry.frames]
            self._animated[id(item)] = _Playing(item, icons, entry.frame_ms)
            item.setIcon(icons[0])
        else:
            item.setIcon(self._icon(entry.image))

    # -- animations -----------------------------------------------------------------------------

    def shown_frame(self, item: QListWidgetItem) -> int | None:
        """The frame an animated cell shows now (None for a still image)."""
        playing = self._animated.get(id(item))
        return playing.frame if playing else None

    def _advance(self) -> None:
        # One frame at a time, each when its time is up: no frame is ever skipped, and a late
        # tick (a busy moment) slows the walk down rather than making it jump.
        now = self._clock.elapsed()
        for playing in self._animated.values():
            if now < playing.due:
                continue
            playing.frame = (playing.frame + 1) % len(playing.icons)
            playing.due = now + max(1, playing.frame_ms)
            playing.item.setIcon(playing.icons[playing.frame])

    def _update_player(self) -> None:
        if self._animated and self.isVisible():
            shortest = min(playing.frame_ms for playing in self._animated.values())
            self._player.setInterval(max(MIN_FRAME_MS, min(shortest, 100)))
            self._player.start()
        else:
            self._player.stop()

    def showEvent(self, event) -> None:
        super().showEvent(event)
        self._update_player()

    def hideEvent(self, event) -> None:
        super().hideEvent(event)
        self._update_player()

    def clear(self) -> None:
        self._animated.clear()
        super().clear()
        self._update_player()

    def entries(self) -> list[GalleryItem]:
        return [self.item(i).data(ITEM_ROLE) for i in range(self.count())]

    def selected_entries(self) -> list[GalleryItem]:
        return [item.data(ITEM_ROLE) for item in self.selectedItems()]

    # -- drag out: the files themselves, so another app (or the desktop) gets the PNG -----------

    def mimeData(self, items: list[QListWidgetItem]) -> QMimeData:
        mime = QMimeData()
        entries = [item.data(ITEM_ROLE) for item in items]
        # An animation goes out as its animated file; a still as its PNG (metadata embedded).
        files = [e.animation or e.path for e in entries]
        mime.setUrls([QUrl.fromLocalFile(str(f)) for f in files if f])
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
            source = entry.animation or entry.path
            kind = source.suffix.lstrip(".").upper() if source else "PNG"
            name, _ = QFileDialog.getSaveFileName(
                self,
                "Save image",
                str(self.save_folder / (source.name if source else "image.png")),
                f"{kind} (*.{kind.lower()})",
            )
            if name:
                self.save_folder = Path(name).parent
                if source and source.is_file():
                    Path(name).write_bytes(source.read_bytes())  # keeps the embedded metadata
                else:
                    entry.image.save(name)
                saved.append(Path(name))
        return saved

    def _menu(self, position) -> None:
        item = self.itemAt(position)
        if item is None:
            return
        menu = QMenu(self)
        menu.addAction("View larger", lambda: self.enlarge(item))
        menu.addAction("Save as…", self.save_selected)
        menu.addAction("Copy", self.copy_selected)
        menu.addAction("Re-run exactly", self._rerun_current)
        menu.exec(self.viewport().mapToGlobal(position))

    def _rerun_current(self) -> None:
        entries = self.selected_entries()
        if entries:
            self.rerun_requested.emit(entries[0])

    def enlarge(self, item: QListWidgetItem | None) -> QDialog | None:
        """The image in a window of its own, as large as fits (double-click, or View larger)."""
        if item is None:
            return None
        entry: GalleryItem = item.data(ITEM_ROLE)
        viewer = QDialog(self)
        viewer.setWindowTitle(item.text() or "Image")
        label = QLabel()
        label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        side = min(768, max(256, 8 * max(entry.image.width(), entry.image.height())))
        label.setPixmap(
            QPixmap.fromImage(entry.image).scaled(
                side,
                side,
                Qt.AspectRatioMode.KeepAspectRatio,
                Qt.TransformationMode.FastTransformation,  # pixels stay crisp
            )
        )
        QVBoxLayout(viewer).addWidget(label)
        viewer.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        viewer.show()
        return viewer
