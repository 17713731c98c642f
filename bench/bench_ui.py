"""Window benchmark: event-loop lateness while a model trains in the window, training throughput
in the window vs headless, and launch-to-window-shown time.

    flock /tmp/studio-cpu.lock xvfb-run -a .venv/bin/python bench/bench_ui.py [--steps 1000] \
        [--write]      # the "Window" section of docs/benchmarks.md
        [--load]       # ... with a competing CPU-bound process: "Window, with a competing process"
        [--niceness N] # the worker's niceness for this run (the app's is WORKER_NICENESS)

- Headless: ``studio train`` with the same parameters, in its own process, as a CLI user runs it.
  (Not in this process: once this process's main thread has run torch, libgomp keeps a second
  thread pool, and with more pooled threads than cores it stops spin-waiting between parallel
  regions; measured here, that alone slowed the window's later runs from ~40 to ~18-27 steps/s.
  The app's UI thread never runs torch.)
- Window: the real main window (Train view, live curves on screen), the job started through the
  Train view. Each round has two window runs: one for throughput, with nothing of the
  benchmark's own on the UI thread, and one with a 10 ms QTimer recording how late each tick
  fires (the lateness figures). The probe is not free: its 100 Python calls a second take the GIL
  from the training thread (measured: about 5 % of training speed), and the app has no such
  timer, so its runs' throughput is reported beside, not as, the window's. Lateness is reported
  separately for the torch pre-warm (right after the window shows) and for training.
- Launch: ``python main.py`` in a subprocess, from spawn to the window shown (STUDIO_BENCH_SHOWN
  makes the app print that moment and quit), with whether torch was imported by then.

Headless and window runs alternate (H W Wp, then W Wp H, ...) so machine noise hits both and each
kind of run follows each other kind as often; medians are reported, and each round's window run
against its headless run. Steps/s, for both, are taken over the second half of each run (see
``step_rate``).
Generator: the built-in ``gpt`` (tiny preset) when it loads, else the ``tinychar`` test generator.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "bench")]

from ui_report import KINDS, runs_of, write_doc  # noqa: E402 (after the path)


def corpus(work: Path) -> Path:
    for data in (Path("/work/shared/data"), ROOT.parent / "shared" / "data"):
        if (data / "tinyshakespeare.txt").is_file():
            text = (data / "tinyshakespeare.txt").read_text()[:300_000]
            break
    else:
        text = "To be, or not to be, that is the question.\n" * 4000
    path = work / "corpus.txt"
    path.write_text(text, encoding="utf-8")
    return path


def train_params(generator: str, steps: int) -> dict:
    common = {"steps": steps, "eval_every": 50, "preview_every": 100, "checkpoint_every": 100000}
    if generator == "gpt":
        return {**common, "preset": "tiny", "dropout": 0.0, "eval_batches": 2}
    return {**common, "hidden": 256, "context": 16, "batch_size": 64}


def step_rate(times: list[float]) -> float:
    """Steps per second over the second half of the run (after warm-up and first-step costs)."""
    half = times[len(times) // 2 :]
    return (len(half) - 1) / (half[-1] - half[0])


def headless(home, generator: str, data: Path, params: dict, name: str, pythonpath: str) -> float:
    """``studio train`` in a fresh process; steps/s from its metrics.jsonl, as for the window."""
    from studio.engine.store.runs import find_run, read_metrics

    settings = [f"--set={key}={value}" for key, value in params.items() if key != "steps"]
    command = [sys.executable, "-m", "studio", "train", generator, "--data", str(data)]
    command += ["--steps", str(params["steps"]), "--name", name, *settings]
    env = {**os.environ, "PYTHONPATH": pythonpath}
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=900)
    if result.returncode != 0:
        raise SystemExit(f"studio train failed: {result.stderr[-2000:]}")
    run = find_run(home.runs, name)
    return step_rate([r["time"] for r in read_metrics(run.metrics_file)])


class Lateness:
    """A 10 ms timer on the UI thread; each tick's delay past its due time, in ms."""

    def __init__(self) -> None:
        from PySide6.QtCore import Qt, QTimer

        self.samples: list[tuple[float, float]] = []
        self.timer = QTimer()
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.setInterval(10)
        self.timer.timeout.connect(self.tick)
        self.last = time.perf_counter()
        self.timer.start()

    def restart(self) -> None:
        self.last = time.perf_counter()

    def tick(self) -> None:
        now = time.perf_counter()
        self.samples.append((now, max(0.0, (now - self.last) * 1000 - 10)))
        self.last = now

    def between(self, start: float, end: float) -> list[float]:
        return [late for when, late in self.samples if start <= when <= end]


