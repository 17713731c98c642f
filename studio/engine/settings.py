"""Persisted user settings: device choice, theme, disabled and approved plugins.

A small JSON file in the library home, rewritten atomically. Unknown keys are kept, so a newer
Studio's settings survive an older one. Changes take a lock: the window's worker thread may switch
off a failing plugin while the user changes a setting on the UI thread.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from studio.engine.store.atomic import read_json, write_json


@dataclass
class Settings:
    path: Path
    # Read and written only under the lock, through the methods below.
    _data: dict[str, Any] = field(default_factory=dict, repr=False)
    _lock: threading.RLock = field(default_factory=threading.RLock, repr=False, compare=False)

    @classmethod
    def load(cls, path: Path) -> Settings:
        data = read_json(path, default={})
        return cls(path, data if isinstance(data, dict) else {})

    def save(self) -> None:
        with self._lock:
            write_json(self.path, self._data)

    def get(self, key: str, default: Any = None) -> Any:
        with self._lock:
            value = self._data.get(key, default)
            # A copy of a nested value: changing it never changes the settings behind the lock.
            return json.loads(json.dumps(value)) if isinstance(value, (dict, list)) else value

    def set(self, key: str, value: Any) -> None:
        self.update({key: value})

    def update(self, values: dict[str, Any]) -> None:
        """Set several keys at once (``None`` removes a key), then save once."""
        with self._lock:
            for key, value in values.items():
                if value is None:
                    self._data.pop(key, None)
                else:
                    self._data[key] = value
            self.save()

    def snapshot(self) -> dict[str, Any]:
        """A copy of everything, e.g. for a plugin snapshot."""
        with self._lock:
            return json.loads(json.dumps(self._data))

    # Plugins the user switched off: never imported until switched back on.
    @property
    def disabled_plugins(self) -> set[str]:
        return set(self.get("disabled_plugins", []))

    # Third-party plugins the user said yes to. One not listed here is never imported: installing
    # a plugin is not consent to run it.
    @property
    def approved_plugins(self) -> set[str]:
        return set(self.get("approved_plugins", []))

    def set_plugin_enabled(self, name: str, enabled: bool) -> None:
        with self._lock:
            disabled, approved = self.disabled_plugins, self.approved_plugins
            if enabled:
                disabled.discard(name)
                approved.add(name)
                self._forget_import_check(name)
            else:
                disabled.add(name)
            self.update(
                {"disabled_plugins": sorted(disabled), "approved_plugins": sorted(approved)}
            )

    def _forget_import_check(self, name: str) -> None:
        # A new yes gets a new throwaway-process import check (a hang may have been the load).
        from studio.engine.home import Home
        from studio.engine.plugins.probe import forget

        forget(Home(self.path.parent).import_checks, name)

    def forget_plugin(self, name: str) -> None:
        """Drop every mention of an uninstalled plugin, so a reinstall asks again."""
        with self._lock:
            self.update(
                {
                    "disabled_plugins": sorted(self.disabled_plugins - {name}),
                    "approved_plugins": sorted(self.approved_plugins - {name}),
                }
            )
