"""The benchmark harness: generate, ask, time, check, report.

For each scale, :func:`run` writes the synthetic policy (:mod:`benchmarks.generate`),
computes the ground truth from its files (:mod:`benchmarks.systems.floor`), draws the
questions, and measures every system in a fresh process of its own (:func:`measure`, run as
``python -m benchmarks.run worker ...``), so no system's heap or garbage collection weighs
on another's timings and each process's peak RSS is that system's. A worker:

1. imports the system (RSS after imports is recorded), loads the policy directory
   ``load_repeats`` times (files → ready to answer; the median is reported);
2. asks the first question of the mix on the fresh load (first-question latency);
3. asks the whole mix once, each call timed on its own: the *cold* times are those of the
   first asking of each distinct question (for kdv_policy, a decision-cache miss), and the
   answers are returned for checking;
4. times *warm* calls: per distinct question a batch of repeated calls, divided by the batch
   size (``time.perf_counter_ns``; batches get below the timer's resolution); the median
   over the questions is reported. For kdv_policy with ``cache_size=1`` each question is
   timed once, the questions in turn, so that no call is answered by the one-entry cache;
5. runs the whole mix again and again for a second or so: throughput in questions/s (a system
   whose one cold pass took over ten seconds reports that pass instead: it has no cache);
6. for kdv_policy: reads ``.explanation`` of allowed decisions not explained yet (median
   ms), and checks a sample of the proofs with ``kdv_policy.explain.verify``;
7. reports ``resource.getrusage(RUSAGE_SELF).ru_maxrss``: the peak RSS of load + questions
   (workers are started by a lean launcher process, see :class:`Launcher`; VmHWM is kept as a
   cross-check).

The parent checks every answer against the ground truth, compares kdv_policy's cached and
uncached answers, and divides each warm median by the floor's measured in the same run.
Garbage collection stays on throughout.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import gc
import hashlib
import json
import os
import platform
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from . import generate
from .systems import KINDS, System, registry
from .systems.floor import Truth, load_truth

REPO = Path(__file__).resolve().parents[1]
DEFAULT_SYSTEMS = ("floor", "kdv_policy", "kdv_uncached", "cedar", "casbin", "clingo")
LOAD_REPEATS = {"small": 5, "medium": 3, "large": 3}
WARM_BUDGET_S = 2.0  # per system and kind: time spent on warm batches, at least MIN_WARM questions
MIN_WARM = 5
THROUGHPUT_BUDGET_S = 1.0
DISTINCT_BUDGET_S = 20.0  # per system and kind: the distinct-question pass stops after it (at least MIN_WARM)
EXPLAIN_SAMPLE = 200
LOAD_RATIO_TARGET = 4.2
"""The load target as a ratio to the floor's load: 2 s at large when the floor loaded in 0.48 s
(docs/performance.md), so that a busy machine does not decide it."""

pc = time.perf_counter_ns


# -- timing loops: one per arity and result attribute, so the loop adds the same to every system ---


def _loop3(fn: Callable, n: int, a: str, b: str, c: str) -> int:
    t = pc()
    for _ in range(n):
        fn(a, b, c)
    return pc() - t


def _loop3_allowed(fn: Callable, n: int, a: str, b: str, c: str) -> int:
    t = pc()
    for _ in range(n):
        fn(a, b, c).allowed  # noqa: B018 -- the attribute read is part of the call an app makes
    return pc() - t


def _loop2(fn: Callable, n: int, a: str, b: str) -> int:
    t = pc()
    for _ in range(n):
        fn(a, b)
    return pc() - t


def _loop2_ids(fn: Callable, n: int, a: str, b: str) -> int:
    t = pc()
    for _ in range(n):
        fn(a, b).ids  # noqa: B018
    return pc() - t


def _loop1(fn: Callable, n: int, a: str) -> int:
    t = pc()
    for _ in range(n):
        fn(a)
    return pc() - t


def _loop1_ids(fn: Callable, n: int, a: str) -> int:
    t = pc()
    for _ in range(n):
        fn(a).ids  # noqa: B018
    return pc() - t


LOOPS: dict[tuple[int, str | None], Callable[..., int]] = {
    (3, None): _loop3, (3, "allowed"): _loop3_allowed, (2, None): _loop2, (2, "ids"): _loop2_ids,
    (1, None): _loop1, (1, "ids"): _loop1_ids,
}


def _each3(fn: Callable, questions: Sequence[tuple[str, ...]], out: list, times: list) -> None:
    append, took = out.append, times.append
    for a, b, c in questions:
        t = pc()
        answer = fn(a, b, c)
        took(pc() - t)
        append(answer)


def _each3_allowed(fn: Callable, questions: Sequence[tuple[str, ...]], out: list, times: list) -> None:
    append, took = out.append, times.append
    for a, b, c in questions:
        t = pc()
        answer = fn(a, b, c).allowed
        took(pc() - t)
        append(answer)


def _each2(fn: Callable, questions: Sequence[tuple[str, ...]], out: list, times: list) -> None:
    append, took = out.append, times.append
    for a, b in questions:
        t = pc()
        answer = fn(a, b)
        took(pc() - t)
        append(answer)


def _each2_ids(fn: Callable, questions: Sequence[tuple[str, ...]], out: list, times: list) -> None:
    append, took = out.append, times.append
    for a, b in questions:
        t = pc()
        answer = fn(a, b).ids
        took(pc() - t)
        append(answer)


def _each1(fn: Callable, questions: Sequence[tuple[str, ...]], out: list, times: list) -> None:
    append, took = out.append, times.append
    for (a,) in questions:
        t = pc()
        answer = fn(a)
        took(pc() - t)
        append(answer)


def _each1_ids(fn: Callable, questions: Sequence[tuple[str, ...]], out: list, times: list) -> None:
    append, took = out.append, times.append
    for (a,) in questions:
        t = pc()
        answer = fn(a).ids
        took(pc() - t)
        append(answer)


EACH: dict[tuple[int, str | None], Callable[..., int]] = {
    (3, None): _each3, (3, "allowed"): _each3_allowed, (2, None): _each2, (2, "ids"): _each2_ids,
    (1, None): _each1, (1, "ids"): _each1_ids,
}
"""The distinct-question passes: each question of a list asked once, each call timed on its own
(a median is not moved by the time slices a busy machine takes from the process), the answers kept."""


class _Result:
    """The least a result object can be: five slots, set in ``__init__``."""

    __slots__ = ("action", "actor", "allowed", "object", "question")

    def __init__(self, question: str, allowed: bool, actor: str, action: str, object: str) -> None:
        self.question, self.allowed = question, allowed
        self.actor, self.action, self.object = actor, action, object


def _references(pool: Sequence[tuple[str, ...]]) -> dict[str, float]:
    """What a Python call costs on this machine, timed like the distinct questions (median µs):
    a function that returns ``True`` (the call and the timer alone), and one that builds a
    slotted result object of five fields (the least any result object costs), each over the
    distinct ``may`` questions. They tell how close to the floor an answer object can get."""
    if not pool:
        return {}
    members = set(pool)

    def bare(actor: str, action: str, object: str) -> bool:
        return True

    def slotted(actor: str, action: str, object: str) -> _Result:
        return _Result(actor, (actor, action, object) in members, actor, action, object)

    out: dict[str, float] = {}
    for name, fn, each in (("bare_bool", bare, _each3), ("slotted_result", slotted, _each3_allowed)):
        took: list[int] = []
        each(fn, pool, [], took)
        out[name] = statistics.median(took) / 1e3
    return out


def _median(values: Sequence[float]) -> float | None:
    return statistics.median(values) if values else None


def _quantile(values: Sequence[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def _src_digest() -> str:
    """A hash of kdv_policy's source files, to tell whether the code changed during a run."""
    digest = hashlib.sha256()
    for path in sorted((REPO / "src" / "kdv_policy").rglob("*.py")):
        digest.update(path.relative_to(REPO).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:12]


