"""Imports at the same time: the same source is stored and listed once, and two sources that
want the same name get one each. The test generator's ``.tinychar`` import takes the time it is
told to, so two imports really overlap (tests/testplugins/studio_testgen)."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import pytest

from studio.engine import Cancelled, Finished, ImportJob, Log, list_models
from studio.engine.importing import WAITING
from studio.engine.store import imports
from studio.engine.store.locks import FileLock


def tinychar_file(folder: Path, stem: str, **spec) -> Path:
    """A ``.tinychar`` source for the test generator's import (see its ``import_model``)."""
    path = folder / f"{stem}.tinychar"
    path.write_text(json.dumps(spec), encoding="utf-8")
    return path


def _run_together(jobs: list[ImportJob]) -> list[list]:
    events: list[list] = [[] for _ in jobs]
    threads = [
        threading.Thread(target=lambda i=i, job=job: events[i].extend(job.run()))
        for i, job in enumerate(jobs)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
        assert not thread.is_alive()
    return events


def _store(home) -> list[str]:
    return sorted(p.name for p in home.base_models.iterdir())


def test_two_imports_of_one_file_at_once_store_and_list_it_once(host, home, tmp_path) -> None:
    source = tinychar_file(tmp_path, "twice", seconds=1.5, name="twice")
    first, second = _run_together(
        [ImportJob(host, home, source), ImportJob(host, home, source, name="other")]
    )
    ends = [first[-1], second[-1]]
    assert all(isinstance(end, Finished) for end in ends), ends
    # One converted it; the other waited for it, then found it in the library.
    assert sorted(end.result["imported"] for end in ends) == [False, True]
    waited = first if not first[-1].result["imported"] else second
    assert WAITING in [e.message for e in waited if isinstance(e, Log)]
    (name,) = {end.result["name"] for end in ends}
    assert [m["name"] for m in list_models(home)] == [name]
    # One stored model; no half-written folder, and the locks are gone with their holders.
    assert _store(home) == [ends[0].result["base"]]


def test_two_sources_wanting_one_name_at_once_get_one_each(host, home, tmp_path) -> None:
    jobs = [
        ImportJob(host, home, tinychar_file(tmp_path, f"source-{i}", seconds=0.5, name="same", n=i))
        for i in range(2)
    ]
    ends = [events[-1] for events in _run_together(jobs)]
    assert all(isinstance(end, Finished) and end.result["imported"] for end in ends), ends
    assert sorted(end.result["name"] for end in ends) == ["same", "same-2"]
    assert sorted(m["name"] for m in list_models(home)) == ["same", "same-2"]
    assert len(_store(home)) == 2


def test_an_import_waiting_for_another_can_be_cancelled(host, home, tmp_path) -> None:
    source = tinychar_file(tmp_path, "held", name="held")
    held = imports.source_lock(home.base_models, imports.content_hash(source))
    assert held.acquire()  # as by an import of the same file in another process
    try:
        job = ImportJob(host, home, source)
        events: list = []
        reader = threading.Thread(target=lambda: events.extend(job.run()))
        reader.start()
        deadline = time.monotonic() + 30
        while not any(isinstance(e, Log) and e.message == WAITING for e in events):
            assert time.monotonic() < deadline, events
            time.sleep(0.05)
        job.cancel()
        reader.join(timeout=30)
        assert isinstance(events[-1], Cancelled), events[-1]
    finally:
        held.release()
    assert list_models(home) == [] and _store(home) == []


def test_a_file_lock_excludes_until_released_and_leaves_no_file(tmp_path) -> None:
    path = tmp_path / ".x.lock"
    one, two = FileLock(path), FileLock(path)
    assert one.acquire() and not two.acquire()  # two opens in one process exclude each other
    one.release()
    assert not path.exists()
    assert two.acquire() and path.exists()
    with pytest.raises(RuntimeError):
        two.acquire()
    two.release()
    assert one.acquire()
    one.release()
