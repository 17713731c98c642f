"""A process training the test generator is SIGKILLed at random moments, mid-save included.

After every kill the newest complete checkpoint loads, and resume continues from exactly it. A
longer version of this is ``bench/stress_kill.py``.
"""

from __future__ import annotations

import pytest
from support.killing import interrupt_and_check, kill_and_resume

from studio.engine.store.runs import find_run

# Not about isolation: the test plugin's jobs run in-process here (see conftest).
pytestmark = pytest.mark.usefixtures("in_process_jobs")

KILLS = 20


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_random_sigkills_never_corrupt_and_resume_continues(
    corpus, env, studio_home, plugin_site
) -> None:
    report = kill_and_resume(corpus, env, studio_home, kills=KILLS, seed=2026)
    assert report.problems == []
    assert report.kills == KILLS
    assert len(report.resumed_from) == KILLS - 1
    assert report.mid_save >= 1, "no kill landed mid-save; the test lost its point"

    code, step, logged = interrupt_and_check(env, studio_home)
    assert code == 130  # Ctrl+C: cancelled cleanly, after saving a checkpoint
    assert logged == list(range(1, step + 1)), "every step logged exactly once, in order"
    from studio.engine.home import Home

    assert find_run(Home.open(studio_home).runs, "killed").info["status"] == "cancelled"