def _hwm_mib() -> float | None:
    """VmHWM, the peak RSS of this process's own address space (Linux), as a cross-check."""
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


# -- one system, one policy: the worker ------------------------------------------------------------


def measure(system_name: str, directory: Path, questions: generate.Questions, load_repeats: int = 1,
            warm_budget_s: float = WARM_BUDGET_S, throughput_budget_s: float = THROUGHPUT_BUDGET_S,
            explain_sample: int = EXPLAIN_SAMPLE, distinct_budget_s: float = DISTINCT_BUDGET_S,
            ) -> dict[str, Any]:
    """Measure one system on one policy directory (see the module docstring); returns a JSON-ready dict."""
    cls = registry()[system_name]
    reason = cls.unavailable()
    if reason:
        return {"system": system_name, "label": cls.label, "skipped": reason}
    src_digest = _src_digest()
    if system_name.startswith("kdv"):
        # imported before the RSS baseline and the timed loads, like the other systems' modules
        # (``import kdv_policy`` alone loads its public names on first use)
        from kdv_policy import Policy  # noqa: F401
    rss_import = _rss_mib()

    loads = []
    loads_cpu = []  # the process's CPU time for each load: what other processes on the machine move least
    phases: dict[str, list[float]] = {}
    system: System | None = None
    candidate: System | None = None
    for _ in range(max(1, load_repeats)):
        system = candidate = None  # the previous load is garbage before the next is timed
        gc.collect()
        candidate = cls()
        t, cpu = pc(), time.process_time()
        candidate.load(directory)
        loads.append((pc() - t) / 1e9)
        loads_cpu.append(time.process_time() - cpu)
        for phase, seconds in getattr(candidate, "phases", {}).items():
            phases.setdefault(phase, []).append(seconds)
        system = candidate
    assert system is not None
    calls = system.calls()
    post = system.post

    # the first question on the fresh load
    mix = questions.mix
    kind, args = mix[0]
    t = pc()
    first_result = calls[kind](*args)
    if post[kind]:
        first_result = getattr(first_result, post[kind])
    first_us = (pc() - t) / 1e3
    first_question = {"kind": kind, "args": list(args), "us": first_us}

    # the distinct-question mode: questions never asked before, each once, each call timed (for
    # kdv_policy every one a decision-cache miss); the median is reported, the mean kept
    distinct_us: dict[str, float | None] = {k: None for k in KINDS}
    distinct_mean_us: dict[str, float | None] = {k: None for k in KINDS}
    distinct_p90_us: dict[str, float | None] = {k: None for k in KINDS}
    distinct_answers: dict[str, list[Any]] = {}
    for kind in KINDS:
        pool = questions.distinct.get(kind, ())
        if not pool:
            continue
        got: list[Any] = []
        took: list[int] = []
        each = EACH[(len(pool[0]), post[kind])]
        # in chunks of 1, 2, 4, ... questions, until done or over the budget (Cedar's who_may at
        # large takes seconds a question)
        start, size = 0, 1
        deadline = pc() + distinct_budget_s * 1e9
        while start < len(pool):
            each(calls[kind], pool[start:start + size], got, took)
            start, size = start + size, size * 2
            if start >= MIN_WARM and pc() > deadline:
                break
        distinct_us[kind] = statistics.median(took) / 1e3
        distinct_mean_us[kind] = sum(took) / len(took) / 1e3
        distinct_p90_us[kind] = _quantile([t / 1e3 for t in took], 0.9)
        distinct_answers[kind] = [system.normalise(kind, r) for r in got]
    references = _references(questions.distinct.get("may", ())) if system_name == "floor" else {}

    # then the whole mix once: cold times and the answers
    seen: set[tuple[str, tuple[str, ...]]] = set()
    cold: dict[str, list[float]] = {k: [] for k in KINDS}
    first_of_kind: dict[str, float] = {}
    answers: list[Any] = []
    began = pc()
    for i, (kind, args) in enumerate(mix):
        fn, attr = calls[kind], post[kind]
        if i == 0:
            result, elapsed = first_result, first_us
        else:
            t = pc()
            result = fn(*args)
            if attr:
                result = getattr(result, attr)
            elapsed = (pc() - t) / 1e3
        if kind not in first_of_kind:
            first_of_kind[kind] = elapsed
        if (kind, args) not in seen:
            seen.add((kind, args))
            cold[kind].append(elapsed)
        answers.append(result)
    cold_pass_s = (pc() - began) / 1e9
    answers = [system.normalise(kind, r) for (kind, _), r in zip(mix, answers, strict=True)]

    # warm: repeated calls of each distinct question, in batches (or one by one, in turn)
    warm: dict[str, list[float]] = {k: [] for k in KINDS}
    warm_reps: dict[str, int] = {}
    for kind, pool in questions.by_kind().items():
        distinct = list(dict.fromkeys(pool))
        if not distinct:
            continue
        fn, loop = calls[kind], LOOPS[(len(distinct[0]), post[kind])]
        loop(fn, 3, *distinct[0])
        estimate = loop(fn, 5, *distinct[0]) / 5
        reps = max(1, min(200, int(100_000 / max(estimate, 1)))) if system.batched_warm else 1
        warm_reps[kind] = reps
        deadline = pc() + warm_budget_s * 1e9
        for n, args in enumerate(distinct):
            if n >= MIN_WARM and pc() > deadline:
                break
            if system.batched_warm:
                loop(fn, 1, *args)  # make sure it is warm (cached, indexed)
            warm[kind].append(loop(fn, reps, *args) / reps / 1e3)

    # throughput: whole passes of the mix, warm, for the budget (at least one pass); a system whose
    # cold pass took ten budgets has its cold pass counted instead (it has no cache to warm)
    if cold_pass_s > 10 * throughput_budget_s:
        throughput, throughput_from = len(mix) / cold_pass_s, "cold pass"
    else:
        done, began = 0, pc()
        deadline = began + throughput_budget_s * 1e9
        while done == 0 or pc() < deadline:
            for kind, args in mix:
                result = calls[kind](*args)
                if post[kind]:
                    getattr(result, post[kind])
            done += len(mix)
        throughput, throughput_from = done / ((pc() - began) / 1e9), "warm passes"

    out: dict[str, Any] = {
        "system": system_name, "label": cls.label, "src_digest": src_digest,
        "load_s": statistics.median(loads), "loads_s": loads, "reference_us": references,
        "load_cpu_s": statistics.median(loads_cpu), "loads_cpu_s": loads_cpu,
        "load_phases_s": {phase: statistics.median(v) for phase, v in phases.items()},
        "first_question": first_question, "first_of_kind_us": first_of_kind,
        "cold_pass_s": cold_pass_s, "cold_throughput_qps": len(mix) / cold_pass_s,
        "throughput_qps": throughput, "throughput_from": throughput_from,
        "cold_us": {k: _median(v) for k, v in cold.items()},
        "cold_p90_us": {k: _quantile(v, 0.9) for k, v in cold.items()},
        "cold_n": {k: len(v) for k, v in cold.items()},
        "distinct_us": distinct_us, "distinct_mean_us": distinct_mean_us, "distinct_p90_us": distinct_p90_us,
        "distinct_n": {k: len(v) for k, v in distinct_answers.items()},
        "distinct_answers": distinct_answers,
        "warm_us": {k: _median(v) for k, v in warm.items()},
        "warm_p90_us": {k: _quantile(v, 0.9) for k, v in warm.items()},
        "warm_n": {k: len(v) for k, v in warm.items()}, "warm_reps": warm_reps,
        "info": system.info(),
        "answers": answers,
    }
    if system_name == "kdv_policy":
        out["explanation"] = _explanations(system, questions, explain_sample)
    out["rss_import_mib"] = rss_import
    out["rss_peak_mib"] = _rss_mib()
    out["rss_hwm_mib"] = _hwm_mib()
    return out


