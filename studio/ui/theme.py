"""Dark (default) and light themes: a Qt stylesheet from resources/ plus pyqtgraph colours."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QApplication

# resources/ at the repository root (an editable install); falls back to no stylesheet.
RESOURCES = Path(__file__).resolve().parents[2] / "resources"

THEMES = {
    "dark": {"qss": "dark.qss", "plot_bg": "#16181b", "plot_fg": "#9aa0a8"},
    "light": {"qss": "light.qss", "plot_bg": "#ffffff", "plot_fg": "#555b63"},
}

CURVE_COLOURS = ["#6fa8ff", "#f0a35e", "#7fd1a0", "#e07a9a", "#c9a0ff", "#e0d070"]


def current_theme(name: str | None) -> dict[str, str]:
    return THEMES.get(name or "dark", THEMES["dark"])


def apply_theme(app: QApplication, name: str | None) -> None:
    theme = current_theme(name)
    app.setStyle("Fusion")
    path = RESOURCES / theme["qss"]
    app.setStyleSheet(path.read_text(encoding="utf-8") if path.is_file() else "")
    app.setProperty("studio_theme", name or "dark")
