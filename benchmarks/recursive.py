"""A large recursive program: ``python -m benchmarks.recursive``.

The governance is a shallow program; this measures what the engine does with a deep one, the
kind a public Datalog conformance suite uses to tell engines apart: a field-sensitive
points-to analysis (Andersen style) over a synthetic program's facts::

    vpt(V, O)     :- alloc(V, O).            % V may point to the object allocated at O
    vpt(L, O)     :- assign(R, L), vpt(R, O).
    vpt(L, O)     :- bridge(L, R), vpt(R, O).
    lvpt(V, O, F) :- load(B, V, F), vpt(B, O).
    svpt(V, O, F) :- store(V, B, F), vpt(B, O).
    bridge(L, R)  :- lvpt(L, O, F), svpt(R, O, F).

Three mutually recursive relations, joins of three columns, about 33 derived rows per fact.
The facts come from :func:`facts`: independent modules of :data:`MODULE_FACTS` facts each
(variables, allocation sites and fields local to a module, drawn from a seeded generator), so
the derived rows grow in proportion to the facts and the growth exponent of the time over
the derived rows says whether an engine's work grows faster than its output.

Each system evaluates each size once, in a fresh process whose address space and time are
bounded (started by the run's lean launcher, :class:`benchmarks.run.Launcher`, so that its
peak memory is its own): kdv_policy loads the facts and rules as a policy directory
(``Policy.load(...).materialise()``: the project's parser and checker, then pyDatalog's joins
in the engine's semi-naive rounds), clingo (``pip install clingo``; the peer of
``python -m benchmarks``) grounds and solves the same rules. Both report the CPU time of the
evaluation, the peak resident memory, the rows of every derived relation and a digest of
them: the two must agree row for row.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import resource
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .run import Launcher
from .scaling import exponent
from .systems import registry

MODULE_FACTS = 2_000
"""Facts of one module of the synthetic program; a size is a whole number of modules."""

DEFAULT_FACTS = (2_000, 6_000, 12_000, 26_000, 52_000)
SYSTEMS = ("kdv_policy", "clingo")
DERIVED = ("vpt", "lvpt", "svpt", "bridge")
RESULTS = Path(__file__).parent / "results" / "recursive.json"

RULES = """\
.decl alloc(var, site)
.decl assign(source, target)
.decl load(base, target, field)
.decl store(source, base, field)
.decl vpt(var, site)
.decl lvpt(var, site, field)
.decl svpt(var, site, field)
.decl bridge(target, source)

@id(vpt_alloc)
vpt(V, O) :- alloc(V, O).
@id(vpt_assign)
vpt(L, O) :- assign(R, L), vpt(R, O).
@id(vpt_bridge)
vpt(L, O) :- bridge(L, R), vpt(R, O).
@id(lvpt_load)
lvpt(V, O, F) :- load(B, V, F), vpt(B, O).
@id(svpt_store)
svpt(V, O, F) :- store(V, B, F), vpt(B, O).
@id(bridge_field)
bridge(L, R) :- lvpt(L, O, F), svpt(R, O, F).
"""


def facts(total: int, seed: int = 1, module: int = MODULE_FACTS) -> dict[str, list[tuple[str, ...]]]:
    """The facts of a synthetic program of ``total`` facts (rounded to whole modules of ``module``
    facts), by relation.

    A module of n facts has 0.6·n variables, n/8 allocation sites (each allocated into one
    variable), n/400 fields, and about 0.475·n assignments, 0.2·n loads and 0.2·n stores between
    random variables of the module (duplicates dropped): dense enough that most variables of a
    module reach each other, so every module derives about as many rows as any other.
    """
    out: dict[str, set[tuple[str, ...]]] = {"alloc": set(), "assign": set(), "load": set(), "store": set()}
    n = module
    for m in range(max(1, round(total / n))):
        r = random.Random(f"{seed}-{m}")
        variables, sites, fields = int(n * 0.6), n // 8, max(4, n // 400)

        def var() -> str:
            return f"m{m}_v{r.randrange(variables)}"  # noqa: B023 (the module's own generator)

        def field() -> str:
            return f"m{m}_f{r.randrange(fields)}"  # noqa: B023

        out["alloc"].update((f"m{m}_v{i}", f"m{m}_h{r.randrange(sites)}") for i in range(sites))
        out["assign"].update((var(), var()) for _ in range(int(n * 0.475)))
        out["load"].update((var(), var(), field()) for _ in range(int(n * 0.2)))
        out["store"].update((var(), var(), field()) for _ in range(int(n * 0.2)))
    return {p: sorted(rows) for p, rows in out.items()}


def write_policy(directory: Path, stated: dict[str, list[tuple[str, ...]]]) -> None:
    """The rules and facts as a kdv_policy policy directory (``rules.dl``, ``facts.dl``)."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "rules.dl").write_text(RULES, encoding="utf-8")
    with open(directory / "facts.dl", "w", encoding="utf-8") as out:
        for predicate, rows in stated.items():
            out.writelines(f"{predicate}({', '.join(row)}).\n" for row in rows)


