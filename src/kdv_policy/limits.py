"""Every bound kdv_policy puts on its input, in one place.

Every input — rule files, data files, policy test files, queries, what-if facts — is bounded
in size, depth and work before the work starts (pyDatalog cannot be interrupted once it runs).
Hitting a bound is a :class:`~kdv_policy.errors.PolicyError` that names the limit and says how
to raise it; it is never a hang or a memory blow-up.

The defaults serve an organisation of 100,000 persons. An operator changes them with
``Policy.load(..., limits=Limits(...))``, ``PolicyStore(..., limits=...)`` or, on the command
line, ``--limit NAME=VALUE`` (repeatable). See docs/operations.md, "Limits".

This module imports nothing of the project: every stage reads its own fields.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

MiB = 1 << 20


@dataclass(frozen=True)
class QueryLimits:
    """Bounds on an ad-hoc query, checked before and after evaluation.

    ``max_intermediate`` bounds the rows a query's join can build, estimated from the model
    before pyDatalog runs (pyDatalog cannot be interrupted once it runs, so a query that
    could enumerate a huge cross product is refused up front); ``max_answers`` bounds the
    answers returned; ``max_length`` the characters of the query text (checked by the API
    before parsing).
    """

    max_intermediate: int = 1_000_000
    max_answers: int = 10_000
    max_length: int = 4_000


@dataclass(frozen=True)
class Limits:
    """The bounds on loading, evaluating and asking a policy (see the module docstring)."""

    # -- reading files -------------------------------------------------------------------------
    max_rule_file_bytes: int = 8 * MiB
    """One ``*.dl`` rule file."""
    max_data_file_bytes: int = 64 * MiB
    """One data file (``organisation.toml``, the people file): 100,000 persons take about 25 MiB."""
    max_test_file_bytes: int = 8 * MiB
    """One policy test file (YAML)."""
    max_items: int = 50_000
    """Declarations, facts and rules of all rule files of one policy together."""
    max_nesting: int = 32
    """Nesting of tables and arrays in a data file, of mappings and lists in a test file."""

    # -- evaluating ----------------------------------------------------------------------------
    max_rows_per_relation: int = 2_000_000
    """Rows of one relation, stated and derived, checked after every rule of every evaluation step."""
    max_rule_work: int = 2_000_000
    """Rows one rule's join may build in one evaluation step (a semi-naive round of a recursive
    stratum), estimated from the relations' sizes and fan-outs before it runs. The largest
    estimate of an organisation of 100,000 persons is about 630,000; the cross product of two
    relations of 2,000 rows (4,000,000) is refused."""
    max_body_literals: int = 64
    """Literals of one rule body (and of one ad-hoc query): evaluating a body costs the square
    of its length. The bundled policy's longest body has 5."""

    # -- reporting -----------------------------------------------------------------------------
    max_diagnostics_per_file: int = 100
    """Diagnostics printed for one file; the rest are counted ("and N more")."""

    # -- asking --------------------------------------------------------------------------------
    max_line_length: int = 4_000
    """One line of a query batch (``query --file``, standard input)."""
    max_input_rows: int = 1_000
    """Rows of one request's input relations together (``Policy.with_input``; the properties and
    context of an AuthZEN request)."""
    max_input_value_length: int = 1_000
    """Characters of one string value of a request's input rows."""
    query: QueryLimits = QueryLimits()
    """Bounds on an ad-hoc query (:class:`QueryLimits`)."""

    @classmethod
    def names(cls) -> tuple[str, ...]:
        """The names ``--limit NAME=VALUE`` accepts: every integer field."""
        return tuple(f.name for f in dataclasses.fields(cls) if f.name != "query")

    def replace(self, **changes: int) -> Limits:
        """A copy with some limits changed; each must be a positive integer."""
        for name, value in changes.items():
            if name not in self.names():
                raise ValueError(f"unknown limit `{name}`")
            if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
                raise ValueError(f"limit `{name}` must be a positive integer, not {value!r}")
        fields: dict[str, Any] = changes  # replace() also takes `query`, which names() leaves out
        return dataclasses.replace(self, **fields)


DEFAULT_LIMITS = Limits()


def as_limits(limits: Limits | QueryLimits | None) -> Limits:
    """``limits`` as a :class:`Limits` (a bare :class:`QueryLimits` sets only the query bounds)."""
    if limits is None:
        return DEFAULT_LIMITS
    if isinstance(limits, QueryLimits):
        return dataclasses.replace(DEFAULT_LIMITS, query=limits)
    return limits
