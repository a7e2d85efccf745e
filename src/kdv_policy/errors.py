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
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from kdv_policy.language.source import Source, Span, snippet


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True)
class Diagnostic:
    """One problem found in policy text, with where it is and how to fix it."""

    code: str
    severity: Severity
    message: str
    span: Span | None = None
    help: str | None = None
    source: Source | None = field(default=None, compare=False, repr=False)

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    def sort_key(self) -> tuple:
        """By file and position; at one position errors come before warnings."""
        rank = 0 if self.is_error else 1
        if self.span is None:
            return ("", 0, 0, rank, self.code)
        return (self.span.path, self.span.line, self.span.col, rank, self.code)

    def headline(self) -> str:
        where = f"{self.span}: " if self.span else ""
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


class PolicyError(ValueError):
    """Root of every error kdv_policy raises on bad input."""

    def __init__(self, message: str, diagnostics: tuple[Diagnostic, ...] = ()) -> None:
        super().__init__(message)
        self.diagnostics = tuple(diagnostics)

    def render(self) -> str:
        if not self.diagnostics:
            return str(self)
        return "\n".join(d.render() for d in self.diagnostics)


class PolicySyntaxError(PolicyError):
    """Policy or query text that does not parse."""

    def __init__(self, diagnostics: Diagnostic | tuple[Diagnostic, ...] | list[Diagnostic]) -> None:
        if isinstance(diagnostics, Diagnostic):
            diagnostics = (diagnostics,)
        diags = tuple(sorted(diagnostics, key=Diagnostic.sort_key))
        more = f" (and {len(diags) - 1} more syntax errors)" if len(diags) > 1 else ""
        super().__init__(diags[0].headline() + more, diags)
        self.diagnostic = diags[0]
        self.span = diags[0].span


class PolicyCheckError(PolicyError):
    """A program the checker rejects; ``diagnostics`` holds every problem found."""

    def __init__(self, diagnostics: tuple[Diagnostic, ...] | list[Diagnostic]) -> None:
        diags = tuple(sorted(diagnostics, key=Diagnostic.sort_key))
        errors = [d for d in diags if d.is_error]
        first = errors[0] if errors else diags[0]
        more = f" (and {len(errors) - 1} more errors)" if len(errors) > 1 else ""
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
