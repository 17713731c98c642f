"""Persisted user settings: device choice, theme, disabled and approved plugins.

A small JSON file in the library home, rewritten atomically. Unknown keys are kept, so a newer
Studio's settings survive an older one.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .atomic import read_json, write_json


@dataclass
class Settings:
    path: Path
    data: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path) -> Settings:
        data = read_json(path, default={})
        return cls(path, data if isinstance(data, dict) else {})

    def save(self) -> None:
        write_json(self.path, self.data)

    def get(self, key: str, default: Any = None) -> Any:
        return self.data.get(key, default)

    def set(self, key: str, value: Any) -> None:
        self.data[key] = value
        self.save()

    # Plugins the user switched off: never imported until switched back on.
    @property
    def disabled_plugins(self) -> set[str]:
        return set(self.data.get("disabled_plugins", []))

    def set_plugin_enabled(self, name: str, enabled: bool) -> None:
        disabled = self.disabled_plugins
        (disabled.discard if enabled else disabled.add)(name)
        self.data["disabled_plugins"] = sorted(disabled)
        self.save()

    def set_disabled_plugins(self, names: Iterable[str]) -> None:
        self.data["disabled_plugins"] = sorted(set(names))
        self.save()
