"""The trust promises tried as an adversarial user would, many times: counts of held and lost.

Each case repeats an attack from issue 17 with real ``studio`` processes and real signals, in a
fresh library each time where that matters, and counts an attempt as *held* when the promise kept
and as *lost* when something was lost or a plugin's code ran that should not have.

    flock /tmp/studio-cpu.lock .venv/bin/python bench/stress_trust.py [--attempts 5] [--write]
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "bench"), str(ROOT / "tests")]
from report import keep_lines, machine, read_section, write_section  # noqa: E402
from support.entrypoints import (  # noqa: E402
    install_distribution,
    install_test_generators,
    studio_command,
    subprocess_env,
)
from support.killing import logged_steps as _steps  # noqa: E402
from support.killing import start_training, wait_for  # noqa: E402

from studio.engine.store import checkpoints as ckpt  # noqa: E402

TOUCH = "import os, pathlib\npathlib.Path(os.environ['MARKERS'], {name!r}).touch()\n"
TRAIN = ("--set", "preview_every=0", "--set", "eval_every=0")
SECTION = "Trust promises under attack"


class World:
    """A test-generator site, a corpus, and a fresh library per call of ``home``."""

    def __init__(self, work: Path) -> None:
        self.work = work
        self.site = work / "site"
        install_test_generators(self.site)
        self.corpus = work / "corpus.txt"
        self.corpus.write_text("Studio keeps every promise it makes. " * 200, encoding="utf-8")
        self.markers = work / "markers"
        self.count = 0

    def home(self, approve: tuple[str, ...] = ()) -> Path:
        self.count += 1
        home = self.work / f"home{self.count}"
        (home / "plugins").mkdir(parents=True)
        (home / "settings.json").write_text(json.dumps({"approved_plugins": ["testgen", *approve]}))
        shutil.rmtree(self.markers, ignore_errors=True)
        self.markers.mkdir()
        return home

    def env(self, home: Path, extra_site: Path | None = None) -> dict[str, str]:
        env = subprocess_env(self.site, home, MARKERS=str(self.markers))
        if extra_site is not None:
            env["PYTHONPATH"] = f"{extra_site}:{env['PYTHONPATH']}"
        return env

    def studio(self, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(studio_command(*args), env=env, capture_output=True, text=True,
                              timeout=300)  # fmt: skip

    def train(self, env: dict[str, str], name: str, *sets: str) -> subprocess.Popen[str]:
        return start_training(env, self.corpus, name, *sets)


def _plugin_in(folder: Path, entry: str, module: str, source: str) -> None:
    (folder / module).mkdir(parents=True, exist_ok=True)
    (folder / module / "__init__.py").write_text(source, encoding="utf-8")
    install_distribution(folder, f"studio-{module.replace('_', '-')}", {entry: module})


# Each case returns (held, lost): lost counts what was lost or run against the promise.


def unapproved_plugin(world: World, rng: random.Random) -> tuple[bool, bool]:
    home = world.home()
    site = home / "plugins" / "site"  # Studio's plugin site, never enabled
    (site / "opt_einsum.py").parent.mkdir(parents=True, exist_ok=True)
    (site / "opt_einsum.py").write_text(TOUCH.format(name="opt_einsum") + "raise ImportError\n")
    _plugin_in(site, "sneaky", "studio_sneaky", TOUCH.format(name="sneaky"))
    # The optional module is listed in the plugin's RECORD, as a wheel would have it.
    (info,) = site.glob("*.dist-info")
    (info / "RECORD").write_text("studio_sneaky/__init__.py,,\nopt_einsum.py,,\n")
    # Safe mode loads built-ins only, so it trains the built-in gpt (tiny); otherwise tinychar.
    if rng.random() < 0.5:
        generator = ("--safe-mode", "train", "gpt", "--set", "n_layer=1", "--set", "n_embd=16",
                     "--set", "n_head=1", "--set", "block_size=16")  # fmt: skip
    else:
        generator = ("train", "tinychar")
    result = world.studio(world.env(home), *generator, "--data", str(world.corpus),
                          "--steps", "2", *TRAIN)  # fmt: skip
    ran = any(world.markers.iterdir())
    return result.returncode == 0 and not ran, ran


def hides_a_builtin(world: World, rng: random.Random) -> tuple[bool, bool]:
    home = world.home(approve=("gpt",))
    extra = world.work / f"evil{world.count}"
    name = rng.choice(["gpt", "dcgan", "vae"])
    _plugin_in(extra, name, f"evil_{name}", TOUCH.format(name="evil"))
    result = world.studio(world.env(home, extra), "plugins", "--json")
    records = {r["name"]: r for r in json.loads(result.stdout or "{}").get("plugins", [])}
    builtin_kept = records.get(name, {}).get("builtin") and records[name]["status"] == "loaded"
    ran = any(world.markers.iterdir())
    return bool(builtin_kept) and not ran, ran or not builtin_kept


def kills_at_import(world: World, rng: random.Random) -> tuple[bool, bool]:
    how = rng.choice(["os._exit(0)", "os.kill(os.getpid(), 9)", "os.abort()"])
    home = world.home(approve=("killer",))
    extra = world.work / f"killer{world.count}"
    _plugin_in(extra, "killer", "plug_killer", f"import os\n{how}\n")
    result = world.studio(world.env(home, extra), "plugins", "--json")
    try:
        records = {r["name"]: r for r in json.loads(result.stdout)["plugins"]}
    except (ValueError, KeyError):
        return False, True  # the command died with the plugin
    held = records["killer"]["status"] == "failed" and records["testgen"]["status"] == "loaded"
    return held, not held


def resume_a_live_run(world: World, rng: random.Random) -> tuple[bool, bool]:
    home = world.home()
    env = world.env(home)
    live = world.train(env, "live", "steps=100000", "step_delay_ms=10", "checkpoint_every=3")
    run = home / "runs" / "live"
    wait_for(lambda: ckpt.newest_valid(run / "checkpoints") is not None)
    time.sleep(rng.uniform(0, 0.5))
    # The training process: the command, or the child it runs a third-party plugin's job in.
    holder = json.loads((run / "run.json").read_text())["pid"]
    second = world.studio(env, "resume", "live")
    live.send_signal(signal.SIGINT)
    live.communicate(timeout=120)
    steps = _steps(run)
    intact = steps == list(range(1, len(steps) + 1))
    refused = second.returncode == 2 and f"process {holder}" in second.stderr
    return refused and intact, not intact


def sigterm_mid_training(world: World, rng: random.Random) -> tuple[bool, bool]:
    home = world.home()
    process = world.train(world.env(home), "term", "steps=100000", "step_delay_ms=5",
                          "checkpoint_every=100000")  # fmt: skip
    run = home / "runs" / "term"
    wait_for(lambda: len(_steps(run)) >= 2)
    time.sleep(rng.uniform(0, 1.0))
    signum = rng.choice([signal.SIGTERM, signal.SIGHUP])
    process.send_signal(signum)
    process.communicate(timeout=120)
    newest = ckpt.newest_valid(run / "checkpoints")
    logged = _steps(run)[-1]
    lost = newest is None or newest.step < logged
    return process.returncode == 128 + signum and not lost, lost


def damaged_newest(world: World, rng: random.Random) -> tuple[bool, bool]:
    home = world.home()
    env = world.env(home)
    world.train(env, "dmg", "steps=6", "checkpoint_every=2", "keep_checkpoints=3").communicate(
        timeout=300
    )
    newest = ckpt.list_checkpoints(home / "runs" / "dmg" / "checkpoints")[-1]
    victim = newest.path / rng.choice([ckpt.WEIGHTS, ckpt.MANIFEST, ckpt.TRAINER_TENSORS])
    data = bytearray(victim.read_bytes())
    data[rng.randrange(len(data))] ^= 0xFF
    victim.write_bytes(bytes(data))
    result = world.studio(env, "resume", "dmg", "--steps", "8")
    kept = any((home / "runs" / "dmg" / "damaged").glob(f"{newest.path.name}-*"))
    return result.returncode == 0 and kept, not kept


def same_name_again(world: World, rng: random.Random) -> tuple[bool, bool]:
    home = world.home()
    env = world.env(home)
    world.train(env, "same", "steps=2").communicate(timeout=300)
    before = ckpt.read_checkpoint(home / "models" / "same").model_hash
    shutil.rmtree(home / "runs" / "same")
    extra = rng.choice([(), ("--from", "same")])
    command = ("train", "tinychar", "--data", str(world.corpus), "--name", "same", *TRAIN)
    world.studio(env, *command, "--steps", "3", *extra)
    after = ckpt.read_checkpoint(home / "models" / "same").model_hash
    return after == before, after != before


def edited_manifest(world: World, rng: random.Random) -> tuple[bool, bool]:
    home = world.home()
    env = world.env(home)
    world.train(env, "m", "steps=2").communicate(timeout=300)
    path = home / "models" / "m" / ckpt.MANIFEST
    manifest = json.loads(path.read_text())
    key = rng.choice(sorted(manifest["config"]))
    value = manifest["config"][key]
    manifest["config"][key] = value + 1 if isinstance(value, int) else "edited"
    path.write_text(json.dumps(manifest))
    result = world.studio(env, "generate", "tinychar", "--model", "m",
                          "--out", str(home / "out"))  # fmt: skip
    return (
        result.returncode != 0 and "manifest was changed" in result.stderr,
        result.returncode == 0,
    )


CASES = {
    "an installed, never-enabled plugin ships torch's optional `opt_einsum`": unapproved_plugin,
    "a plugin's entry point is named like a built-in (`gpt`, `dcgan`, `vae`)": hides_a_builtin,
    "a plugin ends the process at import (`os._exit(0)`, SIGKILL, abort)": kills_at_import,
    "`studio resume` of a run that is still training": resume_a_live_run,
    "SIGTERM or SIGHUP at a random moment of training": sigterm_mid_training,
    "one flipped byte in the newest checkpoint, then resume": damaged_newest,
    "`--name same` after deleting the run (or `--from same`)": same_name_again,
    "a hand-edited value in a model's manifest": edited_manifest,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--attempts", type=int, default=5)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--write", action="store_true")
    parser.add_argument(
        "--only", action="append", default=[], help="run only this case (function name; repeat)"
    )
    args = parser.parse_args()
    rng = random.Random(args.seed)
    world = World(Path(tempfile.mkdtemp(prefix="studio-trust-")))
    began = time.perf_counter()
    rows = []
    skipped = []
    for label, case in CASES.items():
        if args.only and case.__name__ not in args.only:
            skipped.append(f"| {label} |")
            continue
        held = lost = 0
        for _ in range(args.attempts):
            kept, gone = case(world, rng)
            held += kept
            lost += gone
        rows.append(f"| {label} | {args.attempts} | {held} | {lost} |")
        print(rows[-1], flush=True)
    elapsed = time.perf_counter() - began
    body = "\n".join([
        f"{machine()}.",
        f"Command: `flock /tmp/studio-cpu.lock .venv/bin/python bench/stress_trust.py "
        f"--attempts {args.attempts}{''.join(f' --only {n}' for n in args.only)} --write`",
        "",
        "Held: the promise kept. Lost: a run, a model or metrics lost, or a plugin's code ran "
        "that should not have (the command dying with a plugin counts as lost).",
        "",
        "| attack | attempts | held | lost |",
        "|---|---|---|---|",
        *rows,
        "",
        f"Wall time {elapsed:.0f} s.",
    ])  # fmt: skip
    if skipped:
        note = f"Rows this run (`--only {' --only '.join(args.only)}`) did not measure are kept."
        body = keep_lines(body, read_section(SECTION), tuple(skipped), note)
    print(body)
    if args.write:
        write_section(SECTION, body)
    shutil.rmtree(world.work, ignore_errors=True)
    failed = any(not row.endswith(f"| {args.attempts} | 0 |") for row in rows)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
