"""A corpus of broken plugins, each the way real plugins break, for the host's guard tests."""

from __future__ import annotations

from pathlib import Path

from .entrypoints import install_distribution

_GOOD_HEAD = "from studio.api import Generator, hookimpl\nSTUDIO_API_VERSION = 1\n"

BROKEN = {
    # name: (module source, words the failure reason must contain)
    "broken_import": (
        "import a_module_that_does_not_exist\n",
        "could not be imported: ModuleNotFoundError",
    ),
    "broken_misspelled": (
        _GOOD_HEAD + "@hookimpl\ndef register_generator():\n    return []\n",
        "unknown hook 'register_generator'; did you mean 'register_generators'?",
    ),
    "broken_signature": (
        _GOOD_HEAD + "@hookimpl\ndef startup(home, colour):\n    pass\n",
        "has an invalid hook",
    ),
    "broken_raising": (
        _GOOD_HEAD + "@hookimpl\ndef register_generators():\n    raise ValueError('kaboom')\n",
        "register_generators raised ValueError: kaboom",
    ),
    "broken_exit": (
        "import sys\nsys.exit(3)\n",
        "called sys.exit(3) while being imported",
    ),
    "broken_api": (
        "from studio.api import hookimpl\nSTUDIO_API_VERSION = 99\n",
        "was built for plugin API 99, but this Studio provides API 1",
    ),
    "broken_noversion": (
        "from studio.api import hookimpl\n",
        "does not declare STUDIO_API_VERSION",
    ),
    "broken_returns": (
        _GOOD_HEAD + "@hookimpl\ndef register_generators():\n    return [object()]\n",
        "not a Generator instance",
    ),
}


def install_broken_plugins(site: Path) -> dict[str, str]:
    """Write every broken plugin as a package with its own distribution; return name → reason."""
    for name, (source, _reason) in BROKEN.items():
        package = site / name
        package.mkdir(parents=True, exist_ok=True)
        (package / "__init__.py").write_text(source, encoding="utf-8")
        install_distribution(site, f"studio-{name.replace('_', '-')}", {name: name})
    return {name: reason for name, (_source, reason) in BROKEN.items()}
