"""``studio plugin new NAME``: a plugin project that installs, trains and generates out of the box.

The templates (``templates/*.tmpl``) are a complete small plugin: a pyproject with the entry point,
a torch-free plugin module, a real character-level model in a submodule, and a test that trains and
generates through Studio's engine. ``{{name}}``-style markers are filled in; nothing else changes.
"""

from __future__ import annotations

import re
from pathlib import Path

from studio.api import API_VERSION, StudioError

TEMPLATES = Path(__file__).resolve().parent / "templates"
NAME = re.compile(r"^[a-z][a-z0-9_]{1,39}$")

# Template file -> path in the project; "PACKAGE" becomes the import package's name.
FILES = {
    "pyproject.toml.tmpl": "pyproject.toml",
    "README.md.tmpl": "README.md",
    "plugin_init.py.tmpl": "PACKAGE/__init__.py",
    "plugin_model.py.tmpl": "PACKAGE/model.py",
    "test_plugin.py.tmpl": "tests/test_PACKAGE.py",
    "gitignore.tmpl": ".gitignore",
}


def names_for(name: str) -> dict[str, str]:
    if not NAME.match(name):
        raise StudioError(
            f"plugin name '{name}' must start with a letter and use only a-z, 0-9 and _ "
            "(2 to 40 characters), e.g. 'mygen'"
        )
    return {
        "name": name,
        "dist": f"studio-{name.replace('_', '-')}",
        "package": f"studio_{name}",
        "class": "".join(part.capitalize() for part in name.split("_")) + "Generator",
        "api_version": str(API_VERSION),
    }


def render(template: str, values: dict[str, str]) -> str:
    text = (TEMPLATES / template).read_text(encoding="utf-8")
    for key, value in values.items():
        text = text.replace("{{" + key + "}}", value)
    leftover = re.search(r"\{\{\w+\}\}", text)
    if leftover:  # a template bug, not the user's
        raise RuntimeError(f"{template}: unfilled marker {leftover.group(0)}")
    return text


def create_project(name: str, parent: Path) -> Path:
    """Write the project for plugin ``name`` into ``parent/studio-<name>``; returns that folder."""
    values = names_for(name)
    project = Path(parent).expanduser().resolve() / values["dist"]
    if project.exists():
        raise StudioError(f"{project} already exists; choose another name or folder")
    for template, target in FILES.items():
        path = project / target.replace("PACKAGE", values["package"])
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(render(template, values), encoding="utf-8")
    return project
