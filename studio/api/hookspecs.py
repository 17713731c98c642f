"""Every hook a Studio plugin can implement, in one flat module.

A plugin module implements a hook by defining a function of the same name decorated with
``studio.api.hookimpl``. Hooks are called with keyword arguments, and an implementation may accept
fewer arguments than the spec lists, so hooks can grow without breaking old plugins.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pluggy

from .generator import Generator
from .samples import Sample

PROJECT = "studio"

hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec
def register_generators() -> list[Generator]:
    """Return the generators this plugin provides.

    Called once per plugin at start-up. Keep it cheap: return instances whose heavy imports
    (torch, model code) happen inside their methods.

    :returns: a list of :class:`studio.api.Generator` instances with distinct ids.
    """


@hookspec(firstresult=True)
def export_sample(
    sample: Sample, folder: Path, stem: str, metadata: dict[str, Any]
) -> list[Path] | None:
    """Write a finished sample to files in ``folder`` and return the paths written.

    The first implementation that returns a list wins; return ``None`` to let others try. Studio's
    own fallback (``trylast``) writes text as ``.txt`` and images as ``.png`` with ``metadata``
    embedded, each with a ``.json`` sidecar.

    :param sample: the finished :class:`TextChunk` (whole text) or :class:`ImageSample`.
    :param folder: an existing folder to write into.
    :param stem: the file name to use, without extension.
    :param metadata: generator id, model hash, seed and parameters, JSON-serialisable.
    :returns: the paths written, or ``None`` to pass.
    """


@hookspec
def startup(home: Path) -> None:
    """Called once after every plugin has loaded, before any job runs.

    :param home: the user's Studio library folder; a plugin may keep files in ``home/plugins``.
    """