def digest(model: dict[str, set[tuple[str, ...]]]) -> str:
    """A SHA-256 over the derived relations' rows, sorted: equal models, equal digests."""
    h = hashlib.sha256()
    for predicate in DERIVED:
        for row in sorted(model.get(predicate, ())):
            h.update(("\t".join((predicate, *row)) + "\n").encode())
    return h.hexdigest()


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_kdv_policy(directory: Path) -> dict[str, Any]:
    """Load the policy directory and evaluate every relation; the figures and the model."""
    from kdv_policy import Limits, Policy

    with open(directory / "facts.dl", encoding="utf-8") as lines:
        stated = sum(1 for _ in lines)
    limits = Limits(max_items=stated + 1_000, max_rule_work=10**10, max_rows_per_relation=10**8,
                    max_rule_file_bytes=1 << 30)
    start = time.process_time()
    policy = Policy.load(directory, limits=limits, interpretations=())
    policy.materialise()
    took = time.process_time() - start
    model = {p: {tuple(str(v) for v in row) for row in policy.model[p]} for p in DERIVED}
    return {"cpu_s": took, "model": model}


def run_clingo(directory: Path) -> dict[str, Any]:
    """Ground and solve the same rules and facts with clingo; the figures and the model."""
    import clingo

    program = "\n".join(line for line in RULES.splitlines() if not line.startswith((".decl", "@")))
    start = time.process_time()
    control = clingo.Control(["--warn=none"])
    control.add("base", [], program + "\n" + (directory / "facts.dl").read_text(encoding="utf-8"))
    control.ground([("base", [])])
    model: dict[str, set[tuple[str, ...]]] = {p: set() for p in DERIVED}

    def on_model(m: Any) -> None:
        for symbol in m.symbols(atoms=True):
            if symbol.name in model:
                model[symbol.name].add(tuple(str(a) for a in symbol.arguments))

    control.solve(on_model=on_model)
    took = time.process_time() - start
    return {"cpu_s": took, "model": model}


def worker_main(argv: Sequence[str]) -> int:
    """``worker SYSTEM DIRECTORY OUT``: one evaluation, its figures as JSON in the file ``OUT``."""
    system, directory, out = argv[0], Path(argv[1]), Path(argv[2])
    found = (run_kdv_policy if system == "kdv_policy" else run_clingo)(directory)
    model = found.pop("model")
    out.write_text(json.dumps({**found, "peak_mib": _peak_mib(), "digest": digest(model),
                               "rows": {p: len(model[p]) for p in DERIVED}}), encoding="utf-8")
    return 0


def measure(launcher: Launcher, system: str, directory: Path, memory_mib: int, timeout: float
            ) -> dict[str, Any]:
    """One evaluation in a fresh, bounded worker; ``{"error": ...}`` when it fails or runs out."""
    out = directory / f"{system}.json"
    returncode, stderr = launcher.run(
        [sys.executable, "-m", "benchmarks.recursive", "worker", system, str(directory), str(out)],
        env=dict(os.environ), cwd=Path(__file__).parent.parent, address_space=memory_mib << 20,
        timeout=timeout)
    if returncode != 0:
        return {"error": (stderr.strip().splitlines() or [f"exit status {returncode}"])[-1][-300:]}
    result: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    return result


