"""How load time and memory grow with the organisation: ``python -m benchmarks --scaling``.

For each number of persons (default 1,000, 3,000, 10,000, 30,000 and 100,000) a canton shaped
like the ``large`` scale (:func:`benchmarks.generate.scaled`) is generated, and each system
loads it once in a fresh worker (``python -m benchmarks.run load-worker``), started by the lean
launcher of :mod:`benchmarks.run` with its address space bounded (``--memory-limit-mib``,
RLIMIT_AS) and its time (``--timeout``), so that a blow-up is refused rather than suffered by
the machine. A worker reports the load's wall and CPU time, the first question's latency and
its peak RSS (``ru_maxrss``) beside the RSS after importing the system. The growth exponents
are least-squares slopes of log(time) and log(peak RSS − import RSS) over log(persons): 1.0 is
linear growth.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from . import generate
from .systems import registry
from .systems.floor import load_truth

DEFAULT_PERSONS = (1_000, 3_000, 10_000, 30_000, 100_000)
DEFAULT_SYSTEMS = ("floor", "kdv_policy", "clingo")
MEMORY_TARGET_MIB = 1_536  # peak at 100,000 persons
pc = time.perf_counter


def load_worker_main(argv: Sequence[str]) -> int:
    """One system, one load: ``load-worker --system S --dir D --question a,b,c --out O``."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run load-worker")
    parser.add_argument("--system", required=True)
    parser.add_argument("--dir", required=True, type=Path)
    parser.add_argument("--question", required=True)
    parser.add_argument("--out", required=True, type=Path)
    args = parser.parse_args(argv)
    cls = registry()[args.system]
    reason = cls.unavailable()
    if reason:
        args.out.write_text(json.dumps({"skipped": reason}), encoding="utf-8")
        return 0
    if args.system.startswith("kdv"):
        from kdv_policy import Policy  # noqa: F401 -- before the RSS baseline and the timed load
    rss_import = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    system = cls()
    wall, cpu = pc(), time.process_time()
    system.load(args.dir)
    wall, cpu = pc() - wall, time.process_time() - cpu
    question = tuple(args.question.split(","))
    t = pc()
    answer = system.calls()["may"](*question)
    if system.post["may"]:
        answer = getattr(answer, system.post["may"])
    first = (pc() - t) * 1e6
    result = {"load_s": wall, "load_cpu_s": cpu, "first_question_us": first, "answer": bool(answer),
              "phases": getattr(system, "phases", {}), "rss_import_mib": rss_import,
              "rss_peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}
    args.out.write_text(json.dumps(result), encoding="utf-8")
    return 0


def exponent(xs: Sequence[float], ys: Sequence[float]) -> float | None:
    """The least-squares slope of log(y) over log(x)."""
    points = [(math.log(x), math.log(y)) for x, y in zip(xs, ys, strict=True) if x > 0 and y > 0]
    if len(points) < 2:
        return None
    mx = sum(p[0] for p in points) / len(points)
    my = sum(p[1] for p in points) / len(points)
    den = sum((p[0] - mx) ** 2 for p in points)
    return None if den == 0 else sum((p[0] - mx) * (p[1] - my) for p in points) / den


def run(persons: Sequence[int], systems: Sequence[str], workdir: Path, seed: int = 1,
        memory_limit_mib: int = 3_000, timeout_s: float = 900, log: Any = print) -> dict[str, Any]:
    from .run import REPO, Launcher, _meta

    launcher = Launcher()
    report: dict[str, Any] = {"meta": _meta(seed), "memory_limit_mib": memory_limit_mib,
                              "timeout_s": timeout_s, "runs": []}
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(REPO / "src"), str(REPO), env.get("PYTHONPATH", "")])
    try:
        for n in persons:
            directory = workdir / f"{n}p"
            org = generate.build(generate.scaled(n), seed)
            generate.write(org, directory)
            truth = load_truth(directory)
            question = min(truth.may)
            log(f"[{n:,} persons] generated: {truth.stats['stated_facts']:,} stated facts, "
                f"{truth.stats['may_rows']:,} may rows")
            for name in systems:
                with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as tmp:
                    out = Path(tmp.name)
                argv = [sys.executable, "-m", "benchmarks.run", "load-worker", "--system", name, "--dir",
                        str(directory), "--question", ",".join(question), "--out", str(out)]
                try:
                    code, stderr = launcher.run(argv, env, REPO, memory_limit_mib * 1024 * 1024, timeout_s)
                    if code == 0:
                        result = json.loads(out.read_text(encoding="utf-8"))
                        if "answer" in result and result["answer"] is not True:
                            result["error"] = f"answered {result['answer']} to {question}, which holds"
                    else:
                        last = stderr.strip().splitlines()[-1] if stderr.strip() else f"exit {code}"
                        result = {"error": last}
                finally:
                    out.unlink(missing_ok=True)
                result.update({"persons": n, "system": name, "stated_facts": truth.stats["stated_facts"]})
                report["runs"].append(result)
                shown = result.get("error") or result.get("skipped") or (
                    f"load {result['load_s']:.2f} s (CPU {result['load_cpu_s']:.2f} s), "
                    f"peak RSS {result['rss_peak_mib']:.0f} MiB")
                log(f"[{n:,} persons] {name}: {shown}")
    finally:
        launcher.close()
    report["exponents"] = exponents(report)
    return report