def _explanations(system: System, questions: generate.Questions, sample: int) -> dict[str, Any]:
    """Median ms to read ``.explanation`` of an allowed ``may`` decision not explained yet."""
    from kdv_policy.policy.explain import verify

    policy = system.policy  # type: ignore[attr-defined]
    allowed = [q for q in dict.fromkeys(questions.may) if policy.may(*q).allowed]
    rng = random.Random(7)
    chosen = rng.sample(allowed, min(sample, len(allowed)))
    times, problems, chains = [], 0, 0
    for n, q in enumerate(chosen):
        decision = policy.may(*q)  # the cached decision of the earlier passes: never explained
        t = pc()
        explanation = decision.explanation
        times.append((pc() - t) / 1e6)
        chains += len(explanation.chain) > 1
        if n < 25:
            problems += sum(len(verify(p, policy.program, policy.model)) for p in explanation.proofs)
    return {"median_ms": _median(times), "p90_ms": _quantile(times, 0.9), "max_ms": max(times, default=None),
            "n": len(times), "with_delegation_chain": chains, "verified": min(25, len(times)),
            "verify_problems": problems}


def _worker_main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run worker")
    parser.add_argument("--system", required=True)
    parser.add_argument("--dir", required=True, type=Path)
    parser.add_argument("--questions", required=True, type=Path)
    parser.add_argument("--out", required=True, type=Path)
    parser.add_argument("--load-repeats", type=int, default=1)
    parser.add_argument("--warm-budget", type=float, default=WARM_BUDGET_S)
    parser.add_argument("--throughput-budget", type=float, default=THROUGHPUT_BUDGET_S)
    args = parser.parse_args(argv)
    questions = generate.Questions.from_json(json.loads(args.questions.read_text(encoding="utf-8")))
    result = measure(args.system, args.dir, questions, args.load_repeats, args.warm_budget,
                     args.throughput_budget)
    args.out.write_text(json.dumps(result), encoding="utf-8")
    return 0


