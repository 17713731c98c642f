"""Plugin health: a third-party plugin whose jobs fail 3 times in a session is disabled.

Qt-free, so the window's worker and the command line share it. The session owns one and gives it
to every job it makes; ``Job.run`` reports each failure here. The third failure of one plugin's
jobs switches it off in the user's settings, stops its generators for the rest of the session, and
says so in the failure's hint (which the window shows beside the error).

What counts: a job that raised from the plugin's code. A user error (bad data, a bad parameter)
and running out of device memory are not the plugin's fault and do not count; built-in plugins are
never switched off this way (they are part of Studio, and a bug there is Studio's to fix).
"""

from __future__ import annotations

import dataclasses
import threading
from collections import Counter
from collections.abc import Iterator
from typing import TYPE_CHECKING

from studio.engine.events import Event, Failed, Log

if TYPE_CHECKING:
    from studio.engine.plugins.host import PluginHost
    from studio.engine.settings import Settings

FAILURE_LIMIT = 3


def disabled_notice(plugin: str, failures: int) -> str:
    return (
        f"plugin '{plugin}' failed {failures} jobs in this session and has been disabled; "
        f"fix or update it, then enable it again in Tools → Plugins or with "
        f"'studio plugin enable {plugin}'"
    )


class PluginHealth:
    def __init__(self, host: PluginHost, settings: Settings | None) -> None:
        self.host = host
        self.settings = settings
        self.failures: Counter[str] = Counter()
        self._lock = threading.Lock()

    def plugin_of(self, generator_id: str | None) -> str | None:
        return self.host.generator_plugin.get(generator_id or "")

    def job_failed(self, generator_id: str | None, failure: Failed) -> Iterator[Event]:
        """Count ``failure`` against its plugin; yield it, with a notice if that disabled it."""
        name = self.plugin_of(generator_id)
        record = self.host.records.get(name or "")
        counts = (
            record is not None
            and not record.builtin
            and not failure.user_error
            and not failure.message.startswith("out of memory")
        )
        if not counts or record is None:
            yield failure
            return
        with self._lock:
            self.failures[record.name] += 1
            failures = self.failures[record.name]
            newly_disabled = failures >= FAILURE_LIMIT and record.status != "disabled"
            if newly_disabled:
                self._disable(record.name, failures)
        if not newly_disabled:
            yield failure
            return
        notice = disabled_notice(record.name, failures)
        yield Log(notice, "warning")
        yield dataclasses.replace(failure, hint=notice)

    def _disable(self, name: str, failures: int) -> None:
        record = self.host.records[name]
        # The generators stay listed (a window may be showing them), but the host refuses to hand
        # them out again: see PluginHost.generator.
        record.status = "disabled"
        record.reason = disabled_notice(name, failures)
        if self.settings is not None:
            self.settings.set_plugin_enabled(name, False)
