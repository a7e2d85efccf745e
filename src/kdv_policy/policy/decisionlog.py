"""The decision log in a database: every decision a row of an append-only table, nothing lost.

A handler for the audit logger (:mod:`kdv_policy.policy.audit`), beside the JSON-lines one::

    import logging
    from kdv_policy.policy.audit import AUDIT_LOGGER
    from kdv_policy.policy.decisionlog import DecisionLogHandler

    AUDIT_LOGGER.addHandler(DecisionLogHandler("postgresql://kdv@db/kdv", spill="decisions-spill.jsonl"))
    AUDIT_LOGGER.setLevel(logging.INFO)

Answering never waits for the database: a decision goes into a bounded buffer (``buffer_size``
rows) and a writer thread inserts the buffer in batches, one transaction each. While the
database is unreachable the writer keeps the rows and retries every ``retry_interval`` seconds;
the outage is reported on the ``kdv_policy.policy.decisionlog`` logger (once when it starts,
once when it ends). When the buffer is full a decision is appended to the local JSON-lines
file ``spill`` instead, and reported; once the database answers again the writer reads the
spilled rows back into it. A row carries its decision id as the table's key, and a row written
twice is kept once, so a retry after a lost acknowledgement adds no duplicate. :meth:`close`
writes what it can within its timeout and spills the rest: no decision is dropped silently.

The table (``decisions``, created by ``python -m kdv_policy people migrate URL``; see
:mod:`kdv_policy.data.sql.schema`): ``decision_id``, ``decided_at`` (UTC), ``question`` (the
method), ``arguments`` (JSON: as asked), ``resolved`` (the question in rule syntax),
``answer`` (JSON: ``allowed``, or the number and ids of the answers), ``interpretations``
(JSON: the adopted interpretations the answer rests on), ``policy_version``, ``data_version``,
``subjects`` (the ids and names the decision is about, for :func:`decisions_about`). Triggers
refuse an update or delete of the table.
"""

from __future__ import annotations

import collections
import datetime
import json
import logging
import os
import re
import threading
import uuid
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from kdv_policy.policy import wording

DECISIONLOG_LOGGER = logging.getLogger("kdv_policy.policy.decisionlog")

DEFAULT_BUFFER = 10_000
DEFAULT_BATCH = 500
MAX_QUERY_ROWS = 10_000
"""The most rows :func:`decisions_about` returns in one answer."""

_ID = re.compile(r"[a-z_][a-z0-9_]*")


def decision_row(entry: dict[str, Any]) -> dict[str, Any]:
    """An audit record's data (``record.audit``) → a row of the ``decisions`` table."""
    asked = [str(a) for a in entry.get("asked", ())]
    resolved = str(entry.get("resolved", ""))
    if "allowed" in entry:
        answer: dict[str, Any] = {"allowed": entry["allowed"]}
    else:
        answer = {"answers": entry.get("answers", 0)}
        if "answer_ids" in entry:
            answer["ids"] = list(entry["answer_ids"])
    subjects = dict.fromkeys([*(a.casefold() for a in asked), *_ID.findall(resolved),
                              *answer.get("ids", ())])
    time = entry.get("time")
    decided = (datetime.datetime.fromisoformat(time) if isinstance(time, str)
               else datetime.datetime.now(datetime.UTC))
    return {
        "decision_id": str(entry.get("decision_id") or uuid.uuid4()),
        "decided_at": decided,
        "question": str(entry.get("question", ""))[:40],
        "arguments": json.dumps(asked, ensure_ascii=False),
        "resolved": resolved,
        "answer": json.dumps(answer, ensure_ascii=False),
        "interpretations": json.dumps(list(entry.get("interpretations", ())), ensure_ascii=False),
        "policy_version": str(entry.get("version", "")),
        "data_version": str(entry.get("data_version", "")),
        "subjects": "|" + "|".join(s.replace("|", "/") for s in subjects) + "|",
    }


def _to_json(row: dict[str, Any]) -> str:
    return json.dumps({**row, "decided_at": row["decided_at"].isoformat()}, ensure_ascii=False)