# -- the run: scales × systems, checked and reported -------------------------------------------------


def expected(truth: Truth, kind: str, args: Sequence[str]) -> bool | tuple[str, ...]:
    if kind == "may":
        return tuple(args) in truth.may
    if kind == "who_serves":
        return truth.serves.get(args[0], ())
    return truth.who_may.get((args[0], args[1]), ())


def check(truth: Truth, questions: generate.Questions, answers: Sequence[Any]) -> dict[str, Any]:
    """Compare a system's answers (in mix order) with the ground truth."""
    wrong = []
    for (kind, args), got in zip(questions.mix, answers, strict=True):
        want = expected(truth, kind, args)
        got = tuple(got) if isinstance(got, list) else got
        if got != want:
            wrong.append({"kind": kind, "args": list(args), "expected": want, "got": got})
    return {"checked": len(answers), "mismatches": len(wrong), "examples": wrong[:10]}


def check_distinct(truth: Truth, questions: generate.Questions,
                   answers: dict[str, list[Any]]) -> dict[str, Any]:
    """Compare a system's answers of the distinct-question mode with the ground truth."""
    wrong, checked = [], 0
    for kind, got in answers.items():
        for args, value in zip(questions.distinct[kind], got, strict=False):  # a pass may stop early
            checked += 1
            value = tuple(value) if isinstance(value, list) else value
            want = expected(truth, kind, args)
            if value != want:
                wrong.append({"kind": kind, "args": list(args), "expected": want, "got": value})
    return {"checked": checked, "mismatches": len(wrong), "examples": wrong[:10]}


