"""The audit log: one structured record per decision, through the standard ``logging`` module.

Off by default and cheap when off (one attribute check per question). Turn it on by
giving the ``kdv_policy.policy.audit`` logger a handler and level INFO, e.g. the JSON-lines
handler shipped here (the logger does not propagate: records go only to its own
handlers, never into an app's root log by accident)::

    import logging
    from kdv_policy.policy.audit import AUDIT_LOGGER, JsonLinesHandler

    AUDIT_LOGGER.addHandler(JsonLinesHandler("decisions.jsonl"))
    AUDIT_LOGGER.setLevel(logging.INFO)

Each record carries its data in ``record.audit`` (a dict): ``time`` (UTC, ISO 8601),
``version`` (of the policy that answered), ``question`` (the method), ``asked`` (the
arguments as given), ``resolved`` (the question as resolved, in rule-language syntax),
``allowed`` (for yes/no questions) or ``answers`` (the number of answers), and
``rule_ids`` (the ids of the rules and facts in the proof). Apps route it to their own
audit store with any handler.
"""

from __future__ import annotations

import collections
import contextlib
import datetime
import json
import logging
import os
import sys
import threading
import time
from typing import IO, Any, cast

AUDIT_LOGGER = logging.getLogger("kdv_policy.policy.audit")
AUDIT_LOGGER.propagate = False  # decisions go only where the app sends them, never to its root log


def enabled() -> bool:
    """Whether decisions are being audited: the logger has a handler and is enabled for INFO."""
    return bool(AUDIT_LOGGER.handlers) and AUDIT_LOGGER.isEnabledFor(logging.INFO)


def log_decision(version: str, question: str, asked: tuple, result: Any, data_version: str = "") -> None:
    """Emit the audit record of one answered question."""
    entry: dict[str, Any] = {
        "time": datetime.datetime.now(datetime.UTC).isoformat(timespec="microseconds"),
        "version": version,
        "question": question,
        "asked": [str(a) for a in asked],
    }
    if data_version:
        entry["data_version"] = data_version
    interpretations = getattr(result, "interpretations", None)
    if isinstance(interpretations, tuple):
        entry["interpretations"] = list(interpretations)
    answers = getattr(result, "answers", None)
    if isinstance(answers, list | tuple):  # the ids answered, bounded: a record stays small
        entry["answer_ids"] = [str(getattr(a, "id", a)) for a in answers[:100]]
    if isinstance(result, tuple):  # an ad-hoc query: its rows
        entry["resolved"] = str(asked[0]) if asked else ""
        entry["answers"] = len(result)
        entry["rule_ids"] = []
    else:
        entry["resolved"] = result.question
        if hasattr(result, "allowed"):
            entry["allowed"] = result.allowed
        else:
            entry["answers"] = len(result.answers)
        entry["rule_ids"] = list(result.explanation.rule_ids)
    verdict = entry.get("allowed", entry.get("answers"))
    AUDIT_LOGGER.info("%s %s -> %s", question, entry["resolved"], verdict, extra={"audit": entry})


_TEMPLATE = logging.LogRecord(AUDIT_LOGGER.name, logging.INFO, __file__, 0, "", (), None)


def emit_record(entry: dict[str, Any], message: str, args: tuple[Any, ...]) -> None:
    """Hand a decision record to the audit logger's handlers, as ``AUDIT_LOGGER.info(message,
    *args, extra={"audit": entry})`` would, but built from a template: the same attributes (time,
    thread, process) without looking up the caller or splitting a path per record."""
    record = logging.LogRecord.__new__(logging.LogRecord)
    record.__dict__.update(_TEMPLATE.__dict__)
    now = time.time_ns()
    record.created = now / 1e9
    record.msecs = (now % 1_000_000_000) // 1_000_000 + 0.0
    record.relativeCreated = (now - _START_NS) / 1e6
    record.thread = threading.get_ident()
    record.threadName = threading.current_thread().name
    record.process = os.getpid()
    record.msg = message
    record.args = args
    record.audit = entry
    AUDIT_LOGGER.handle(record)


_START_NS = int(logging._startTime * 1e9)  # type: ignore[attr-defined]


