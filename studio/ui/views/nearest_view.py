"""The memorisation view: generated images beside their nearest training images, with distances.

It only shows a picture the generator drew (a sheet of pairs with ``d=`` under each) and a
caption; the Train view feeds it live previews, the Runs view a run's latest one from disk.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import QLabel, QScrollArea, QVBoxLayout, QWidget

HINT = (
    "Each generated image beside its nearest training image, with their distance (0: a copy). "
    "Distances far below the folder's own spacing mean the model copies rather than invents."
)


class NearestView(QWidget):
    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("nearestView")
        self.caption = QLabel("No memorisation view yet.")
        self.caption.setObjectName("hint")
        self.caption.setWordWrap(True)
        self.caption.setToolTip(HINT)
        self.picture = QLabel()
        self.picture.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.picture)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.caption)
        layout.addWidget(scroll, 1)
        self.image: QImage | None = None

    def show_image(self, image: QImage, caption: str) -> None:
        self.image = image
        # Small sheets (32 px pairs) are doubled so a designer can see them; never blurred.
        scale = 2 if image.width() < 400 else 1
        pixmap = QPixmap.fromImage(image)
        if scale > 1:
            pixmap = pixmap.scaled(
                image.width() * scale, image.height() * scale, Qt.AspectRatioMode.KeepAspectRatio
            )
        self.picture.setPixmap(pixmap)
        self.caption.setText(caption)

    def show_file(self, path: Path | None, caption: str) -> None:
        image = QImage(str(path)) if path is not None else QImage()
        if image.isNull():
            self.clear(caption)
        else:
            self.show_image(image, caption)

    def clear(self, caption: str = "No memorisation view yet.") -> None:
        self.image = None
        self.picture.clear()
        self.caption.setText(caption)
