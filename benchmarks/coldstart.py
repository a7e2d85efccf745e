"""CPU cost of a cold start of the command line: ``python -m benchmarks.coldstart``.

Runs ``python -c pass``, ``python -c "import kdv_policy"`` and a ``query`` on the bundled
policy (``python -m kdv_policy query "may Regierungsrat verabschieden Strategie"``), each
``--runs`` times in a fresh process started from an empty directory (so no ``./rules`` is
picked up), and reports the median CPU time (user + system, ``RUSAGE_CHILDREN``) of each and
its ratio to ``python -c pass``. CPU time, not wall time: other work on a busy machine
stretches the second, barely the first. Modules run from their bytecode, as in an installation
(pip compiles it when it installs): each command runs once first to write it, into a
temporary ``PYTHONPYCACHEPREFIX``, whatever ``PYTHONDONTWRITEBYTECODE`` says.

Then it splits the query's CPU time in one more process (:func:`split`, median of ``--runs``):
the interpreter's start, importing the command line and what a question needs (and, of that,
creating the project's dataclasses: the standard library compiles each one's methods from
source), and running the command (reading the shipped bundle, the answer, its text); the
interpreter's exit is what the whole process measured less these.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
QUESTION = "may Regierungsrat verabschieden Strategie"
COMMANDS = {
    "python -c pass": ["-c", "pass"],
    "import kdv_policy": ["-c", "import kdv_policy"],
    f'query "{QUESTION}"': ["-m", "kdv_policy", "query", QUESTION],
}
TARGET = 8.0  # the query's CPU, as a multiple of `python -c pass`


def cpu_seconds(argv: list[str], cwd: Path, env: dict[str, str]) -> float:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(argv, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                          text=True, check=False)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"`{' '.join(argv)}` failed: {done.stderr.strip()[-500:]}")
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


@contextlib.contextmanager
def _fresh() -> Iterator[tuple[Path, dict[str, str]]]:
    """An empty working directory (no ``./rules`` to pick up) and the environment of a process
    that imports this checkout's ``src`` and writes its bytecode into a temporary prefix."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(REPO / "src"), env.get("PYTHONPATH", "")])
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    with tempfile.TemporaryDirectory(prefix="kdv-cold-") as empty, \
            tempfile.TemporaryDirectory(prefix="kdv-pyc-") as bytecode:
        env["PYTHONPYCACHEPREFIX"] = bytecode
        yield Path(empty), env


def measure(runs: int = 9) -> dict[str, float]:
    with _fresh() as (empty, env):
        for args in COMMANDS.values():  # writes the bytecode
            cpu_seconds([sys.executable, *args], empty, env)
        return {name: statistics.median(cpu_seconds([sys.executable, *args], empty, env)
                                        for _ in range(runs))
                for name, args in COMMANDS.items()}


_SPLIT = r"""
import time
started = time.process_time()
import dataclasses, json, sys
made, process = [0, 0.0], dataclasses._process_class

def timed(cls, *args, **kwargs):
    t = time.process_time()
    try:
        return process(cls, *args, **kwargs)
    finally:
        if cls.__module__.startswith("kdv_policy"):
            made[0] += 1
            made[1] += time.process_time() - t

dataclasses._process_class = timed
sys.argv = ["kdv_policy", "query", sys.argv[1]]
from kdv_policy.cli.main import main
imported = time.process_time()
status = main()
ran = time.process_time()
print(json.dumps({"start": started, "import": imported - started, "dataclasses": made[1],
                  "classes": made[0], "run": ran - imported, "status": status}), file=sys.stderr)
"""


def split(runs: int = 9) -> dict[str, float]:
    """The query's CPU time by phase (seconds, medians; ``classes``: how many dataclasses the
    project's modules made while imported)."""
    found: list[dict[str, float]] = []
    with _fresh() as (empty, env):
        for i in range(runs + 1):  # the first writes the bytecode
            done = subprocess.run([sys.executable, "-c", _SPLIT, QUESTION], cwd=empty, env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, check=False)
            if done.returncode != 0:
                raise SystemExit(f"the split failed: {done.stderr.strip()[-500:]}")
            if i:
                found.append(json.loads(done.stderr.strip().splitlines()[-1]))
    return {key: statistics.median(f[key] for f in found) for key in found[0]}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.coldstart", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=9)
    args = parser.parse_args(argv)
    medians = measure(max(1, args.runs))
    base = medians["python -c pass"]
    print("| command | CPU ms (median) | × `python -c pass` |\n|---|---|---|")
    for name, seconds in medians.items():
        print(f"| `{name}` | {seconds * 1e3:.1f} | {seconds / base:.1f}× |")
    query = medians[f'query "{QUESTION}"'] / base
    print(f"\nquery ≤ {TARGET:.0f}× `python -c pass`: {'yes' if query <= TARGET else 'no'} ({query:.1f}×)")
    parts = split(max(1, args.runs))
    whole = medians[f'query "{QUESTION}"']
    exit_ = max(0.0, whole - parts["start"] - parts["import"] - parts["run"])
    print("\n| the query, by phase | CPU ms (median) | × `python -c pass` |\n|---|---|---|")
    for name, seconds in (("the interpreter's start", parts["start"]),
                          ("imports", parts["import"]),
                          (f"… of them: creating {parts['classes']:.0f} dataclasses", parts["dataclasses"]),
                          ("the command: the bundle read and checked, the answer, its text", parts["run"]),
                          ("the interpreter's exit (the whole less the rest)", exit_)):
        print(f"| {name} | {seconds * 1e3:.1f} | {seconds / base:.1f}× |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