def _from_json(line: str) -> dict[str, Any] | None:
    try:
        row = json.loads(line)
        row["decided_at"] = datetime.datetime.fromisoformat(row["decided_at"])
    except (ValueError, KeyError, TypeError):
        return None
    return row if isinstance(row, dict) else None


class DecisionLogHandler(logging.Handler):
    """Writes each audit record as a row of the ``decisions`` table (see the module docstring).

    ``url``: the database (``env:NAME`` reads it from the environment). ``spill``: the local
    JSON-lines file decisions go to when the buffer is full or the handler closes with rows
    unwritten (default ``kdv-decisions-spill.jsonl`` in the working directory). ``migrate``:
    create or migrate the schema first (a production database is migrated by its operator).
    """

    def __init__(self, url: str, *, spill: str | os.PathLike[str] | None = None,
                 buffer_size: int = DEFAULT_BUFFER, batch_size: int = DEFAULT_BATCH,
                 retry_interval: float = 1.0, migrate: bool = False) -> None:
        super().__init__(level=logging.INFO)
        from kdv_policy.data.sql import shown_url
        from kdv_policy.data.sql.connect import make_engine
        from kdv_policy.data.sql.connect import migrate as run_migrations

        if buffer_size < 1 or batch_size < 1:
            raise ValueError("`buffer_size` and `batch_size` must be positive")
        if migrate:
            run_migrations(url)
        self._engine = make_engine(url, create=True, pool_pre_ping=True, pool_size=1, max_overflow=0)
        self.url = shown_url(str(self._engine.url))
        self.spill_path = Path(spill) if spill is not None else Path("kdv-decisions-spill.jsonl")
        self._buffer: collections.deque[dict[str, Any]] = collections.deque()  # audit entries
        self._buffer_size = buffer_size
        self._batch_size = batch_size
        self._retry = retry_interval
        self._cond = threading.Condition()
        self._spill_lock = threading.Lock()
        self._closing = False
        self._busy = False  # the writer holds rows taken from the buffer
        self.written = self.spilled = self.replayed = self.failures = 0
        self.last_error: str | None = None
        self._outage = False
        self._insert = self._make_insert()
        self._writer = threading.Thread(target=self._write_loop, name="kdv_policy-decisionlog", daemon=True)
        self._writer.start()

    # -- the app's side: never waits for the database ------------------------------------------

    def emit(self, record: logging.LogRecord) -> None:
        entry = getattr(record, "audit", None)
        if entry is None:
            return
        try:
            with self._cond:  # the row is made by the writer: the answering thread only appends
                if not self._closing and len(self._buffer) < self._buffer_size:
                    self._buffer.append(entry)
                    self._cond.notify()
                    return
            self._spill([decision_row(entry)], "the buffer is full" if not self._closing
                        else "the handler is closed")
        except Exception:  # a logging handler never raises into the app
            self.handleError(record)

    def _spill(self, rows: list[dict[str, Any]], why: str) -> None:
        """Append rows to the spill file, and say so (never silently)."""
        with self._spill_lock:
            with open(self.spill_path, "a", encoding="utf-8") as out:
                for row in rows:
                    out.write(_to_json(row) + "\n")
                out.flush()
                os.fsync(out.fileno())
            first = self.spilled == 0
            self.spilled += len(rows)
        log = DECISIONLOG_LOGGER.error if first else DECISIONLOG_LOGGER.warning
        log("%d decision(s) written to the spill file %s instead of %s: %s; they are read back "
            "into the database when it answers", len(rows), self.spill_path, self.url, why)

    # -- the writer ------------------------------------------------------------------------------

    def _make_insert(self) -> Any:
        from sqlalchemy import insert

        from kdv_policy.data.sql.schema import decisions

        name = self._engine.dialect.name
        if name == "postgresql":
            from sqlalchemy.dialects.postgresql import insert as pg_insert

            return pg_insert(decisions).on_conflict_do_nothing(index_elements=["decision_id"])
        if name == "sqlite":
            from sqlalchemy.dialects.sqlite import insert as sqlite_insert

            return sqlite_insert(decisions).on_conflict_do_nothing(index_elements=["decision_id"])
        return insert(decisions)

    def _write(self, rows: list[dict[str, Any]]) -> None:
        with self._engine.begin() as connection:
            connection.execute(self._insert, rows)

    def _write_loop(self) -> None:
        pending: list[dict[str, Any]] = []
        while True:
            with self._cond:
                while not pending and not self._buffer and not self._closing and not self._spilled_waiting():
                    self._cond.wait()
                taken: list[dict[str, Any]] = []
                if not pending:
                    while self._buffer and len(taken) < self._batch_size:
                        taken.append(self._buffer.popleft())
                self._busy = bool(pending or taken)
                if self._closing and not self._busy:
                    self._cond.notify_all()
                    return
            if taken:  # made outside the lock: emitting threads never wait for it
                pending = [decision_row(entry) for entry in taken]
            try:
                if pending:
                    self._write(pending)
                    with self._cond:
                        self.written += len(pending)
                        pending = []
                        self._busy = False
                        self._cond.notify_all()
                self._recovered()
                self._replay()
            except Exception as err:
                self._failed(err)
                with self._cond:
                    if self._closing and self._close_deadline_passed():
                        leftover, pending = pending, []
                        self._busy = False
                        self._cond.notify_all()
                    else:
                        self._cond.wait(timeout=self._retry)
                        continue
                if leftover:
                    self._spill(leftover, "the database did not answer before the handler closed")
                return

    def _spilled_waiting(self) -> bool:
        return self.spill_path.exists()

    def _failed(self, err: Exception) -> None:
        from kdv_policy.data.sql.connect import reason

        self.failures += 1
        self.last_error = reason(err)
        if not self._outage:
            self._outage = True
            DECISIONLOG_LOGGER.error("the decision log %s does not answer (%s); decisions are kept in "
                                     "memory (up to %d, then in %s) and written when it answers",
                                     self.url, self.last_error, self._buffer_size, self.spill_path)

    def _recovered(self) -> None:
        if self._outage:
            self._outage = False
            DECISIONLOG_LOGGER.warning("the decision log %s answers again", self.url)

    def _replay(self) -> None:
        """Read the spill file back into the database (only when nothing is buffered)."""
        if not self._spilled_waiting():
            return
        with self._cond:
            if self._buffer:
                return
        with self._spill_lock:
            replaying = self.spill_path.with_name(self.spill_path.name + f".replay-{os.getpid()}")
            os.replace(self.spill_path, replaying)
        try:
            rows: list[dict[str, Any]] = []
            with open(replaying, encoding="utf-8") as spilled:
                for line in spilled:
                    row = _from_json(line)
                    if row is not None:
                        rows.append(row)
                    if len(rows) >= self._batch_size:
                        self._write(rows)
                        self.replayed += len(rows)
                        rows = []
            if rows:
                self._write(rows)
                self.replayed += len(rows)
        except Exception:
            # what was not written goes back to the spill file: the rows already written are kept
            # once (the decision id is the key), so the whole file is read back again later
            with self._spill_lock, open(replaying, encoding="utf-8") as spilled, \
                    open(self.spill_path, "a", encoding="utf-8") as out:
                out.write(spilled.read())
            os.unlink(replaying)
            raise
        os.unlink(replaying)
        DECISIONLOG_LOGGER.warning("the spilled decisions of %s are in the database %s now",
                                   self.spill_path, self.url)

    # -- waiting and closing ------------------------------------------------------------------

    def flush(self, timeout: float | None = 10.0) -> bool:  # type: ignore[override]
        """Wait until every buffered decision is written (at most ``timeout`` seconds); whether it was."""
        deadline = None if timeout is None else _now() + timeout
        with self._cond:
            self._cond.notify_all()
            while self._buffer or self._busy:
                left = None if deadline is None else deadline - _now()
                if left is not None and left <= 0:
                    return False
                self._cond.wait(timeout=left if left is None else min(left, 0.2))
        return True

    _deadline: float | None = None

    def _close_deadline_passed(self) -> bool:
        return self._deadline is not None and _now() >= self._deadline

    def close(self, timeout: float = 10.0) -> None:
        """Write what is buffered (at most ``timeout`` seconds), spill the rest, stop the writer."""
        with self._cond:
            if self._closing:
                return
            self._deadline = _now() + timeout
            self._closing = True
            self._cond.notify_all()
        self._writer.join(timeout + 5)
        with self._cond:
            leftover = [decision_row(entry) for entry in self._buffer]
            self._buffer.clear()
        if leftover:
            self._spill(leftover, "the database did not answer before the handler closed")
        self._engine.dispose()
        super().close()

    def stats(self) -> dict[str, Any]:
        """Counts: ``written``, ``buffered``, ``spilled``, ``replayed``, ``failures``; ``last_error``."""
        with self._cond:
            buffered = len(self._buffer)
        return {"written": self.written, "buffered": buffered, "spilled": self.spilled,
                "replayed": self.replayed, "failures": self.failures, "last_error": self.last_error}


