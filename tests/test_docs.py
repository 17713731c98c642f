"""Every hook is documented in docs/plugins.md and exercised by a test (datasette's rule)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from studio.api import hookspecs

ROOT = Path(__file__).resolve().parents[1]
HOOKS = sorted(name for name, value in vars(hookspecs).items() if hasattr(value, "studio_spec"))


def test_there_are_hooks() -> None:
    assert "register_generators" in HOOKS


@pytest.mark.parametrize("hook", HOOKS)
def test_hook_is_documented(hook: str) -> None:
    guide = (ROOT / "docs" / "plugins.md").read_text(encoding="utf-8")
    assert re.search(rf"^### `{hook}\(", guide, re.MULTILINE), (
        f"docs/plugins.md lacks ### `{hook}(`"
    )


@pytest.mark.parametrize("hook", HOOKS)
def test_hook_has_a_docstring_with_params(hook: str) -> None:
    spec = getattr(hookspecs, hook)
    doc = spec.__doc__ or ""
    assert doc.strip(), hook
    import inspect

    for name in inspect.signature(spec).parameters:
        assert f":param {name}:" in doc, f"{hook} does not document {name}"


@pytest.mark.parametrize("hook", HOOKS)
def test_hook_is_tested(hook: str) -> None:
    tests = [p for p in (ROOT / "tests").rglob("test_*.py") if p.name != "test_docs.py"]
    hits = [p for p in tests if re.search(rf"\bhook\.{hook}\b|def {hook}\(", p.read_text())]
    assert hits, f"no test implements or calls the hook {hook}"
