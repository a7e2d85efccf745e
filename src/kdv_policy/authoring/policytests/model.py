"""The policy test format: its keys and questions, a test file's cases, and the error for bad ones."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kdv_policy.errors import Diagnostic, PolicyError, Severity
from kdv_policy.language.source import Source, Span

TESTS_DIR = "tests"
"""The folder of a policy directory that holds its test files."""

TEST_SUFFIXES = (".yaml", ".yml")


QUESTIONS: dict[str, int] = {
    "may": 3, "who_may": 2, "what_may": 1, "who_serves": 1, "members": 1, "chair": 1,
    "responsible_for": 1, "is_consumer": 1, "holds": 1, "ask": 1,
}
"""The questions a case may ask, with the number of arguments each takes."""

DECISION_QUESTIONS = ("may", "is_consumer", "holds")
LIST_QUESTIONS = ("who_may", "what_may", "who_serves", "members", "chair", "responsible_for")
EXPECTATIONS = ("expect", "contains", "excludes")
CASE_KEYS = (*QUESTIONS, *EXPECTATIONS, "name", "source", "because", "at", "add", "remove", "interpretations")
FILE_KEYS = ("at", "people", "interpretations", "cases")


class PolicyTestError(PolicyError):
    """Test files that cannot be run: bad YAML, an unknown key, a name the policy does not know.

    ``diagnostics`` holds every problem found, each at ``file:line:col``; ``render()`` prints
    them with the offending line and a caret.
    """

    def __init__(self, diagnostics: Sequence[Diagnostic] | str) -> None:
        if isinstance(diagnostics, str):
            super().__init__(diagnostics)
            return
        diags = tuple(sorted(diagnostics, key=Diagnostic.sort_key))
        more = f" (and {len(diags) - 1} more problems)" if len(diags) > 1 else ""
        super().__init__(diags[0].headline() + more, diags)



@dataclass(frozen=True)
class Item:
    """A value of a test file with where it stands."""

    value: Any
    span: Span


@dataclass
class Case:
    """One case of a test file: a question and what its answer should be."""

    file: CaseFile = field(repr=False)
    line: int
    span: Span
    question: str
    args: tuple[Item, ...]
    name: str
    expect: Item | None = None
    contains: Item | None = None
    excludes: Item | None = None
    because: Item | None = None
    source: str | None = None
    source_span: Span | None = None
    at: datetime.date | None = None
    add: tuple[Item, ...] = ()
    remove: tuple[Item, ...] = ()
    interpretations: Item | None = None

    @property
    def location(self) -> str:
        return f"{self.file.display}:{self.line}"

    @property
    def adopted(self) -> Item | None:
        """The interpretations the case adopts (a tuple of ids): its own, else the file's; None
        keeps the policy's own."""
        return self.interpretations if self.interpretations is not None else self.file.interpretations

    @property
    def date(self) -> datetime.date | None:
        """The as-of date: the case's own, else the file's."""
        return self.at if self.at is not None else self.file.at


@dataclass
class CaseFile:
    """A parsed test file: its settings and its cases."""

    path: Path
    display: str
    source: Source = field(repr=False)
    at: datetime.date | None = None
    people: Path | None = None
    interpretations: Item | None = None
    cases: list[Case] = field(default_factory=list)



def first_line(err: PolicyError) -> str:
    return str(err).splitlines()[0] if str(err) else type(err).__name__


def case_error(case: Case, span: Span | None, code: str, message: str,
               help: str | None = None) -> PolicyTestError:
    diagnostic = Diagnostic(code, Severity.ERROR, message, span or case.span, help, case.file.source)
    return PolicyTestError([diagnostic])