_LAUNCHER = """\
import json, resource, subprocess, sys
for line in sys.stdin:
    job = json.loads(line)
    limit = job.get("address_space")
    def bound(limit=limit):
        if limit:
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    try:
        done = subprocess.run(job["argv"], env=job["env"], cwd=job["cwd"], capture_output=True, text=True,
                              timeout=job.get("timeout"), preexec_fn=bound)
        reply = {"returncode": done.returncode, "stderr": done.stderr[-4000:]}
    except subprocess.TimeoutExpired:
        reply = {"returncode": -1, "stderr": f"stopped after {job.get('timeout')} s (--timeout)"}
    print(json.dumps(reply), flush=True)
"""


class Launcher:
    """Starts the workers from a lean process of its own, started before the run grows.

    On Linux a child's ``ru_maxrss`` starts at its parent's RSS when it is forked, and exec
    keeps it: a worker started by the run itself (which holds the generated organisation and
    the ground truth, ~50 MiB at large scale) could never report less. Workers started by this
    launcher (~10 MiB) report their own peak.
    """

    def __init__(self) -> None:
        self._proc = subprocess.Popen([sys.executable, "-c", _LAUNCHER], stdin=subprocess.PIPE,
                                      stdout=subprocess.PIPE, text=True)

    def run(self, argv: list[str], env: dict[str, str], cwd: Path, address_space: int | None = None,
            timeout: float | None = None) -> tuple[int, str]:
        """Run a worker; ``address_space`` bounds its memory (bytes, RLIMIT_AS), ``timeout`` its time (s)."""
        assert self._proc.stdin is not None and self._proc.stdout is not None
        job = {"argv": argv, "env": env, "cwd": str(cwd), "address_space": address_space, "timeout": timeout}
        self._proc.stdin.write(json.dumps(job) + "\n")
        self._proc.stdin.flush()
        reply = json.loads(self._proc.stdout.readline())
        return reply["returncode"], reply["stderr"]

    def close(self) -> None:
        if self._proc.stdin is not None:
            self._proc.stdin.close()
        self._proc.wait()


def _run_worker(system: str, directory: Path, qfile: Path, load_repeats: int, in_process: bool,
                questions: generate.Questions, warm_budget_s: float, throughput_budget_s: float,
                launcher: Launcher | None = None) -> dict:
    if in_process:
        return measure(system, directory, questions, load_repeats, warm_budget_s, throughput_budget_s)
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as tmp:
        out = Path(tmp.name)
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(REPO / "src"), str(REPO), env.get("PYTHONPATH", "")])
    cmd = [sys.executable, "-m", "benchmarks.run", "worker", "--system", system, "--dir", str(directory),
           "--questions", str(qfile), "--out", str(out), "--load-repeats", str(load_repeats),
           "--warm-budget", str(warm_budget_s), "--throughput-budget", str(throughput_budget_s)]
    try:
        if launcher is not None:
            returncode, stderr = launcher.run(cmd, env, REPO)
        else:
            done = subprocess.run(cmd, env=env, cwd=REPO, capture_output=True, text=True)
            returncode, stderr = done.returncode, done.stderr
        if returncode != 0:
            return {"system": system, "error": stderr.strip()[-2000:] or f"exit {returncode}"}
        return json.loads(out.read_text(encoding="utf-8"))
    finally:
        out.unlink(missing_ok=True)


def run_scale(scale: str, systems: Sequence[str], workdir: Path, seed: int = 1, in_process: bool = False,
              load_repeats: int | None = None, counts: dict[str, int] | None = None,
              warm_budget_s: float = WARM_BUDGET_S, throughput_budget_s: float = THROUGHPUT_BUDGET_S,
              log: Callable[[str], None] = print, launcher: Launcher | None = None) -> dict[str, Any]:
    """Generate one scale, measure every system on it, check the answers; a JSON-ready dict."""
    directory = workdir / scale / "policy"
    t = pc()
    org = generate.build(generate.SCALES[scale], seed)
    generate.write(org, directory)
    truth = load_truth(directory)
    questions = generate.make_questions(truth, seed, counts)
    distinct = generate.make_distinct(truth, questions, seed, counts)
    questions = dataclasses.replace(questions, distinct=distinct)
    qfile = workdir / scale / "questions.json"
    qfile.write_text(json.dumps(questions.to_json()), encoding="utf-8")
    log(f"[{scale}] generated {directory} in {(pc() - t) / 1e9:.1f} s: {truth.stats['persons']:,} persons, "
        f"{truth.stats['units']:,} units, {truth.stats['bodies']:,} bodies, "
        f"{truth.stats['stated_facts']:,} stated facts, {truth.stats['may_rows']:,} may rows")
    results: dict[str, Any] = {}
    for name in systems:
        t = pc()
        repeats = load_repeats or LOAD_REPEATS.get(scale, 1)
        result = _run_worker(name, directory, qfile, repeats, in_process, questions, warm_budget_s,
                             throughput_budget_s, launcher)
        if "answers" in result:
            result["check"] = check(truth, questions, result["answers"])
            result["check_distinct"] = check_distinct(truth, questions, result.pop("distinct_answers", {}))
        results[name] = result
        status = (result.get("skipped") or result.get("error") or
                  f"load {result['load_s']:.3f} s, {result['check']['mismatches']} mismatches")
        log(f"[{scale}] {name}: {status} ({(pc() - t) / 1e9:.1f} s)")
    if "answers" in results.get("kdv_policy", {}) and "answers" in results.get("kdv_uncached", {}):
        a, b = results["kdv_policy"]["answers"], results["kdv_uncached"]["answers"]
        same = [i for i, (x, y) in enumerate(zip(a, b, strict=True)) if _norm(x) != _norm(y)]
        results["kdv_uncached"]["same_as_cached"] = {"compared": len(a), "different": len(same)}
    for result in results.values():
        result.pop("answers", None)
    floor = results.get("floor", {})
    for result in results.values():
        for field in ("warm", "cold", "distinct"):
            mine, base = result.get(f"{field}_us"), floor.get(f"{field}_us")
            if mine is not None and base is not None:
                result[f"{field}_ratio"] = {k: (mine[k] / base[k] if mine.get(k) and base.get(k) else None)
                                            for k in KINDS}
        if "load_s" in result and floor.get("load_s"):
            result["load_ratio"] = result["load_s"] / floor["load_s"]
        if result.get("load_cpu_s") and floor.get("load_cpu_s"):
            result["load_cpu_ratio"] = result["load_cpu_s"] / floor["load_cpu_s"]
    distinct = {k: len(set(v)) for k, v in questions.by_kind().items()}
    return {"scale": scale, "seed": seed, "stats": truth.stats,
            "questions": {k: len(v) for k, v in questions.by_kind().items()}, "distinct_questions": distinct,
            "systems": results}