def _now() -> float:
    import time

    return time.monotonic()


# -- asking the log --------------------------------------------------------------------------------


def decisions_about(url: str, about: str | None, start: datetime.date | None, end: datetime.date | None,
                    limit: int = MAX_QUERY_ROWS) -> list[dict[str, Any]]:
    """The decisions about ``about`` (an id or a name as asked; None: every decision) made from
    the day ``start`` to the day ``end`` (both included, UTC), oldest first, at most ``limit``."""
    from sqlalchemy import select
    from sqlalchemy.exc import SQLAlchemyError

    from kdv_policy.data.sql import SqlError, shown_url
    from kdv_policy.data.sql.connect import check_schema, make_engine, reason
    from kdv_policy.data.sql.schema import decisions

    query = select(decisions).order_by(decisions.c.decided_at, decisions.c.decision_id).limit(limit)
    if about:
        query = query.where(decisions.c.subjects.contains(f"|{about.casefold()}|", autoescape=True))
    if start is not None:
        query = query.where(decisions.c.decided_at >= _day(start))
    if end is not None:
        query = query.where(decisions.c.decided_at < _day(end + datetime.timedelta(days=1)))
    engine = make_engine(url)
    shown = shown_url(str(engine.url))
    try:
        with engine.connect() as connection:
            check_schema(connection, shown)
            rows = [dict(row._mapping) for row in connection.execute(query)]
    except SQLAlchemyError as err:
        raise SqlError(wording.N_("cannot read the decision log `{url}`: {reason}"), url=shown,
                       reason=reason(err)) from None
    finally:
        engine.dispose()
    return [_shown_row(row) for row in rows]


