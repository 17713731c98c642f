"""Persisted user settings: device choice, theme, disabled and approved plugins.

A small JSON file in the library home, rewritten atomically. Unknown keys are kept, so a newer
Studio's settings survive an older one. Changes take a lock: the window's worker thread may switch
off a failing plugin while the user changes a setting on the UI thread.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from studio.engine.store.atomic import read_json, write_json


@dataclass
class Settings:
    path: Path
    data: dict[str, Any] = field(default_factory=dict)
    lock: threading.RLock = field(default_factory=threading.RLock, repr=False, compare=False)

    @classmethod
    def load(cls, path: Path) -> Settings:
        data = read_json(path, default={})
        return cls(path, data if isinstance(data, dict) else {})

    def save(self) -> None:
        with self.lock:
            write_json(self.path, self.data)

    def get(self, key: str, default: Any = None) -> Any:
        return self.data.get(key, default)

    def set(self, key: str, value: Any) -> None:
        with self.lock:
            self.data[key] = value
            self.save()

    # Plugins the user switched off: never imported until switched back on.
    @property
    def disabled_plugins(self) -> set[str]:
        return set(self.data.get("disabled_plugins", []))

    # Third-party plugins the user said yes to. One not listed here is never imported: installing
    # a plugin is not consent to run it.
    @property
    def approved_plugins(self) -> set[str]:
        return set(self.data.get("approved_plugins", []))

    def set_plugin_enabled(self, name: str, enabled: bool) -> None:
        with self.lock:
            disabled, approved = self.disabled_plugins, self.approved_plugins
            if enabled:
                disabled.discard(name)
                approved.add(name)
            else:
                disabled.add(name)
            self.data["disabled_plugins"] = sorted(disabled)
            self.data["approved_plugins"] = sorted(approved)
            self.save()

    def forget_plugin(self, name: str) -> None:
        """Drop every mention of an uninstalled plugin, so a reinstall asks again."""
        with self.lock:
            self.data["disabled_plugins"] = sorted(self.disabled_plugins - {name})
            self.data["approved_plugins"] = sorted(self.approved_plugins - {name})
            self.save()