def _norm(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


def run(scales: Sequence[str], systems: Sequence[str], workdir: Path | None = None, seed: int = 1,
        in_process: bool = False, log: Callable[[str], None] = print, **options: Any) -> dict[str, Any]:
    launcher = None if in_process else Launcher()  # first, while this process is small
    temp = None
    if workdir is None:
        temp = tempfile.TemporaryDirectory(prefix="kdv-bench-")
        workdir = Path(temp.name)
    try:
        report = {"meta": _meta(seed), "scales": {}}
        for scale in scales:
            report["scales"][scale] = run_scale(scale, systems, workdir, seed, in_process, log=log,
                                                launcher=launcher, **options)
        return report
    finally:
        if launcher is not None:
            launcher.close()
        if temp is not None:
            temp.cleanup()


def _meta(seed: int) -> dict[str, Any]:
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True,
                                text=True).stdout.strip()
        dirty = bool(subprocess.run(["git", "status", "--porcelain", "src"], cwd=REPO, capture_output=True,
                                    text=True).stdout.strip())
    except OSError:
        commit, dirty = "", False
    versions = {}
    for package in ("pyDatalog", "pydantic", "tomli", "cedarpy", "casbin", "clingo"):
        try:
            from importlib.metadata import version
            versions[package] = version(package)
        except Exception:  # not installed
            versions[package] = None
    return {"date": datetime.datetime.now().isoformat(timespec="seconds"), "seed": seed,
            "src_digest": _src_digest(),
            "python": platform.python_version(), "machine": platform.machine(), "cpus": os.cpu_count(),
            "platform": platform.platform(), "commit": commit, "src_modified": dirty, "versions": versions}


# -- the report ---------------------------------------------------------------------------------------


def _us(value: float | None) -> str:
    if value is None:
        return "–"
    if value >= 10_000:
        return f"{value / 1000:,.0f} ms"
    if value >= 100:
        return f"{value:,.0f}"
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def _ratio(value: float | None) -> str:
    return "–" if value is None else f"{value:,.1f}×" if value < 100 else f"{value:,.0f}×"


def table(report: dict[str, Any]) -> str:
    """The report as a Markdown table: per scale and system."""
    head = ("| scale | system | load s | first q µs | may cold µs | may warm µs | who_serves cold µs "
            "| who_serves warm µs | who_may cold µs | who_may warm µs | throughput q/s | RSS MiB | answers |")
    lines = [head, "|" + "|".join(["---"] * 13) + "|"]
    for scale, data in report["scales"].items():
        for name, r in data["systems"].items():
            if "skipped" in r or "error" in r:
                why = r.get("skipped") or "error: " + r["error"].splitlines()[-1]
                lines.append(f"| {scale} | {r.get('label', name)} | {why} |" + " |" * 10)
                continue
            ratio = r.get("warm_ratio", {})
            cells = [scale, r["label"], f"{r['load_s']:.3f}" if r["load_s"] < 10 else f"{r['load_s']:.1f}",
                     _us(r["first_question"]["us"])]
            for k in KINDS:
                warm = _us(r["warm_us"][k])
                if name != "floor":
                    warm += f" ({_ratio(ratio.get(k))})"
                cells += [_us(r["cold_us"][k]), warm]
            wrong = _wrong(r)
            verdict = "ok" if wrong == 0 else f"{wrong} wrong"
            if "same_as_cached" in r:
                verdict += ", = cached" if r["same_as_cached"]["different"] == 0 else ", ≠ cached"
            cells += [f"{r['throughput_qps']:,.0f}", f"{r['rss_peak_mib']:.0f}", verdict]
            lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _wrong(result: dict[str, Any]) -> int | None:
    """Answers of a system that differ from the ground truth, in the mix and the distinct questions."""
    if "check" not in result:
        return None
    return result["check"]["mismatches"] + result.get("check_distinct", {}).get("mismatches", 0)


