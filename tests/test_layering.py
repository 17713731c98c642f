"""The architecture's one rule, checked: imports point one way, and start-up stays torch-free.

    plugins/*  ->  studio.api
    studio.ui  ->  studio.engine  ->  studio.api
    studio.cli ->  studio.engine

studio.engine and studio.api never import Qt; studio.ui never imports torch; nothing in studio/
names a built-in generator.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
QT = ("PySide6", "shiboken6", "pyqtgraph", "superqt", "studio.ui")
TORCH = ("torch", "safetensors.torch")
BUILTIN_IDS = ("gpt", "dcgan", "vae", "lm", "fastgan")
# Heavy libraries that listing plugins, the command line's listings and the window never import.
HEAVY = ("torch", "transformers", "peft", "gguf")


def _imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
        elif isinstance(node, ast.ImportFrom) and node.level:
            continue
    return names


def _modules(package: str) -> list[Path]:
    return sorted((ROOT / package.replace(".", "/")).rglob("*.py"))


def _violations(package: str, forbidden: tuple[str, ...]) -> list[str]:
    found = []
    for path in _modules(package):
        for name in _imports(path):
            if any(name == f or name.startswith(f + ".") for f in forbidden):
                found.append(f"{path.relative_to(ROOT)} imports {name}")
    return found


@pytest.mark.parametrize(
    ("package", "forbidden"),
    [
        ("studio/api", (*QT, "studio.engine", "studio.cli", "plugins")),
        ("studio/engine", (*QT, "studio.cli", "plugins")),
        ("studio/cli", (*QT[:-1], "plugins")),
        ("studio/ui", (*TORCH, "studio.cli", "plugins")),
        ("plugins", ("studio.engine", "studio.ui", "studio.cli", *QT)),
    ],
)
def test_imports_point_one_way(package: str, forbidden: tuple[str, ...]) -> None:
    assert _violations(package, forbidden) == []


@pytest.mark.parametrize("package", ["studio/ui", "studio/cli", "studio/testing.py"])
def test_window_and_command_line_use_the_engine_facade(package: str) -> None:
    """The window, the command line and the plugin test harness reach the engine through
    ``studio.engine`` alone."""
    modules = [ROOT / package] if package.endswith(".py") else _modules(package)
    reaching_in = [
        f"{path.relative_to(ROOT)} imports {name}"
        for path in modules
        for name in _imports(path)
        if name.startswith("studio.engine.")
    ]
    assert reaching_in == []


def test_engine_facade_exports_resolve() -> None:
    import studio.engine as engine

    missing = [name for name in engine.__all__ if not hasattr(engine, name)]
    assert missing == []


def test_studio_names_no_built_in_generator() -> None:
    offenders = []
    for path in _modules("studio"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and node.value in BUILTIN_IDS:
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno} names {node.value!r}")
    assert offenders == []


def _probe(code: str, env: dict[str, str]) -> str:
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_import_and_discovery_do_not_import_torch(env) -> None:
    code = (
        "import sys, studio, studio.api, studio.engine.plugins.host as p;"
        "assert 'torch' not in sys.modules, 'import';"
        "host = p.load_plugins();"
        "[g.describe() for g in host.generators.values()];"
        f"print(sorted(host.generators), [m for m in {HEAVY!r} if m in sys.modules])"
    )
    out = _probe(code, env)
    assert out.endswith("[]"), out
    assert "tinychar" in out and "'lm'" in out


def test_studio_plugins_command_does_not_import_torch(env) -> None:
    code = (
        "import sys, io, contextlib; from studio.cli.main import main;"
        "buf = io.StringIO();"
        "ctx = contextlib.redirect_stdout(buf);"
        "ctx.__enter__(); code = main(['plugins', '--json']); ctx.__exit__(None, None, None);"
        "ctx.__enter__(); code += main(['models']); ctx.__exit__(None, None, None);"
        f"print(code, [m for m in {HEAVY!r} if m in sys.modules])"
    )
    assert _probe(code, env) == "0 []"


def test_engine_and_api_import_no_qt(env) -> None:
    code = (
        "import sys, studio.api, studio.engine.train.job, studio.engine.generation,"
        " studio.engine.plugins.host, studio.engine.store.library, studio.cli.commands;"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in"
        " ('PySide6', 'shiboken6', 'pyqtgraph', 'superqt')))"
    )
    assert _probe(code, env) == "[]"
