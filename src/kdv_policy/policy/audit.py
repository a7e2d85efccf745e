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

import datetime
import json
import logging
import os
import threading
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


class JsonLinesHandler(logging.Handler):
    """Writes each audit record as one JSON object per line, to a file path or a text stream."""

    def __init__(self, target: str | os.PathLike | IO[str]) -> None:
        super().__init__(level=logging.INFO)
        # a stream is whatever has `write` (mypy cannot narrow a union by hasattr)
        self._stream: IO[str]
        if hasattr(target, "write"):
            self._own, self._stream = False, cast("IO[str]", target)
        else:
            self._own, self._stream = True, open(cast("str | os.PathLike[str]", target), "a",  # noqa: SIM115
                                                 encoding="utf-8")
        self._write_lock = threading.Lock()

    def emit(self, record: logging.LogRecord) -> None:
        entry = getattr(record, "audit", None)
        if entry is None:
            return
        try:
            line = json.dumps(entry, ensure_ascii=False, default=str)
            with self._write_lock:
                self._stream.write(line + "\n")
                self._stream.flush()
        except Exception:  # a logging handler never raises into the app
            self.handleError(record)

    def close(self) -> None:
        try:
            if self._own:
                self._stream.close()
        finally:
            super().close()