def run(sizes: Sequence[int], systems: Sequence[str], memory_mib: int, timeout: float,
        module: int = MODULE_FACTS) -> dict[str, Any]:
    """Every system at every size; the figures, the agreement and the growth exponents."""
    report: dict[str, Any] = {"module_facts": module, "memory_limit_mib": memory_mib,
                              "timeout_s": timeout, "rows": [], "skipped": {}}
    ready = []
    for s in systems:
        why = registry()[s].unavailable()
        if why is None:
            ready.append(s)
        else:
            report["skipped"][s] = why
    launcher = Launcher()  # started before the facts are made: workers report their own peak memory
    try:
        with tempfile.TemporaryDirectory(prefix="kdv-recursive-") as work:
            for size in sizes:
                stated = facts(size, module=module)
                directory = Path(work) / f"p{size}"
                write_policy(directory, stated)
                row: dict[str, Any] = {"facts": sum(len(r) for r in stated.values())}
                for system in ready:
                    row[system] = measure(launcher, system, directory, memory_mib, timeout)
                    print(f"{size} facts, {system}: {json.dumps(row[system])}", file=sys.stderr, flush=True)
                found = {row[s]["digest"] for s in ready if "digest" in row[s]}
                row["agree"] = len(found) <= 1
                report["rows"].append(row)
    finally:
        launcher.close()
    report["exponents"] = {}
    for system in ready:
        done = [r for r in report["rows"] if "cpu_s" in r[system]]
        derived = [sum(r[system]["rows"].values()) for r in done]
        report["exponents"][system] = {
            "cpu_over_facts": exponent([r["facts"] for r in done], [r[system]["cpu_s"] for r in done]),
            "cpu_over_derived": exponent(derived, [r[system]["cpu_s"] for r in done]),
            "memory_over_derived": exponent(derived, [r[system]["peak_mib"] for r in done])}
    return report


def markdown(report: dict[str, Any]) -> str:
    """The report as the tables docs/performance.md shows."""
    systems = list(report["exponents"])
    head = "| facts | derived rows |" + "".join(f" {s} CPU s | {s} peak MiB |" for s in systems)
    lines = [head, "|" + "---:|" * (2 + 2 * len(systems))]
    for r in report["rows"]:
        first = next((r[s] for s in systems if "rows" in r[s]), None)
        derived = f"{sum(first['rows'].values()):,}" if first else "–"
        cells = [f"{r['facts']:,}", derived]
        for s in systems:
            found = r[s]
            cells += ([f"{found['cpu_s']:.1f}", f"{found['peak_mib']:,.0f}"] if "cpu_s" in found
                      else [found.get("error", "–"), "–"])
        lines.append("| " + " | ".join(cells) + " |")
    if len(systems) > 1:
        agree = all(r["agree"] for r in report["rows"])
        lines += ["", "models agree at every size: " + ("yes" if agree else "NO")]
        a, b = systems[0], systems[1]
        ratios = [f"{r['facts']:,}: {r[a]['cpu_s'] / r[b]['cpu_s']:.1f}×" for r in report["rows"]
                  if "cpu_s" in r[a] and "cpu_s" in r[b] and r[b]["cpu_s"] > 0]
        lines.append(f"{a} / {b} (CPU): " + ", ".join(ratios))
    lines += ["", "| system | CPU over facts | CPU over derived rows | peak memory over derived rows |",
              "|---|---:|---:|---:|"]
    for s, e in report["exponents"].items():
        cells = [("–" if v is None else f"{v:.2f}") for v in e.values()]
        lines.append(f"| {s} | " + " | ".join(cells) + " |")
    for s, why in report["skipped"].items():
        lines.append(f"\n{s}: skipped ({why})")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["worker"]:
        return worker_main(argv[1:])
    parser = argparse.ArgumentParser(prog="python -m benchmarks.recursive", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--facts", type=int, nargs="+", default=list(DEFAULT_FACTS),
                        help=f"sizes, in facts (whole modules of {MODULE_FACTS:,}; default %(default)s)")
    parser.add_argument("--systems", default=",".join(SYSTEMS), help="default %(default)s")
    parser.add_argument("--memory-limit-mib", type=int, default=8_000,
                        help="address space of each evaluation (RLIMIT_AS), MiB (default %(default)s)")
    parser.add_argument("--timeout", type=float, default=1_800,
                        help="seconds per evaluation (default %(default)s)")
    parser.add_argument("--out", type=Path, default=RESULTS, help="the JSON report (default %(default)s)")
    args = parser.parse_args(argv)
    systems = [s for s in args.systems.split(",") if s]
    unknown = [s for s in systems if s not in SYSTEMS]
    if unknown:
        parser.error(f"unknown systems: {', '.join(unknown)} (known: {', '.join(SYSTEMS)})")
    report = run(args.facts, systems, args.memory_limit_mib, args.timeout)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    tmp = args.out.with_name(args.out.name + ".tmp")
    tmp.write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    os.replace(tmp, args.out)
    print(markdown(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
