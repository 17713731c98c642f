"""A form built from a :class:`studio.api.Schema`: one editor per parameter, validated inline.

Help text becomes the tooltip; advanced parameters sit in a collapsible group; a float with
``log_scale`` is edited in scientific notation (a learning rate spans decades, not a slider).
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from studio.api import Param, Schema

_INT_LIMIT = 2**31 - 1


class ParamForm(QWidget):
    """``values()`` returns validated values; ``errors()`` the messages of the invalid ones."""

    changed = Signal()

    def __init__(self, schema: Schema, hidden: tuple[str, ...] = (), parent=None) -> None:
        super().__init__(parent)
        self.schema = schema
        self.editors: dict[str, QWidget] = {}
        self.messages: dict[str, QLabel] = {}
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        basic, advanced = QFormLayout(), QFormLayout()
        for param in schema:
            if param.name in hidden:
                continue
            editor = self._editor(param)
            editor.setToolTip(_tooltip(param))
            editor.setObjectName(f"param-{param.name}")
            message = QLabel()
            message.setObjectName("error")
            message.hide()
            cell = QWidget()
            cell_layout = QVBoxLayout(cell)
            cell_layout.setContentsMargins(0, 0, 0, 0)
            cell_layout.setSpacing(1)
            cell_layout.addWidget(editor)
            cell_layout.addWidget(message)
            label = QLabel(param.title)
            label.setToolTip(_tooltip(param))
            (advanced if param.advanced else basic).addRow(label, cell)
            self.editors[param.name] = editor
            self.messages[param.name] = message
        layout.addLayout(basic)
        if advanced.rowCount():
            # A disclosure, closed by default: most users never need these.
            toggle = QToolButton()
            toggle.setText("Advanced")
            toggle.setCheckable(True)
            toggle.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
            toggle.setArrowType(Qt.ArrowType.RightArrow)
            toggle.setAutoRaise(True)
            inner = QWidget()
            inner.setLayout(advanced)
            inner.hide()
            toggle.toggled.connect(inner.setVisible)
            toggle.toggled.connect(
                lambda on: toggle.setArrowType(
                    Qt.ArrowType.DownArrow if on else Qt.ArrowType.RightArrow
                )
            )
            self.advanced_toggle = toggle
            layout.addWidget(toggle)
            layout.addWidget(inner)

    def _editor(self, param: Param) -> QWidget:
        kind = param.kind
        if kind == "bool":
            editor = QCheckBox()
            editor.setChecked(bool(param.default))
            editor.toggled.connect(self._changed)
        elif kind == "choice" or param.choices:
            # Text choices, or whole numbers from a fixed set (a resolution of 32, 64 or 128).
            editor = QComboBox()
            editor.addItems([str(choice) for choice in param.choices])
            editor.setCurrentText(str(param.default))
            editor.currentTextChanged.connect(self._changed)
        elif kind == "int" and not param.optional:
            editor = QSpinBox()
            editor.setRange(
                int(param.minimum) if param.minimum is not None else -_INT_LIMIT,
                int(min(param.maximum, _INT_LIMIT)) if param.maximum is not None else _INT_LIMIT,
            )
            editor.setValue(int(param.default))
            editor.setKeyboardTracking(True)
            editor.valueChanged.connect(self._changed)
        elif kind == "float" and not param.log_scale and not param.optional:
            editor = QDoubleSpinBox()
            editor.setDecimals(_decimals(param))
            editor.setRange(
                param.minimum if param.minimum is not None else -1e12,
                param.maximum if param.maximum is not None else 1e12,
            )
            span = (param.maximum or 1.0) - (param.minimum or 0.0)
            editor.setSingleStep(0.1 if span <= 10 else 1.0)
            editor.setValue(float(param.default))
            editor.valueChanged.connect(self._changed)
        elif kind == "path":
            editor = _PathEdit(param)
            editor.edit.textChanged.connect(self._changed)
        else:
            # str, log-scale floats ("3e-4") and optional numbers are typed, then validated.
            editor = QLineEdit()
            editor.setText("" if param.default is None else _format(param, param.default))
            editor.textChanged.connect(self._changed)
        return editor

    def _changed(self, *args: Any) -> None:
        self.errors()
        self.changed.emit()

    # -- values ---------------------------------------------------------------------------------

    def raw(self) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for name, editor in self.editors.items():
            if isinstance(editor, QCheckBox):
                result[name] = editor.isChecked()
            elif isinstance(editor, QComboBox):
                result[name] = editor.currentText()
            elif isinstance(editor, (QSpinBox, QDoubleSpinBox)):
                result[name] = editor.value()
            elif isinstance(editor, _PathEdit):
                result[name] = editor.edit.text() or None
            elif self.schema[name].kind == "str":
                # Empty text is a value ("" = no stop string); None only where allowed.
                text = editor.text()
                result[name] = None if not text and self.schema[name].optional else text
            else:
                text = editor.text().strip()
                result[name] = text if text else None
        return result

    def errors(self) -> dict[str, str]:
        """Validate every field and the schema's rules; show each message under its editor."""
        found = self.schema.problems(self.raw())
        for name in self.editors:
            message = self.messages[name]
            message.setText(found.get(name, ""))
            message.setVisible(name in found)
        return found

    def values(self) -> dict[str, Any]:
        """Validated values; raises ParamError (the first problem, as the job would)."""
        return self.schema.validate(self.raw())

    def set_values(self, values: dict[str, Any]) -> None:
        for name, value in values.items():
            editor = self.editors.get(name)
            if editor is None or value is None:
                continue
            if isinstance(editor, QCheckBox):
                editor.setChecked(bool(value))
            elif isinstance(editor, QComboBox):
                editor.setCurrentText(str(value))
            elif isinstance(editor, QSpinBox):
                editor.setValue(int(value))
            elif isinstance(editor, QDoubleSpinBox):
                editor.setValue(float(value))
            elif isinstance(editor, _PathEdit):
                editor.edit.setText(str(value))
            else:
                editor.setText(_format(self.schema[name], value))


class _PathEdit(QWidget):
    def __init__(self, param: Param) -> None:
        super().__init__()
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.edit = QLineEdit("" if param.default is None else str(param.default))
        browse = QPushButton("…")
        browse.setFixedWidth(28)
        browse.clicked.connect(self._browse)
        layout.addWidget(self.edit)
        layout.addWidget(browse)

    def _browse(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Choose a file")
        if path:
            self.edit.setText(path)


def _decimals(param: Param) -> int:
    """Enough decimals to hold the default and the bounds exactly (1e-4 needs 4, 0.999 needs 3,
    0.5 gets 2): a spin box rounds its value to its decimals, and 0.999 shown with two would be
    sent as 1.0."""
    needed = 2
    for value in (param.default, param.minimum, param.maximum):
        if value:
            fraction = f"{abs(float(value)):.8f}".rstrip("0").partition(".")[2]
            needed = max(needed, len(fraction))
    return min(needed, 8)


def _format(param: Param, value: Any) -> str:
    if param.kind == "float" and param.log_scale:
        return f"{float(value):.3g}"
    return str(value)


def _tooltip(param: Param) -> str:
    parts = [param.help or param.title]
    if param.minimum is not None or param.maximum is not None:
        low = "" if param.minimum is None else f"{param.minimum:g}"
        high = "" if param.maximum is None else f"{param.maximum:g}"
        parts.append(f"range {low} … {high}")
    if param.log_scale:
        parts.append("log scale: type e.g. 3e-4")
    parts.append(f"default {param.default!r}")
    return "\n".join(parts)
