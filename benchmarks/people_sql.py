"""People from SQL and the decision log: what they cost.

    python -m benchmarks.people_sql [--persons 10000 100000] [--decisions 20000] [--postgresql URL]

1. Loading people: the synthetic canton of benchmarks/generate.py with 10,000 and 100,000
   persons (and their 1-3 assignments each) read from its people file (TOML), from SQLite and
   from PostgreSQL, each validated against the organisation directory the same way (the data
   stage: :func:`kdv_policy.data.load_people` and
   :func:`kdv_policy.data.sql.source.load_people_sql`); the median of ``--repeat`` loads. The
   import into each database (one transaction) is timed once, for information.
2. The decision log: the cost a decision adds to the thread answering it (the same cached
   ``may`` question with and without a :class:`DecisionLogHandler` on the audit logger, per
   decision), and the throughput to the database: 8 threads decide ``--decisions`` times in
   all, and the clock stops when the last row is committed (``flush``).

PostgreSQL is the database at ``--postgresql`` (its people are replaced and decisions added to
its log), or else a throw-away cluster started like the tests' (tests/pgserver.py: Debian's
``postgresql`` package). Results print as a table and go to ``benchmarks/results/people_sql.json``.
"""

from __future__ import annotations

import argparse
import json
import logging
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import replace
from pathlib import Path

from benchmarks.generate import SCALES, build, write

RESULTS = Path(__file__).parent / "results" / "people_sql.json"


def _canton(persons: int, out: Path) -> Path:
    scale = replace(SCALES["large"], name=f"people{persons}", persons=persons)
    return write(build(scale, seed=1), out)


