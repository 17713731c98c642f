"""A seed field with a dice button: every output records its seed, so it can be remade."""

from __future__ import annotations

import random

from PySide6.QtWidgets import QHBoxLayout, QPushButton, QSpinBox, QWidget

MAX_SEED = 2**31 - 1


class SeedBox(QWidget):
    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.spin = QSpinBox()
        self.spin.setObjectName("seed")
        self.spin.setRange(0, MAX_SEED)
        self.spin.setToolTip("The same seed, model and parameters give the same output")
        self.dice = QPushButton("⚄")
        self.dice.setObjectName("dice")
        self.dice.setToolTip("Roll a new random seed")
        self.dice.setFixedWidth(36)
        self.dice.clicked.connect(self.roll)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.spin, 1)
        layout.addWidget(self.dice)
        self.roll()

    def roll(self) -> int:
        self.spin.setValue(random.SystemRandom().randrange(MAX_SEED))
        return self.spin.value()

    def value(self) -> int:
        return self.spin.value()

    def setValue(self, seed: int) -> None:
        self.spin.setValue(seed)
