"""A form built from a :class:`studio.api.Schema`: one editor per parameter, validated inline.

Help text becomes the tooltip; advanced parameters sit in a collapsible group; a float with
``log_scale`` is edited in scientific notation (a learning rate spans decades, not a slider).

Every value round-trips unchanged: a spin box gets as many decimals as its default and range need
(0.999 in a two-decimal box read back as 1.00, above its maximum). Invalid fields are outlined and
explained in one line under the form that always keeps its height, so nothing jumps as the user
types; an error in the closed Advanced group opens it. The mouse wheel only changes a field that
has focus, so scrolling the form never edits it.
"""

from __future__ import annotations

import math
from decimal import Decimal
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
_MAX_DECIMALS = 10


class ParamForm(QWidget):
    """``values()`` returns validated values; ``errors()`` the messages of the invalid ones."""

    changed = Signal()

    def __init__(self, schema: Schema, hidden: tuple[str, ...] = (), parent=None) -> None:
        super().__init__(parent)
        self.schema = schema
        self.editors: dict[str, QWidget] = {}
        self.labels: dict[str, QLabel] = {}
        self.rows: dict[str, QFormLayout] = {}
        self.found: dict[str, str] = {}
        self.advanced_toggle: QToolButton | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        basic, advanced = QFormLayout(), QFormLayout()
        for param in schema:
            if param.name in hidden:
                continue
            editor = self._editor(param)
            editor.setToolTip(_tooltip(param))
            editor.setObjectName(f"param-{param.name}")
            label = QLabel(param.title)
            label.setToolTip(_tooltip(param))
            (advanced if param.advanced else basic).addRow(label, editor)
            self.editors[param.name] = editor
            self.labels[param.name] = label
            self.rows[param.name] = advanced if param.advanced else basic
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
        # One line for every error, its height kept while empty: the form never jumps.
        self.summary = QLabel()
        self.summary.setObjectName("error")
        self.summary.setWordWrap(True)
        self.summary.setFixedHeight(self.summary.fontMetrics().lineSpacing() * 2 + 2)
        layout.addWidget(self.summary)
        self._show_relevant()

    def _editor(self, param: Param) -> QWidget:
        kind = param.kind
        if kind == "bool":
            editor = QCheckBox()
            editor.setChecked(bool(param.default))
            editor.toggled.connect(self._changed)
        elif kind == "choice" or param.choices:
            # Text choices, or whole numbers from a fixed set (a resolution of 32, 64 or 128).
            editor = _Combo()
            editor.addItems([str(choice) for choice in param.choices])
            editor.setCurrentText(str(param.default))
            editor.currentTextChanged.connect(self._changed)
        elif kind == "int" and not param.optional:
            editor = _Spin()
            editor.setRange(
                int(param.minimum) if param.minimum is not None else -_INT_LIMIT,
                int(min(param.maximum, _INT_LIMIT)) if param.maximum is not None else _INT_LIMIT,
            )
            editor.setValue(int(param.default))
            editor.setKeyboardTracking(True)
            editor.valueChanged.connect(self._changed)
        elif kind == "float" and not param.log_scale and not param.optional:
            editor = _DoubleSpin()
            editor.setDecimals(decimals(param))
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
        self._show_relevant()
        self.changed.emit()

    def _show_relevant(self) -> None:
        """Hide the fields that do not apply to what is chosen (the MLP's width for a conv)."""
        if not any(self.schema[name].only_when for name in self.editors):
            return
        raw = self.raw()
        for name, editor in self.editors.items():
            when = self.schema[name].only_when
            if when is None or when[0] not in raw:
                continue
            shown = str(raw[when[0]]) in {str(value) for value in when[1]}
            self.rows[name].setRowVisible(editor, shown)

    def shown(self, name: str) -> bool:
        """Whether the field applies now (it may still sit in the closed Advanced group)."""
        when = self.schema[name].only_when
        return when is None or str(self.raw().get(when[0])) in {str(v) for v in when[1]}

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
        found = {
            name: message
            for name, message in self.schema.problems(self.raw()).items()
            if name in self.editors
        }
        for name, editor in self.editors.items():
            if bool(editor.property("invalid")) != (name in found):
                editor.setProperty("invalid", name in found)
                # A dynamic property only restyles after a re-polish.
                editor.style().unpolish(editor)
                editor.style().polish(editor)
        self.found = found
        self.summary.setText(
            "  ·  ".join(f"{self.schema[name].title}: {text}" for name, text in found.items())
        )
        return found

    def reveal_errors(self) -> dict[str, str]:
        """As :meth:`errors`, and open the Advanced group when an error sits inside it."""
        found = self.errors()
        if self.advanced_toggle is not None and any(self.schema[n].advanced for n in found):
            self.advanced_toggle.setChecked(True)
        return found

    def values(self) -> dict[str, Any]:
        """Validated values; raises ParamError (the first problem, as the job would)."""
        return self.schema.validate(self.raw())

    def set_values(self, values: dict[str, Any]) -> None:
        for name, value in values.items():
            editor = self.editors.get(name)
            if editor is None:
                continue
            if isinstance(editor, QLineEdit):
                # Typed text as it was (a kept "3e-4" or a half-typed value), None as empty.
                if value is None or isinstance(value, str):
                    editor.setText(value or "")
                else:
                    editor.setText(_format(self.schema[name], value))
                continue
            if value is None:
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


class _FocusedWheel:
    """The mouse wheel only changes the field once the user has clicked into it; otherwise the
    scroll area behind the form scrolls, as the user meant."""

    def __init__(self) -> None:
        super().__init__()
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)

    def wheelEvent(self, event) -> None:
        if self.hasFocus():
            super().wheelEvent(event)
        else:
            event.ignore()


class _Combo(_FocusedWheel, QComboBox):
    pass


class _Spin(_FocusedWheel, QSpinBox):
    pass


class _DoubleSpin(_FocusedWheel, QDoubleSpinBox):
    pass


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


def decimals(param: Param) -> int:
    """Decimals that show the default, the minimum and the maximum exactly (0.999 needs 3).

    Counted from each number's shortest decimal form (``repr``), at least 2 so a box reads
    "0.50", not "0.5". A spin box rounds every value, its range included, to its decimals.
    """
    needed = 2
    for value in (param.default, param.minimum, param.maximum):
        if value is None or not math.isfinite(float(value)):
            continue
        exponent = Decimal(repr(float(value))).normalize().as_tuple().exponent
        if isinstance(exponent, int):
            needed = max(needed, -exponent)
    return min(needed, _MAX_DECIMALS)


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


class FormSlot:
    """Where a view shows the chosen generator's form; what the user typed stays with each
    generator, so looking at another one and coming back loses nothing."""

    def __init__(self, layout) -> None:
        self.layout = layout
        self.form: ParamForm | None = None
        self._owner = ""
        self._kept: dict[str, dict[str, Any]] = {}

    def bind(self, owner: str, schema: Schema | None) -> ParamForm | None:
        if self.form is not None:
            self._kept[self._owner] = self.form.raw()
            self.form.setParent(None)
            self.form = None
        if schema is not None:
            self.form = ParamForm(schema)
            self._owner = owner
            self.form.set_values(self._kept.get(owner, {}))
            self.layout.addWidget(self.form)
        return self.form
