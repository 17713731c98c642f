"""Checking what a plugin registers, at registration, so a bad object names its plugin.

A generator with an int for an id or a list for a name would otherwise pass as loaded and break
``studio plugins``, ``--json`` or the window's start later, with a traceback that names nobody.
Everything the host, the command line and the window read of a generator is checked here, and
``describe()`` is run once and must give JSON: the forms and flags are built from it.
"""

from __future__ import annotations

import inspect
import json
import re

from studio.api import GENERATION_MODES, Generator, Schema

# Ids appear on the command line, in file names and in checkpoints: keep them plain.
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


class InvalidGenerator(Exception):
    """What is wrong with one registered object; the host turns it into a failed plugin."""


def check_generator(generator: object) -> Generator:
    if not isinstance(generator, Generator) or inspect.isclass(generator):
        raise InvalidGenerator(
            f"register_generators returned {generator!r}, not a Generator instance"
        )
    label = type(generator).__name__
    gid = generator.id
    if not isinstance(gid, str) or not gid:
        raise InvalidGenerator(f"generator {label} has id {gid!r}; expected a non-empty string")
    if not _ID.match(gid):
        raise InvalidGenerator(
            f"generator {label} has id {gid!r}; use letters, digits, '_', '-' or '.' (64 at most)"
        )
    _expect(label, "name", generator.name, str, nonempty=True)
    _expect(label, "version", generator.version, str)
    _expect(label, "description", generator.description, str)
    if generator.modality not in ("text", "image"):
        raise InvalidGenerator(
            f"generator '{gid}' has modality {generator.modality!r}; expected 'text' or 'image'"
        )
    modes = generator.modes
    if (
        not isinstance(modes, (tuple, list))
        or not modes
        or any(m not in GENERATION_MODES for m in modes)
    ):
        raise InvalidGenerator(
            f"generator '{gid}' has modes {modes!r}; each must be one of "
            f"{', '.join(GENERATION_MODES)}"
        )
    for attr in ("generate_params", "train_params"):
        _expect(label, attr, getattr(generator, attr), Schema)
    _expect(label, "loop_defaults", generator.loop_defaults, dict)
    for attr in ("takes_prompt", "takes_inputs"):
        _expect(label, attr, getattr(generator, attr), bool)
    try:
        json.dumps(generator.describe())
    except Exception as error:
        raise InvalidGenerator(
            f"generator '{gid}' cannot be described ({type(error).__name__}: {error})"
        ) from error
    return generator


def _expect(label: str, attr: str, value: object, kind: type, nonempty: bool = False) -> None:
    if not isinstance(value, kind) or (nonempty and not value):
        article = "a non-empty " if nonempty else "a "
        raise InvalidGenerator(
            f"generator {label} has {attr} {value!r} ({type(value).__name__}); "
            f"expected {article}{kind.__name__}"
        )
