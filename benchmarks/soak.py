"""Soak test: many mixed questions against a policy that is reloaded every second.

    python -m benchmarks.soak [--questions 1000000] [--threads 4] [--reload-every 1.0]

Copies the bundled policy to a temporary directory, starts a PolicyStore on it, and lets
worker threads ask a mix of questions of ``store.current`` while the main thread edits a
rule file and reloads once per interval (alternating a valid edit and a broken one, which
must be rejected). Prints the number of questions, reloads, rejected reloads, errors (must
be 0) and the growth of the resident set, and exits 1 if any question failed.
"""

from __future__ import annotations

import argparse
import random
import resource
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

from kdv_policy import PolicyError
from kdv_policy.policy.loader import bundled_rules
from kdv_policy.policy.store import PolicyStore

QUESTIONS = [
    ("may", ("Regierungsrat", "verabschieden", "Strategie")),
    ("may", ("Planungsausschuss", "abnehmen", "Schwerpunktplanung")),
    ("may", ("StA", "umsetzen", "Strategie")),
    ("who_may", ("approve", "Schwerpunktplanung")),
    ("who_serves", ("Bezirksamt Arbon",)),
    ("members", ("Steuerungsausschuss",)),
    ("chair", ("PA",)),
    ("responsible_for", ("DEK",)),
    ("is_consumer", ("Gemeinde Frauenfeld",)),
    ("ask", ("member(steuerungsausschuss, X), not chair(steuerungsausschuss, X)",)),
]
EDIT = "\n% soak edit {n}\n"
BROKEN = "\nmay(broken\n"


def rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def soak(questions: int, threads: int, reload_every: float, seed: int = 1) -> dict:
    workdir = Path(tempfile.mkdtemp(prefix="kdv-soak-"))
    rules = workdir / "rules"
    shutil.copytree(bundled_rules(), rules, ignore=shutil.ignore_patterns("tests"))
    target = rules / "bodies.dl"
    original = target.read_text(encoding="utf-8")
    store = PolicyStore(rules)
    counts = {"questions": 0, "errors": 0, "reloads": 0, "rejected": 0}
    lock = threading.Lock()
    per_thread = questions // threads
    start_rss = rss_mib()

    def work(n: int) -> None:
        rng = random.Random(seed + n)
        done = errors = 0
        for _ in range(per_thread):
            method, args = rng.choice(QUESTIONS)
            try:
                getattr(store.current, method)(*args)
            except Exception as exc:  # every failure counts; a soak test never hides one
                errors += 1
                print(f"error: {method}{args}: {exc!r}", file=sys.stderr)
            done += 1
        with lock:
            counts["questions"] += done
            counts["errors"] += errors

    workers = [threading.Thread(target=work, args=(n,)) for n in range(threads)]
    began = time.perf_counter()
    for w in workers:
        w.start()
    edit = 0
    while edit < 2 or any(w.is_alive() for w in workers):  # at least one good and one broken edit
        time.sleep(reload_every)
        edit += 1
        target.write_text(original + (BROKEN if edit % 2 == 0 else EDIT.format(n=edit)), encoding="utf-8")
        try:
            store.reload()
            counts["reloads"] += 1
        except PolicyError:
            counts["rejected"] += 1
    for w in workers:
        w.join()
    elapsed = time.perf_counter() - began
    shutil.rmtree(workdir, ignore_errors=True)
    rate = round(counts["questions"] / elapsed)
    return {**counts, "seconds": round(elapsed, 1), "questions_per_second": rate,
            "rss_start_mib": round(start_rss, 1), "rss_end_mib": round(rss_mib(), 1),
            "rss_growth_mib": round(rss_mib() - start_rss, 1)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.soak", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--questions", type=int, default=1_000_000)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--reload-every", type=float, default=1.0)
    args = parser.parse_args(argv)
    result = soak(args.questions, args.threads, args.reload_every)
    for key, value in result.items():
        print(f"{key:>22}: {value}")
    return 1 if result["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