def percentiles(values: list[float]) -> dict:
    ordered = sorted(values)
    if not ordered:
        return {}

    def pick(q: float) -> float:
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    return {"p50": pick(0.5), "p99": pick(0.99), "max": ordered[-1], "ticks": len(ordered)}


def in_window(app, window, lateness: Lateness, data: Path, params: dict, probe: bool) -> dict:
    from PySide6.QtCore import QEventLoop

    from studio.engine.events import Finished

    view = window.train_view
    window.tabs.setCurrentWidget(view)
    view.dataset.path.setText(str(data))
    view.form.set_values(params)
    done: list[object] = []

    def on_events(job_id: int, events: list) -> None:
        # Arrival times are batched (<= 20 Hz); the step rate uses the engine's own clock instead.
        for event in events:
            if isinstance(event, Finished):
                done.append(event)

    window.session.events.connect(on_events)
    # Wait the way the app does, blocked in Qt's event loop: a Python loop around
    # processEvents() would itself fight the worker for the GIL a thousand times a second.
    loop = QEventLoop()
    window.session.job_ended.connect(loop.quit)
    redraws_before = view.curves.redraws
    if probe:
        lateness.timer.start()
        lateness.restart()  # the main thread was busy with the headless run until now
    else:
        lateness.timer.stop()
    began = time.perf_counter()
    view.train()
    loop.exec()
    ended = time.perf_counter()
    lateness.timer.start()
    window.session.job_ended.disconnect(loop.quit)
    window.session.events.disconnect(on_events)
    from studio.engine.store.runs import find_run, read_metrics

    run = find_run(window.session.home.runs, str(view.run_dir))
    times = [r["time"] for r in read_metrics(run.metrics_file)]
    ticks = [(when, late) for when, late in lateness.samples if began <= when <= ended]
    worst = sorted(ticks, key=lambda t: t[1])[-3:]
    if not probe:
        return {"rate": step_rate(times), "run_s": round(ended - began, 2)}
    return {
        # Where the three worst ticks fell: seconds after the Train click (of the whole run).
        "worst_ticks_at_s": [(round(w - began, 2), round(late, 1)) for w, late in worst],
        "run_s": round(ended - began, 2),
        "rate": step_rate(times),
        "lateness": percentiles(lateness.between(began, ended)),
        "redraws_per_s": (view.curves.redraws - redraws_before) / (ended - began),
    }