def first_askings(report: dict[str, Any]) -> str:
    """Questions asked for the first time, beside the cached ones, and the loads: a Markdown table.

    Each cell with its ratio to the floor of the same scale in the same run: the load (files →
    ready to answer), the first question on the fresh load, the distinct-question mode (every
    question asked once, none asked before: the median of the calls, each timed), and the warm
    (for kdv_policy: cached) median of the same kind."""
    head = ("| scale | system | load s | first q µs | may first µs | may cached µs | who_serves first µs "
            "| who_serves cached µs | who_may first µs | who_may cached µs |")
    lines = [head, "|" + "|".join(["---"] * 10) + "|"]
    for scale, data in report["scales"].items():
        for name, r in data["systems"].items():
            if "load_s" not in r:
                continue
            floor = name == "floor"

            def cell(value: float | None, ratio: float | None, floor: bool = floor) -> str:
                return _us(value) if floor else f"{_us(value)} ({_ratio(ratio)})"
            cells = [scale, r["label"],
                     f"{r['load_s']:.3f}" + ("" if floor else f" ({_ratio(r.get('load_ratio'))})"),
                     _us(r["first_question"]["us"])]
            for k in KINDS:
                cells += [cell(r.get("distinct_us", {}).get(k), r.get("distinct_ratio", {}).get(k)),
                          cell(r["warm_us"][k], r.get("warm_ratio", {}).get(k))]
            lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def summary(report: dict[str, Any]) -> str:
    """Per scale: the facts, the explanation time, mismatches; a warning if the code changed mid-run."""
    out = []
    digests = {r.get("src_digest") for d in report["scales"].values() for r in d["systems"].values()}
    digests.discard(None)
    if len(digests) > 1 or (digests and report.get("meta", {}).get("src_digest") not in digests):
        out.append("WARNING: src/kdv_policy changed during this run; the systems measured different code")
    for scale, data in report["scales"].items():
        s = data["stats"]
        out.append(f"{scale}: {s['persons']:,} persons, {s['roles']:,} roles, {s['units']:,} units, "
                   f"{s['bodies']:,} bodies; {s['stated_facts']:,} stated facts; {s['may_rows']:,} may rows; "
                   f"questions {data['questions']} (distinct {data['distinct_questions']})")
        references = data["systems"].get("floor", {}).get("reference_us")
        if references:
            out.append(f"  the cost of a call on this machine (distinct may questions, median): a function "
                       f"returning True {references['bare_bool']:.2f} µs, one building a slotted result "
                       f"object {references['slotted_result']:.2f} µs")
        kdv = data["systems"].get("kdv_policy", {})
        phases = kdv.get("load_phases_s")
        if phases:
            out.append(f"  kdv_policy load {kdv['load_s']:.3f} s = Policy.load {phases['files_s']:.3f} s "
                       f"(files → checked program and facts) + materialise() {phases['evaluate_s']:.3f} s "
                       "(every relation evaluated)")
        if "explanation" in kdv:
            e = kdv["explanation"]
            out.append(f"  explanation of an allowed may: median {e['median_ms']:.2f} ms, "
                       f"p90 {e['p90_ms']:.2f} ms ({e['n']} decisions, "
                       f"{e['with_delegation_chain']} through delegation; "
                       f"{e['verify_problems']} problems in {e['verified']} verified proofs)")
        for name, r in data["systems"].items():
            if _wrong(r):
                examples = r["check"]["examples"] + r.get("check_distinct", {}).get("examples", [])
                out.append(f"  {name}: {_wrong(r)} answers differ from the ground truth, e.g. {examples[:2]}")
    return "\n".join(out)