def _median_seconds(action, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _postgres(url: str | None) -> tuple[str, object | None]:
    """A PostgreSQL URL to use, and the server started for it (None: the given one)."""
    if url:
        return url, None
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
    from pgserver import PostgresServer

    server = PostgresServer()
    server.start()
    return server.url, server


def _fresh(kind: str, work: Path, pg_server, pg_url: str, name: str) -> str:
    """A new SQLite file, a new database of the server started here, or the one given."""
    if kind == "sqlite":
        return f"sqlite:///{work}/{name}.db"
    return pg_server.create_database(name) if pg_server is not None else pg_url


def measure_loading(counts: list[int], repeat: int, work: Path, pg_server, pg_url: str) -> list[dict]:
    from kdv_policy.data import load_data, load_people
    from kdv_policy.data.sql.connect import migrate
    from kdv_policy.data.sql.source import load_people_sql
    from kdv_policy.data.sql.transfer import import_people

    rows = []
    for count in counts:
        policy = _canton(count, work / f"canton{count}")
        organisation = load_data(policy)
        people_file = policy / "people.toml"
        assignments = sum(len(p.roles) for p in load_people(people_file, organisation).directory.persons)
        toml = _median_seconds(lambda f=people_file, o=organisation: load_people(f, o), repeat)
        row = {"persons": count, "assignments": assignments,
               "toml_bytes": people_file.stat().st_size, "toml_s": round(toml, 3)}
        for kind in ("sqlite", "postgresql"):
            url = _fresh(kind, work, pg_server, pg_url, f"people{count}")
            migrate(url)
            start = time.perf_counter()
            import_people(people_file, url, organisation)
            row[f"{kind}_import_s"] = round(time.perf_counter() - start, 3)
            loaded = load_people_sql(url, organisation)
            assert loaded.facts["assignment"] and len(loaded.facts["person"]) == count
            seconds = _median_seconds(lambda u=url, o=organisation: load_people_sql(u, o), repeat)
            row[f"{kind}_s"] = round(seconds, 3)
        rows.append(row)
        print(f"{count:>7,} persons, {assignments:,} assignments: TOML {row['toml_s']:.2f} s, "
              f"SQLite {row['sqlite_s']:.2f} s, PostgreSQL {row['postgresql_s']:.2f} s "
              f"(import: SQLite {row['sqlite_import_s']:.1f} s, "
              f"PostgreSQL {row['postgresql_import_s']:.1f} s)",
              flush=True)
    return rows


def measure_log(decisions: int, threads: int, work: Path, pg_server, pg_url: str) -> list[dict]:
    from kdv_policy import Policy
    from kdv_policy.data.sql.connect import migrate
    from kdv_policy.policy.audit import AUDIT_LOGGER
    from kdv_policy.policy.decisionlog import DecisionLogHandler, count_decisions

    policy = Policy.load(people=Path(__file__).resolve().parents[1] / "examples" / "people.toml")
    question = ("Regierungsrat", "approve", "Strategie")
    policy.may(*question)
    per_thread = decisions // threads

    def ask(n: int) -> None:
        may = policy.may
        for _ in range(n):
            may(*question)

    bare = _median_seconds(lambda: ask(decisions), 3) / decisions
    from kdv_policy.policy.audit import JsonLinesHandler

    lines = JsonLinesHandler(work / "decisions.jsonl")
    AUDIT_LOGGER.addHandler(lines)
    AUDIT_LOGGER.setLevel(logging.INFO)
    try:
        jsonl = _median_seconds(lambda: ask(decisions), 3) / decisions
    finally:
        AUDIT_LOGGER.removeHandler(lines)
        lines.close()
    print(f"a decision costs the caller {bare * 1e6:.2f} µs without an audit handler, {jsonl * 1e6:.1f} µs "
          "with the JSON-lines handler", flush=True)
    rows = []
    for kind in ("sqlite", "postgresql"):
        url = _fresh(kind, work, pg_server, pg_url, "decisions")
        migrate(url)
        before = count_decisions(url)
        handler = DecisionLogHandler(url, spill=work / f"{kind}-spill.jsonl", buffer_size=decisions * 2)
        AUDIT_LOGGER.addHandler(handler)
        AUDIT_LOGGER.setLevel(logging.INFO)
        try:
            start = time.perf_counter()
            ask(decisions)
            caller = (time.perf_counter() - start) / decisions
            handler.flush(timeout=600)
            start = time.perf_counter()
            workers = [threading.Thread(target=ask, args=(per_thread,)) for _ in range(threads)]
            for worker in workers:
                worker.start()
            for worker in workers:
                worker.join()
            answered = time.perf_counter() - start
            assert handler.flush(timeout=600)
            committed = time.perf_counter() - start
        finally:
            AUDIT_LOGGER.removeHandler(handler)
            handler.close()
        total = count_decisions(url) - before
        assert total == decisions + per_thread * threads, (total, handler.stats())
        row = {"database": kind, "decision_us_without_log": round(bare * 1e6, 2),
               "decision_us_with_jsonl": round(jsonl * 1e6, 2),
               "decision_us_with_log": round(caller * 1e6, 2),
               "threads": threads, "decisions": per_thread * threads,
               "answered_per_s": round(per_thread * threads / answered),
               "committed_per_s": round(per_thread * threads / committed),
               "write_us_per_decision": round(committed / (per_thread * threads) * 1e6, 1),
               "spilled": handler.stats()["spilled"]}
        rows.append(row)
        print(f"decision log on {kind}: a decision costs the caller {row['decision_us_with_log']} µs "
              f"(without the log {row['decision_us_without_log']} µs); {threads} threads: "
              f"{row['answered_per_s']:,} decisions/s answered, {row['committed_per_s']:,} rows/s committed "
              f"({row['write_us_per_decision']} µs a row)", flush=True)
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--persons", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--decisions", type=int, default=20_000)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--postgresql", metavar="URL",
                        help="a PostgreSQL database to use: its people are replaced, decisions added "
                             "(default: start a server)")
    args = parser.parse_args(argv)
    pg_url, server = _postgres(args.postgresql)
    try:
        with tempfile.TemporaryDirectory(prefix="kdv-people-sql-") as tmp:
            work = Path(tmp)
            loading = measure_loading(args.persons, args.repeat, work, server, pg_url)
            log = measure_log(args.decisions, args.threads, work, server, pg_url)
    finally:
        if server is not None:
            server.remove()  # type: ignore[attr-defined]
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps({"loading": loading, "decision_log": log}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
