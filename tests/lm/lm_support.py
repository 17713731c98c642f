"""Helpers for the lm tests (a module of its own: ``from conftest import`` finds whichever
conftest was imported first)."""

from __future__ import annotations

from pathlib import Path

from studio.engine import Finished, Home, ImportJob


def import_model(host, home: Home, path: Path, name: str | None = None) -> Finished:
    events = list(ImportJob(host, home, path, name=name).run())
    assert isinstance(events[-1], Finished), events[-1]
    return events[-1]