def exponents(report: dict[str, Any]) -> dict[str, dict[str, float | None]]:
    out = {}
    for name in dict.fromkeys(r["system"] for r in report["runs"]):
        done = [r for r in report["runs"] if r["system"] == name and "load_cpu_s" in r]
        xs = [float(r["persons"]) for r in done]
        out[name] = {"load_cpu": exponent(xs, [r["load_cpu_s"] for r in done]),
                     "load_wall": exponent(xs, [r["load_s"] for r in done]),
                     "memory": exponent(xs, [r["rss_peak_mib"] - r["rss_import_mib"] for r in done])}
    return out


def table(report: dict[str, Any]) -> str:
    lines = ["| persons | stated facts | system | load s (CPU s) | × floor (CPU) | first q µs "
             "| peak RSS MiB |", "|---|---|---|---|---|---|---|"]
    floors = {r["persons"]: r for r in report["runs"] if r["system"] == "floor" and "load_cpu_s" in r}
    for r in report["runs"]:
        if "load_cpu_s" not in r:
            lines.append(f"| {r['persons']:,} | {r['stated_facts']:,} | {r['system']} | "
                         f"{r.get('error') or r.get('skipped')} | | | |")
            continue
        floor = floors.get(r["persons"])
        ratio = ("" if floor is None or r["system"] == "floor"
                 else f"{r['load_cpu_s'] / floor['load_cpu_s']:.1f}×")
        lines.append(f"| {r['persons']:,} | {r['stated_facts']:,} | {r['system']} | {r['load_s']:.2f} "
                     f"({r['load_cpu_s']:.2f}) | {ratio} | {r['first_question_us']:,.0f} "
                     f"| {r['rss_peak_mib']:,.0f} |")
    lines += ["", "| system | time exponent (CPU) | time exponent (wall) | memory exponent |",
              "|---|---|---|---|"]
    for name, e in report["exponents"].items():
        lines.append(f"| {name} | " + " | ".join("–" if e[k] is None else f"{e[k]:.2f}"
                                                  for k in ("load_cpu", "load_wall", "memory")) + " |")
    return "\n".join(lines)


def main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks --scaling", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scaling", nargs="?", const=",".join(map(str, DEFAULT_PERSONS)),
                        help="comma-separated numbers of persons (default: " +
                             ", ".join(map(str, DEFAULT_PERSONS)) + ")")
    parser.add_argument("--systems", default=",".join(DEFAULT_SYSTEMS))
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workdir", type=Path, help="keep the generated policies here (default: a temp dir)")
    parser.add_argument("--memory-limit-mib", type=int, default=3_000,
                        help="address space of each worker (RLIMIT_AS), MiB (default 3000)")
    parser.add_argument("--timeout", type=float, default=900, help="seconds per worker (default 900)")
    parser.add_argument("--out", type=Path, help="where to save the JSON results")
    args = parser.parse_args(argv)
    persons = [int(p) for p in args.scaling.split(",") if p.strip()]
    systems = [s.strip() for s in args.systems.split(",") if s.strip()]
    unknown = [s for s in systems if s not in registry()]
    if unknown or any(p < 50 for p in persons):
        parser.error(f"unknown system {', '.join(unknown)}" if unknown else "at least 50 persons a canton")
    temp = None
    workdir = args.workdir
    if workdir is None:
        temp = tempfile.TemporaryDirectory(prefix="kdv-scaling-")
        workdir = Path(temp.name)
    try:
        report = run(persons, systems, workdir, args.seed, args.memory_limit_mib, args.timeout,
                     log=lambda line: print(line, file=sys.stderr, flush=True))
    finally:
        if temp is not None:
            temp.cleanup()
    print(table(report))
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
        print(f"\nresults saved to {args.out}")
    return 1 if any("error" in r for r in report["runs"]) else 0