def launch_time(env: dict) -> dict:
    began = time.time()
    result = subprocess.run(
        [sys.executable, str(ROOT / "main.py")],
        env={**env, "STUDIO_BENCH_SHOWN": "1"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    line = [x for x in result.stdout.splitlines() if x.startswith("{")]
    if not line:
        raise SystemExit(f"main.py did not report: {result.stderr[-2000:]}")
    info = json.loads(line[-1])
    return {"shown_s": info["shown_at"] - began, "torch_imported": info["torch_imported"]}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--launches", type=int, default=5)
    parser.add_argument("--write", action="store_true", help="write docs/benchmarks.md")
    parser.add_argument("--from-json", type=Path, help="write the doc from an earlier run's output")
    parser.add_argument(
        "--load", action="store_true", help="run a competing CPU-bound process during the rounds"
    )
    parser.add_argument("--niceness", type=int, help="the worker's niceness (default: the app's)")
    args = parser.parse_args()
    if args.from_json:
        earlier = json.loads(args.from_json.read_text())
        write_doc(earlier, f"--steps {earlier['steps']} --write")
        return 0
    work = Path(tempfile.mkdtemp(prefix="studio-bench-ui-"))
    os.environ["STUDIO_HOME"] = str(work / "home")
    from support.entrypoints import TEST_PLUGINS, install_test_generators

    site = work / "site"
    install_test_generators(site)
    sys.path[:0] = [str(site), str(TEST_PLUGINS)]
    data = corpus(work)

    launches = [launch_time(dict(os.environ)) for _ in range(args.launches)]

    from PySide6.QtCore import QEventLoop, QTimer
    from PySide6.QtWidgets import QApplication

    app = QApplication(sys.argv)
    from studio.ui import worker as worker_module

    if args.niceness is not None:
        worker_module.WORKER_NICENESS = args.niceness
    from studio.engine.home import Home
    from studio.engine.settings import Settings
    from studio.ui.app import build_window

    home = Home.open()
    settings = Settings.load(home.settings_file)
    settings.set_plugin_enabled("testgen", True)
    settings.save()  # the headless `studio train` processes read it too
    window = build_window(home, settings)
    # Past the first-start panel: its calibration job would end the first wait below.
    window.create_view.dismiss_welcome()
    window.ended = {}
    window.session.job_ended.connect(window.ended.__setitem__)
    generator = "gpt" if "gpt" in window.session.host.generators else "tinychar"
    window.session.set_generator(generator)
    params = train_params(generator, args.steps)
    window.resize(1400, 900)
    window.show()
    lateness = Lateness()
    shown = time.perf_counter()
    window.session.prewarm()
    wait = QEventLoop()
    poll = QTimer()
    poll.setInterval(20)
    poll.timeout.connect(lambda: window.session.worker.warm_seconds is not None and wait.quit())
    poll.start()
    wait.exec()
    poll.stop()
    warm_end = time.perf_counter()
    prewarm = percentiles(lateness.between(shown, warm_end))
    # Show the Train view once (pyqtgraph is imported on first show), then measure from a settled
    # window: lateness counts from the Train click to the end of the run, nothing left out.
    window.tabs.setCurrentWidget(window.train_view)
    QTimer.singleShot(300, wait.quit)
    wait.exec()

    rows = []
    pythonpath = os.pathsep.join([str(site), str(TEST_PLUGINS), os.environ.get("PYTHONPATH", "")])
    runs = {
        "headless": lambda i: headless(home, generator, data, params, f"headless-{i}", pythonpath),
        "window": lambda _i: in_window(app, window, lateness, data, params, probe=False),
        "probed": lambda _i: in_window(app, window, lateness, data, params, probe=True),
    }
    # Another program at full speed on one core (a compile, a browser tab): the window and the
    # headless run compete with it alike.
    competitor = subprocess.Popen([sys.executable, "-c", "while True: pass"]) if args.load else None
    try:
        for index in range(args.rounds):
            # Every other round the window goes first: each kind of run follows each other kind
            # as often, so what one run leaves behind (a process just exited) favours no side.
            order = KINDS if index % 2 == 0 else KINDS[1:] + KINDS[:1]
            done = {kind: runs[kind](index) for kind in order}
            rows += [(kind, done[kind]) for kind in KINDS]
    finally:
        if competitor is not None:  # never left spinning, whatever happened
            competitor.kill()
            competitor.wait()
    window.close()
    head, win, probed = (runs_of(rows, kind) for kind in KINDS)
    result = {
        "generator": generator,
        "steps": args.steps,
        "headless_steps_per_s": statistics.median(head),
        "window_steps_per_s": statistics.median(w["rate"] for w in win),
        "probed_steps_per_s": statistics.median(w["rate"] for w in probed),
        "lateness_training_ms": {
            key: statistics.median(w["lateness"][key] for w in probed) for key in ("p50", "p99")
        }
        | {"max": max(w["lateness"]["max"] for w in probed)},
        "lateness_prewarm_ms": prewarm,
        "prewarm_s": window.session.worker.warm_seconds,
        "curve_redraws_per_s": statistics.median(w["redraws_per_s"] for w in probed),
        "launch_shown_s_median": statistics.median(x["shown_s"] for x in launches),
        "launch_shown_s_all": [round(x["shown_s"], 3) for x in launches],
        "torch_imported_at_shown": any(x["torch_imported"] for x in launches),
        "rounds": rows,
        "load": args.load,
        "worker_niceness": worker_module.WORKER_NICENESS,
    }
    result["throughput_ratio"] = result["window_steps_per_s"] / result["headless_steps_per_s"]
    # Each window run against its round's headless run: slow drifts of the machine cancel.
    result["pair_ratio_median"] = statistics.median(
        w["rate"] / h for h, w in zip(head, win, strict=True)
    )
    # Other agents' jobs do not all take the lock: say how busy the machine was.
    result["load_average_1min_at_end"] = os.getloadavg()[0]
    print(json.dumps(result, indent=2, default=str))
    if args.write:
        write_doc(result, " ".join(sys.argv[1:]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