def targets(report: dict[str, Any]) -> str:
    """The targets of docs/performance.md, each with what this run measured: a Markdown table."""
    rows = ["| target | measured | met |", "|---|---|---|"]

    def row(target: str, measured: str, met: bool | None) -> None:
        rows.append(f"| {target} | {measured} | {'–' if met is None else 'yes' if met else '**no**'} |")

    scales = report["scales"]
    for kind in KINDS:
        ratios = {s: d["systems"].get("kdv_policy", {}).get("warm_ratio", {}).get(kind)
                  for s, d in scales.items()}
        known = [r for r in ratios.values() if r is not None]
        row(f"warm `{kind}` median ≤ 3× the floor, every scale",
            ", ".join(f"{s} {_ratio(r)}" for s, r in ratios.items()), bool(known) and max(known) <= 3)
    for kind in KINDS:
        ratios = {s: d["systems"].get("kdv_policy", {}).get("distinct_ratio", {}).get(kind)
                  for s, d in scales.items()}
        known = [r for r in ratios.values() if r is not None]
        row(f"`{kind}` asked for the first time (distinct questions) ≤ 5× the floor, every scale",
            ", ".join(f"{s} {_ratio(r)}" for s, r in ratios.items()), bool(known) and max(known) <= 5)
    large = scales.get("large", {}).get("systems", {}).get("kdv_policy")
    if large and "load_s" in large:
        phases = large.get("load_phases_s") or {}
        split = (f"; Policy.load {phases['files_s']:.2f} s + materialise() {phases['evaluate_s']:.2f} s"
                 if phases else "")
        ratio = large.get("load_ratio")
        shown = "" if ratio is None else f", {_ratio(ratio)} the floor's load"
        if large.get("load_cpu_ratio") is not None:
            shown += f" (CPU: {large['load_cpu_s']:.2f} s, {_ratio(large['load_cpu_ratio'])} the floor's)"
        row(f"load at large ≤ 2 s (files → every relation evaluated), or ≤ {LOAD_RATIO_TARGET}× the floor's "
            "load on a busy machine",
            f"{large['load_s']:.2f} s (median of {len(large['loads_s'])}{split}){shown}",
            large["load_s"] <= 2 or (ratio is not None and ratio <= LOAD_RATIO_TARGET))
        first = large["first_question"]["us"]
        shown = _us(first)
        row("first question after load at large ≤ 10 ms", shown if shown.endswith("ms") else shown + " µs",
            first <= 10_000)
        row("peak RSS at large ≤ 250 MiB", f"{large['rss_peak_mib']:.0f} MiB", large["rss_peak_mib"] <= 250)
        e = large.get("explanation", {})
        if e.get("median_ms") is not None:
            row("one explanation of an allowed `may` at large ≤ 2 ms (median)",
                f"{e['median_ms']:.2f} ms (p90 {e['p90_ms']:.2f} ms, {e['n']} decisions)",
                e["median_ms"] <= 2)
    else:
        row("load, peak RSS and explanation at large", "large scale not run", None)
    wrong = {s: sum(_wrong(r) or 0 for r in d["systems"].values()) for s, d in scales.items()}
    row("answers identical to the ground truth, every scale and system",
        ", ".join(f"{s} {n} wrong" for s, n in wrong.items()), not any(wrong.values()))
    same = {s: d["systems"].get("kdv_uncached", {}).get("same_as_cached") for s, d in scales.items()}
    if any(same.values()):
        row("cached and uncached (`cache_size=1`) answers identical",
            ", ".join(f"{s} {v['different']} of {v['compared']} differ" for s, v in same.items() if v),
            all(v and v["different"] == 0 for v in same.values()))
    return "\n".join(rows)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["worker"]:
        return _worker_main(argv[1:])
    if argv[:1] == ["load-worker"]:
        from .scaling import load_worker_main

        return load_worker_main(argv[1:])
    if any(a == "--scaling" or a.startswith("--scaling=") for a in argv):
        from .scaling import main as scaling_main

        return scaling_main(argv)
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scales", default="small,medium,large",
                        help="comma-separated: " + ", ".join(generate.SCALES) + " (default: all)")
    parser.add_argument("--systems", default=",".join(DEFAULT_SYSTEMS),
                        help="comma-separated: " + ", ".join(DEFAULT_SYSTEMS) + " (default: all; those not "
                             "installed are reported as skipped)")
    parser.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results" / "latest.json",
                        help="where to save the JSON results (default: benchmarks/results/latest.json)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workdir", type=Path, help="keep the generated policies here (default: a temp dir)")
    parser.add_argument("--load-repeats", type=int,
                        help="loads per system (default: 5 small, 3 medium, 3 large)")
    parser.add_argument("--in-process", action="store_true",
                        help="measure every system in this process (faster; RSS is then the whole run's)")
    args = parser.parse_args(argv)
    scales = [s.strip() for s in args.scales.split(",") if s.strip()]
    systems = [s.strip() for s in args.systems.split(",") if s.strip()]
    unknown = [s for s in scales if s not in generate.SCALES] + [s for s in systems if s not in registry()]
    if unknown:
        parser.error(f"unknown scale or system: {', '.join(unknown)}")
    if "floor" not in systems:
        systems.insert(0, "floor")  # the ratios need it
    report = run(scales, systems, args.workdir, args.seed, args.in_process, load_repeats=args.load_repeats,
                 log=lambda line: print(line, file=sys.stderr, flush=True))
    print(table(report))
    print()
    print(first_askings(report))
    print()
    print(targets(report))
    print()
    print(summary(report))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"\nresults saved to {args.out}")
    bad = any(_wrong(r) for d in report["scales"].values() for r in d["systems"].values())
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
