"""The user's library: one home folder holding models, runs, exported samples and settings.

``STUDIO_HOME`` overrides the location (tests point it at a temporary folder); otherwise it is the
platform's user data folder, e.g. ``~/.local/share/Studio`` on Linux.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


def default_home() -> Path:
    override = os.environ.get("STUDIO_HOME")
    if override:
        return Path(override).expanduser()
    import platformdirs

    return Path(platformdirs.user_data_dir("Studio", appauthor=False))


@dataclass(frozen=True)
class Home:
    root: Path

    @classmethod
    def open(cls, root: Path | None = None) -> Home:
        home = cls(Path(root) if root is not None else default_home())
        for folder in (home.models, home.runs, home.exports, home.plugins):
            folder.mkdir(parents=True, exist_ok=True)
        return home

    @property
    def models(self) -> Path:
        """Checkpoints the user keeps: finished trainings and imported models."""
        return self.root / "models"

    @property
    def base_models(self) -> Path:
        """Imported pretrained models, one folder per source content hash (studio models add)."""
        return self.root / "base-models"

    @property
    def runs(self) -> Path:
        """One folder per training run."""
        return self.root / "runs"

    @property
    def exports(self) -> Path:
        """Samples saved from the window."""
        return self.root / "exports"

    @property
    def plugins(self) -> Path:
        """Plugin state: snapshots, plugin-owned files."""
        return self.root / "plugins"

    @property
    def import_checks(self) -> Path:
        """What the throwaway-process import check found, per plugin distribution version."""
        return self.plugins / "import-checks.json"

    @property
    def settings_file(self) -> Path:
        return self.root / "settings.json"

    # -- plugin state ---------------------------------------------------------------------------

    @property
    def plugin_site(self) -> Path:
        """Where Studio installs third-party plugin distributions (never on sys.path whole)."""
        return self.plugins / "site"

    @property
    def plugin_snapshots(self) -> Path:
        """Copies of the plugin site taken before each change, for rollback."""
        return self.plugins / "snapshots"

    @property
    def plugin_lock(self) -> Path:
        """Held while plugins are installed or removed, by the window and any command line."""
        return self.plugins / ".lock"

    # -- the window's own files -----------------------------------------------------------------

    @property
    def window_state(self) -> Path:
        """The window's geometry, splitters and last selections (a QSettings INI file)."""
        return self.root / "window.ini"

    @property
    def history_file(self) -> Path:
        """Prompts the user generated with, newest first."""
        return self.root / "history.json"

    @property
    def start_marker(self) -> Path:
        """Present while the window starts; found at the next start, the last one crashed."""
        return self.root / ".starting"