class JsonLinesHandler(logging.Handler):
    """Writes each audit record as one JSON object per line, to a file path or a text stream.

    By default each record is written (and flushed) before ``emit`` returns. With
    ``background=True`` the record's JSON line goes into a bounded queue and a writer thread
    writes what has queued up, one write and one flush for many: the caller pays the encoding
    (orjson) and a queue append instead of a write and a flush per record. Nothing is lost:
    when the queue is full, ``emit`` waits for room (and counts the wait in ``waited``);
    ``flush`` waits until everything queued is written, and ``close`` writes the rest before
    closing.
    """

    def __init__(
        self, target: str | os.PathLike | IO[str], *, background: bool = False, queue_size: int = 10_000
    ) -> None:
        super().__init__(level=logging.INFO)
        # a stream is whatever has `write` (mypy cannot narrow a union by hasattr)
        self._stream: IO[str]
        if hasattr(target, "write"):
            self._own, self._stream = False, cast("IO[str]", target)
        else:
            self._own, self._stream = True, open(cast("str | os.PathLike[str]", target), "a",  # noqa: SIM115
                                                 encoding="utf-8")
        self._write_lock = threading.Lock()
        self.waited = 0
        """Records that found the background queue full and waited for room (none were lost)."""
        self._queue: collections.deque[str] | None = None
        self._queue_size = max(1, queue_size)
        self._handed = self._written = 0
        self._wake = threading.Event()
        self._closing = False
        self._writer: threading.Thread | None = None
        if background:
            self._queue = collections.deque()
            self._writer = threading.Thread(target=self._write_queued, name="kdv-audit-writer", daemon=True)
            self._writer.start()

    def emit(self, record: logging.LogRecord) -> None:
        entry = getattr(record, "audit", None)
        if entry is None:
            return
        try:
            pending = self._queue
            if pending is not None and self._writer is not None:
                if len(pending) >= self._queue_size:
                    self.waited += 1
                    while len(pending) >= self._queue_size and self._writer.is_alive():
                        self._wake.set()
                        time.sleep(0.001)  # wait for the writer to make room: never dropped
                # encoded here (orjson: well under a microsecond): the queue holds strings, which the
                # garbage collector does not track, not dicts that would live on into older
                # generations and make collections walk them
                pending.append(_encode(entry))  # emit runs under the handler's lock: one producer at a time
                self._handed += 1
                if not self._wake.is_set():
                    self._wake.set()
                return
            line = _encode(entry)
            with self._write_lock:
                self._stream.write(line)
                self._stream.flush()
        except Exception:  # a logging handler never raises into the app
            self.handleError(record)

    def _write_queued(self) -> None:
        pending = self._queue
        assert pending is not None
        while True:
            self._wake.wait()
            self._wake.clear()
            closing = self._closing
            if not closing:
                time.sleep(0.02)  # let records gather: one wake-up and one write for many
            while pending:
                lines: list[str] = []
                with contextlib.suppress(IndexError):
                    while len(lines) < 1024:
                        lines.append(pending.popleft())
                try:
                    text = "".join(lines)
                    with self._write_lock:
                        self._stream.write(text)
                        self._stream.flush()
                except Exception:  # the writer never dies; the failure is reported as logging does
                    with contextlib.suppress(Exception):
                        sys.stderr.write("kdv_policy: the audit log could not be written\n")
                finally:
                    self._written += len(lines)
            if closing:
                return

    def flush(self) -> None:
        """Wait until every record handed over is written."""
        writer = self._writer
        while writer is not None and writer.is_alive() and self._written < self._handed:
            self._wake.set()
            time.sleep(0.001)
        with self._write_lock, contextlib.suppress(Exception):
            self._stream.flush()

    def close(self) -> None:
        try:
            writer = self._writer
            if writer is not None:
                self._closing = True
                self._wake.set()
                writer.join()  # writes what is queued
                self._writer = None
                if self._queue:  # handed over while the writer was ending
                    with self._write_lock:
                        self._stream.write("".join(self._queue))
                        self._stream.flush()
                    self._queue.clear()
            if self._own:
                self._stream.close()
        finally:
            super().close()


def _encode(entry: dict[str, Any]) -> str:
    """One record as a JSON line (orjson, imported with the first record, not by every program
    that asks a question; the standard library for what orjson does not take). Dates, times and
    dataclasses go through ``str`` as they did with the standard library."""
    import orjson

    try:
        return orjson.dumps(entry, default=str, option=orjson.OPT_PASSTHROUGH_DATETIME
                            | orjson.OPT_PASSTHROUGH_DATACLASS).decode("utf-8") + "\n"
    except TypeError:  # e.g. keys that are no strings
        return json.dumps(entry, ensure_ascii=False, default=str) + "\n"
