"""Bundles measured: build time, size, load time, first question and peak memory, by organisation size.

    python -m benchmarks.bundles                      # 10,000 and 100,000 persons
    python -m benchmarks.bundles --persons 1000 10000 --rules

For each size, a synthetic canton (benchmarks/generate.py; the ``large`` scale for 10,000 persons,
its units and Gemeinden grown in proportion above it) is written once, then each step runs in a
fresh interpreter, so imports, caches and memory are its own: ``build`` (load the rules, evaluate
every relation, write the bundle), ``load`` (``Policy.load`` of the bundle), ``first`` (the first
``may`` question after it, an allowed one of the benchmark's questions) and the peak resident memory
of the process (``ru_maxrss``). ``--rules`` measures the same from the rules (load and
``materialise()``) beside it. Times are the CPU time of the measuring process (``--wall``: wall-clock
time), which a busy machine changes less than the wall clock; compare them within one run.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks import generate

_CHILD = r"""
import json, resource, sys, time
started = time.perf_counter()
from kdv_policy import Policy
from kdv_policy.policy import bundle
imported, imported_cpu = time.perf_counter(), time.process_time()
step, source, target, question = sys.argv[1], sys.argv[2], sys.argv[3], json.loads(sys.argv[4])
cpu = sys.argv[5] == "cpu"
out = {}
if step == "build":
    policy = Policy.load(source)
    data = bundle.build(policy)
    bundle.write(data, target)
    out["build_s"] = time.process_time() - imported_cpu if cpu else time.perf_counter() - imported
    out["bytes"] = len(data)
    out["rows"] = sum(len(r) for r in policy.model.values())
else:
    clock = time.process_time if cpu else time.perf_counter
    t = clock()
    policy = Policy.load(source if step == "rules" else target)
    loaded = clock()
    if step != "bundle":
        policy.materialise()
    ready = clock()
    decision = policy.may(*question)
    first = clock()
    assert decision.allowed, decision
    out.update(load_s=loaded - t, materialise_s=ready - loaded, first_s=first - ready,
               import_s=imported - started)
out["peak_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps(out))
"""


def scale_for(persons: int) -> generate.Scale:
    """The ``large`` scale for 10,000 persons; above it, units and Gemeinden grow with the persons."""
    large = generate.SCALES["large"]
    if persons <= large.persons:
        return next(s for s in generate.SCALES.values() if s.persons >= persons)
    factor = persons / large.persons
    return dataclasses.replace(large, name=f"{persons}", persons=persons, units=int(large.units * factor),
                               gemeinden=int(large.gemeinden * factor))


CLOCK = "cpu"
"""``cpu`` (the process's CPU time: what a busy machine changes least) or ``wall``."""


def _run(step: str, source: Path, target: Path, question: tuple[str, ...], memory_gib: float,
         timeout: float) -> dict[str, float]:
    limit = int(memory_gib * (1 << 30))

    def bounded() -> None:  # the child's address space is bounded: a blow-up fails, it does not swap
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    command = [sys.executable, "-c", _CHILD, step, str(source), str(target), json.dumps(question), CLOCK]
    done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, preexec_fn=bounded,
                          check=False)
    if done.returncode != 0:
        raise SystemExit(f"{step} of {source} failed:\n{done.stderr[-2000:]}")
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def measure(persons: int, work: Path, rules: bool = False, memory_gib: float = 6.0,
            timeout: float = 1800) -> dict[str, object]:
    """Build and load the bundle of an organisation of ``persons`` persons; every figure of one size."""
    from benchmarks.systems.floor import load_truth

    directory = work / f"canton-{persons}"
    if not directory.exists():
        generate.generate(scale_for(persons), 1, directory)
    truth = load_truth(directory)
    question = next(q for q in generate.make_questions(truth, seed=1).may if q in truth.may)
    target = work / f"canton-{persons}.kdvb"
    row: dict[str, object] = {"persons": persons}
    built = _run("build", directory, target, question, memory_gib, timeout)
    row.update(build_s=built["build_s"], bytes=built["bytes"], rows=built["rows"],
               build_peak_mib=built["peak_mib"])
    loaded = _run("bundle", directory, target, question, memory_gib, timeout)
    row.update(load_s=loaded["load_s"], first_s=loaded["first_s"], import_s=loaded["import_s"],
               peak_mib=loaded["peak_mib"])
    ready = _run("ready", directory, target, question, memory_gib, timeout)
    row.update(materialise_s=ready["materialise_s"], ready_first_s=ready["first_s"],
               ready_peak_mib=ready["peak_mib"])
    if rules:
        from_rules = _run("rules", directory, target, question, memory_gib, timeout)
        row.update(rules_load_s=float(from_rules["load_s"]) + float(from_rules["materialise_s"]),
                   rules_first_s=from_rules["first_s"], rules_peak_mib=from_rules["peak_mib"])
    return row


def table(rows: list[dict[str, object]]) -> str:
    lines = ["| persons | rows | build (peak memory) | bundle | load | first question | materialise | "
             "first question after it | peak memory | from rules: load + materialise "
             "| first question after it | peak memory |",
             "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]

    def f(r: dict[str, object], key: str) -> float:
        return float(r[key])  # type: ignore[arg-type]

    for r in rows:
        rules = (f"{f(r, 'rules_load_s'):.2f} s | {f(r, 'rules_first_s') * 1000:.1f} ms | "
                 f"{f(r, 'rules_peak_mib'):.0f} MiB") if "rules_load_s" in r else "– | – | –"
        lines.append(
            f"| {r['persons']:,} | {r['rows']:,} "
            f"| {f(r, 'build_s'):.1f} s ({f(r, 'build_peak_mib'):.0f} MiB) "
            f"| {f(r, 'bytes') / (1 << 20):.1f} MiB | {f(r, 'load_s'):.3f} s "
            f"| {f(r, 'first_s') * 1000:.0f} ms "
            f"| {f(r, 'materialise_s'):.3f} s | {f(r, 'ready_first_s') * 1000:.2f} ms "
            f"| {f(r, 'ready_peak_mib'):.0f} MiB | {rules} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bundles", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--persons", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--rules", action="store_true", help="measure loading from the rules beside it")
    parser.add_argument("--work", metavar="DIR", help="where the cantons and bundles are written (default: a "
                                                      "temporary directory)")
    parser.add_argument("--memory-gib", type=float, default=6.0, help="address-space bound of each step")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON, not a table")
    parser.add_argument("--wall", action="store_true",
                        help="wall-clock times (default: CPU time of the process)")
    args = parser.parse_args(argv)
    global CLOCK
    CLOCK = "wall" if args.wall else "cpu"
    with tempfile.TemporaryDirectory(prefix="kdv-bundles-") as temporary:
        work = Path(args.work) if args.work else Path(temporary)
        work.mkdir(parents=True, exist_ok=True)
        started = time.perf_counter()
        rows = [measure(n, work, args.rules, args.memory_gib) for n in args.persons]
    print(json.dumps(rows, indent=1) if args.json else table(rows))
    print(f"\n(measured in {time.perf_counter() - started:.0f} s)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
