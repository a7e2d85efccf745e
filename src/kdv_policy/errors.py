"""Errors and diagnostics.

Every problem the project reports is a :class:`Diagnostic`: a stable code, a
severity, a one-sentence message, the span it points at and an optional help
text. Diagnostics print as ``path:line:col: error: message [code]`` followed by
the source line with a caret and ``help:`` (see docs/rule-language.md).

Exceptions share one root, :class:`PolicyError` (a :class:`ValueError`), and
are split by phase: :class:`PolicySyntaxError` (text that does not parse),
:class:`PolicyCheckError` (a program the checker rejects), :class:`PolicyLoadError`
(files that cannot be read), :class:`QueryError` (a bad ad-hoc query) and
:class:`EngineError` (a failure inside the engine).

Everything a diagnostic shows is bounded, whatever the input: user text quoted in a message is
shortened (:func:`shorten`), a message or help longer than :data:`MAX_MESSAGE` is cut, the
snippet shows at most about 100 characters of its line (:func:`~kdv_policy.language.source.snippet`),
and one file reports at most ``Limits.max_diagnostics_per_file`` diagnostics, then one more
that counts the rest (``and 250 more errors in `p.dl```, see :class:`DiagnosticCollector`).
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum

from kdv_policy.language.source import Source, Span, snippet
from kdv_policy.limits import DEFAULT_LIMITS

MAX_QUOTED = 60
"""Characters of user text (a name, a constant, a token) a message quotes; longer text is
shortened in the middle (:func:`shorten`)."""

MAX_MESSAGE = 1_000
"""Characters of a diagnostic's message or help, and :data:`MAX_ERROR_MESSAGE` of an error's own
message: a longer one is cut with ``…`` (a safety net; messages quote user text shortened)."""

MAX_ERROR_MESSAGE = 10_000

TOO_MANY = "too-many-diagnostics"
"""The code of the diagnostic that counts what a file reports beyond the limit, when the
diagnostics it counts have different codes (otherwise it takes theirs, e.g. ``syntax``)."""


def shorten(text: str, limit: int = MAX_QUOTED) -> str:
    """``text`` as a message quotes it: at most ``limit`` characters, cut in the middle with ``…``,
    so both ends of a long name stay recognisable."""
    if len(text) <= limit:
        return text
    head = (limit - 1) * 2 // 3
    tail = limit - 1 - head
    return f"{text[:head]}…{text[len(text) - tail:]}"


def _cut(text: str | None, limit: int) -> str | None:
    """``text`` cut to ``limit`` characters, with ``…`` at the cut."""
    if text is None or len(text) <= limit:
        return text
    return text[: limit - 1] + "…"


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True)
class Diagnostic:
    """One problem found in policy text, with where it is and how to fix it.

    A span on line 0 (``Span(path, 0, 0, 0, 0)``) stands for the file as a whole: such a
    diagnostic shows ``path:`` without a position and sorts after the file's other diagnostics.
    """

    code: str
    severity: Severity
    message: str
    span: Span | None = None
    help: str | None = None
    source: Source | None = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        if len(self.message) > MAX_MESSAGE:
            object.__setattr__(self, "message", _cut(self.message, MAX_MESSAGE))
        if self.help is not None and len(self.help) > MAX_MESSAGE:
            object.__setattr__(self, "help", _cut(self.help, MAX_MESSAGE))

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    @property
    def is_file_level(self) -> bool:
        """About the file as a whole (its span is on line 0), not a place in it."""
        return self.span is not None and self.span.line == 0

    @property
    def path(self) -> str:
        """The file the diagnostic is about (``""`` when it names none)."""
        return self.span.path if self.span is not None else ""

    def sort_key(self) -> tuple[str, int, int, int, str]:
        """By file and position; at one position errors come before warnings; a file-level
        diagnostic after the rest of its file."""
        rank = 0 if self.is_error else 1
        if self.span is None:
            return ("", 0, 0, rank, self.code)
        if self.span.line == 0:
            return (self.span.path, sys.maxsize, 0, rank, self.code)
        return (self.span.path, self.span.line, self.span.col, rank, self.code)

    def headline(self) -> str:
        if self.span is None:
            where = ""
        elif self.span.line == 0:
            where = f"{self.span.path}: "
        else:
            where = f"{self.span}: "
        return f"{where}{self.severity.value}: {self.message} [{self.code}]"

    def render(self) -> str:
        """The full, human-readable form: headline, source snippet, help."""
        parts = [self.headline()]
        snip = snippet(self.source, self.span)
        if snip:
            parts.append(snip)
        if self.help:
            parts.append(f"  = help: {self.help}")
        return "\n".join(parts)

    def __str__(self) -> str:
        return self.render()


@dataclass(frozen=True)
class MoreDiagnostics(Diagnostic):
    """The last diagnostic of a file that has more than the limit: ``and N more ...``.

    ``errors`` and ``warnings`` count the diagnostics it stands for.
    """

    errors: int = 0
    warnings: int = 0

    @classmethod
    def of(cls, path: str, errors: int, warnings: int, codes: Iterable[str] = (),
           source: Source | None = None) -> MoreDiagnostics:
        """The summary of ``errors`` and ``warnings`` not shown for the file ``path``."""
        kinds = {c for c in codes}
        code = kinds.pop() if len(kinds) == 1 else TOO_MANY
        what = "syntax errors" if code == "syntax" and not warnings else (
            "errors and warnings" if errors and warnings else "errors" if errors else "warnings")
        where = " in this file" if path else ""
        return cls(
            code, Severity.ERROR if errors else Severity.WARNING,
            f"and {errors + warnings:,} more {what}{where}",
            Span(path, 0, 0, 0, 0) if path else None,
            "fix the problems shown and check again; to see more at once, raise the limit: "
            "`--limit max_diagnostics_per_file=N` or `Limits(max_diagnostics_per_file=N)`",
            source, errors, warnings)


class DiagnosticCollector:
    """Diagnostics as they are found, at most ``limit`` kept per file, the rest only counted.

    Errors are kept before warnings: a file shows up to ``limit`` errors and fills the rest with
    warnings. Memory stays bounded however many diagnostics a file produces: at most ``limit``
    errors and ``limit`` warnings are held per file. :meth:`diagnostics` gives the kept ones,
    sorted, each file's followed by one :class:`MoreDiagnostics` that counts the rest.
    """

    def __init__(self, limit: int | None = None) -> None:
        self.limit = DEFAULT_LIMITS.max_diagnostics_per_file if limit is None else limit
        self._files: dict[str, _FileDiagnostics] = {}
        self._passed: list[Diagnostic] = []  # summaries that lost their counts: shown as they are
        self.errors = 0
        """Errors added, kept or not."""

    def add(self, diag: Diagnostic) -> None:
        if diag.is_file_level and not isinstance(diag, MoreDiagnostics):
            self._passed.append(diag)
            self.errors += diag.is_error
            return
        path = diag.path
        file = self._files.get(path)
        if file is None:
            file = self._files[path] = _FileDiagnostics(diag.source)
        if isinstance(diag, MoreDiagnostics):
            file.more_errors += diag.errors
            file.more_warnings += diag.warnings
            file.codes.add(diag.code)
            self.errors += diag.errors
            return
        kept = file.errors if diag.is_error else file.warnings
        if len(kept) < self.limit:
            kept.append(diag)
        elif diag.is_error:
            file.more_errors += 1
            file.codes.add(diag.code)
        else:
            file.more_warnings += 1
            file.codes.add(diag.code)
        self.errors += diag.is_error

    def extend(self, diags: Iterable[Diagnostic]) -> None:
        for diag in diags:
            self.add(diag)

    def diagnostics(self) -> tuple[Diagnostic, ...]:
        """The kept diagnostics, sorted, with a count of the rest for each file that has more."""
        out: list[Diagnostic] = list(self._passed)
        for path, file in self._files.items():
            errors = sorted(file.errors, key=Diagnostic.sort_key)
            warnings = sorted(file.warnings, key=Diagnostic.sort_key)
            room = max(0, self.limit - len(errors))
            out += errors
            out += warnings[:room]
            more_warnings = file.more_warnings + max(0, len(warnings) - room)
            codes = file.codes | {d.code for d in warnings[room:]}
            if file.more_errors or more_warnings:
                out.append(MoreDiagnostics.of(path, file.more_errors, more_warnings, codes, file.source))
        return tuple(sorted(out, key=Diagnostic.sort_key))


class _FileDiagnostics:
    """What :class:`DiagnosticCollector` holds for one file."""

    __slots__ = ("codes", "errors", "more_errors", "more_warnings", "source", "warnings")

    def __init__(self, source: Source | None) -> None:
        self.source = source
        self.errors: list[Diagnostic] = []
        self.warnings: list[Diagnostic] = []
        self.more_errors = 0
        self.more_warnings = 0
        self.codes: set[str] = set()


def cap_per_file(diagnostics: Iterable[Diagnostic], limit: int | None = None) -> tuple[Diagnostic, ...]:
    """``diagnostics`` sorted, at most ``limit`` per file (default: ``Limits``), the rest counted
    (see :class:`DiagnosticCollector`)."""
    collector = DiagnosticCollector(limit)
    collector.extend(diagnostics)
    return collector.diagnostics()


def count_errors(diagnostics: Iterable[Diagnostic]) -> int:
    """The errors among ``diagnostics``, counting those a :class:`MoreDiagnostics` stands for."""
    return sum(d.errors if isinstance(d, MoreDiagnostics) else d.is_error for d in diagnostics)


def count_warnings(diagnostics: Iterable[Diagnostic]) -> int:
    """The warnings among ``diagnostics``, counting those a :class:`MoreDiagnostics` stands for."""
    return sum(d.warnings if isinstance(d, MoreDiagnostics) else not d.is_error for d in diagnostics)


class PolicyError(ValueError):
    """Root of every error kdv_policy raises on bad input.

    Its ``diagnostics`` hold at most ``Limits.max_diagnostics_per_file`` per file (the rest
    are counted, see :class:`MoreDiagnostics`), and its message at most
    :data:`MAX_ERROR_MESSAGE` characters, so rendering or logging an error stays bounded.
    """

    def __init__(self, message: str, diagnostics: Iterable[Diagnostic] = ()) -> None:
        super().__init__(_cut(message, MAX_ERROR_MESSAGE))
        diagnostics = tuple(diagnostics)
        if len(diagnostics) > DEFAULT_LIMITS.max_diagnostics_per_file:
            diagnostics = cap_per_file(diagnostics)
        self.diagnostics = diagnostics

    def render(self) -> str:
        if not self.diagnostics:
            return str(self)
        return "\n".join(d.render() for d in self.diagnostics)


class PolicySyntaxError(PolicyError):
    """Policy or query text that does not parse."""

    def __init__(self, diagnostics: Diagnostic | Iterable[Diagnostic]) -> None:
        if isinstance(diagnostics, Diagnostic):
            diagnostics = (diagnostics,)
        diags = cap_per_file(diagnostics)
        first = next((d for d in diags if not isinstance(d, MoreDiagnostics)), diags[0])
        rest = count_errors(diags) - 1
        more = f" (and {rest:,} more syntax errors)" if rest > 0 else ""
        super().__init__(first.headline() + more, diags)
        self.diagnostic = first
        self.span = first.span


class PolicyCheckError(PolicyError):
    """A program the checker rejects; ``diagnostics`` holds every problem found (at most
    ``Limits.max_diagnostics_per_file`` per file, then a count of the rest)."""

    def __init__(self, diagnostics: Iterable[Diagnostic]) -> None:
        diags = cap_per_file(diagnostics)
        shown = [d for d in diags if not isinstance(d, MoreDiagnostics)] or list(diags)
        errors = [d for d in shown if d.is_error]
        first = errors[0] if errors else shown[0]
        rest = count_errors(diags) - 1
        more = f" (and {rest:,} more errors)" if rest > 0 else ""
        super().__init__(first.headline() + more, diags)


class PolicyLoadError(PolicyError):
    """Policy files that cannot be found or read."""


class QueryError(PolicyError):
    """An ad-hoc query that cannot be answered (bad predicate, arity, safety)."""


class EngineError(PolicyError):
    """The engine failed to evaluate a checked program."""


class ArgumentError(PolicyError, TypeError):
    """An argument the Python API cannot take: of the wrong type (``ask(None)``), or a Python
    value the rule language cannot write (``True``, ``1.0``). Also a :class:`TypeError`."""


def kind_of(value: object) -> str:
    """How an error names a value it refuses: its type, never its (perhaps huge) text."""
    if value is None:
        return "`None`"
    if isinstance(value, bool):
        return f"the boolean `{value}`"
    return f"a value of type `{type(value).__qualname__}`"


def expect(value: object, cls: type | tuple[type, ...], what: str) -> None:
    """Raise :class:`ArgumentError` unless ``value`` is an instance of ``cls`` (a ``bool`` is no ``int``)."""
    classes = cls if isinstance(cls, tuple) else (cls,)
    if isinstance(value, classes) and not (isinstance(value, bool) and bool not in classes):
        return
    names = " or ".join(f"`{c.__name__}`" for c in classes)
    raise ArgumentError(f"{what} must be a {names}, not {kind_of(value)}")



class BundleError(PolicyLoadError):
    """A policy bundle that cannot be used: not a bundle, truncated, corrupted, of another format,
    over a limit, or not signed by the key it must be signed with."""