def _day(day: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(), datetime.UTC)


def _shown_row(row: dict[str, Any]) -> dict[str, Any]:
    decided = row["decided_at"]
    if decided.tzinfo is None:  # SQLite keeps no offset: the log writes UTC
        decided = decided.replace(tzinfo=datetime.UTC)
    return {
        "decision_id": row["decision_id"],
        "time": decided.isoformat(timespec="microseconds"),
        "question": row["question"],
        "arguments": json.loads(row["arguments"]),
        "resolved": row["resolved"],
        "answer": json.loads(row["answer"]),
        "interpretations": json.loads(row["interpretations"]),
        "policy_version": row["policy_version"],
        "data_version": row["data_version"],
    }


def count_decisions(url: str) -> int:
    """How many rows the decision log holds."""
    from sqlalchemy import func, select

    from kdv_policy.data.sql.connect import make_engine
    from kdv_policy.data.sql.schema import decisions

    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return int(connection.execute(select(func.count()).select_from(decisions)).scalar() or 0)
    finally:
        engine.dispose()


def decision_ids(url: str) -> Iterable[str]:
    """Every decision id in the log."""
    from sqlalchemy import select

    from kdv_policy.data.sql.connect import make_engine
    from kdv_policy.data.sql.schema import decisions

    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return [str(r[0]) for r in connection.execute(select(decisions.c.decision_id))]
    finally:
        engine.dispose()
