"""Opening Studio: the library home, the user's settings, and the loaded plugins.

The window and the command line both start here, so both see the same plugins in the same states.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from studio.engine.home import Home
from studio.engine.plugins.host import PluginHost, call_startup, load_plugins
from studio.engine.settings import Settings


@dataclass
class Session:
    home: Home
    settings: Settings
    host: PluginHost


def open_session(root: Path | None = None, *, safe_mode: bool | None = None) -> Session:
    home = Home.open(root)
    settings = Settings.load(home.settings_file)
    return Session(home, settings, start_plugins(home, settings, safe_mode=safe_mode))


def start_plugins(home: Home, settings: Settings, *, safe_mode: bool | None = None) -> PluginHost:
    """Load the user's plugins and run their ``startup`` hooks."""
    host = load_plugins(settings, safe_mode=safe_mode)
    call_startup(host, home.root)
    return host
