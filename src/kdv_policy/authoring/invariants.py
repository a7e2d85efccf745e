"""Governance invariants: the rows of ``violation/3``, explained and reported.

The invariants are rules of the policy itself (``rules/invariants.dl``): each derives
``violation(Invariant, Subject, Detail)`` when what it protects is broken, so they are
checked against the same model every answer comes from, and every violation has a proof
down to the facts and rules that cause it.

>>> from kdv_policy import Policy
>>> from kdv_policy.authoring.invariants import violations
>>> policy = Policy.load()
>>> violations(policy)
[]
>>> two_chairs = policy.with_facts(add=["chair(steuerungsausschuss, staatsschreiber)"])
>>> [(v.code, v.subject, v.detail) for v in violations(two_chairs)][0]
('several_chairs', 'steuerungsausschuss', 'departementschef_div')

:func:`violations` gives one :class:`Violation` per row, with its message, the id and
citation of the rule that derived it and its explanation; :func:`as_diagnostics` gives the
same as error diagnostics with the code ``invariant-<name>``, pointing at that rule. A policy
that declares no ``violation/3`` has no invariants. docs/invariants.md lists the invariants.
"""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field

from kdv_policy.errors import Diagnostic, QueryError, Severity
from kdv_policy.language.printer import format_atom, format_value
from kdv_policy.language.source import Source
from kdv_policy.language.syntax import Atom, Clause, Constant, Value
from kdv_policy.policy.results import Explanation

if TYPE_CHECKING:
    from kdv_policy.policy.api import Policy

PREDICATE = "violation"
"""The predicate the invariants derive: ``violation(Invariant, Subject, Detail)``."""

JsonValue = str | int | datetime.date

MESSAGES: dict[str, str] = {
    "chair_not_member": "`{detail}` chairs `{subject}` but is not a member of it",
    "missing_chair": "`{subject}` has no chair, though the text names one",
    "several_chairs": "`{subject}` has more than one chair; `{detail}` is one of them",
    "delegation_cycle": "`{subject}` is on a delegation cycle: a competence on `{detail}` it delegates "
                        "comes back to it",
    "approves_own_request": "`{subject}` may both request and approve `{detail}`",
    "consumer_outside_administration": "`{subject}` is a consumer but no unit of the cantonal "
                                       "administration (`{detail}`)",
    "competence_without_holder": "no body holds the competence to `{detail}` `{subject}`",
    "assignment_unknown_role": "`{subject}` is assigned the role `{detail}`, which the organisation "
                               "directory does not define",
}
"""The message of each bundled invariant; ``{subject}`` and ``{detail}`` are the row's values.
An invariant not listed here gets :data:`GENERIC_MESSAGE`."""

GENERIC_MESSAGE = "`{subject}` breaks the invariant `{code}` (`{detail}`)"

HELP: dict[str, str] = {
    "chair_not_member": "a chair is a member of the body it chairs (rule `vorsitz_ist_mitglied`); "
                        "restore that rule",
    "missing_chair": "list the chairing role in organisation.toml (for the Steuerungsausschuss: the "
                     "Departementschef DIV)",
    "several_chairs": "keep one chair: remove the extra `chair` fact or the role that makes a second chair",
    "delegation_cycle": "remove one of the `delegates` facts on the cycle; the explanation shows the chain",
    "approves_own_request": "the body that requests must not approve: remove the competence or "
                            "delegation that gives it both",
    "consumer_outside_administration": "only units of the administration are consumers: fix the unit's "
                                       "kind in organisation.toml or remove the `consumer` fact",
    "competence_without_holder": "give the competence to a body (a `competence` fact), or restore the "
                                 "body or delegation that held it",
    "assignment_unknown_role": "define the role in organisation.toml, or correct the role in the people file",
}
"""What to do about a violation of each bundled invariant; others get the rule's ``%%`` comment."""


class Violation(BaseModel):
    """One broken invariant: a row of ``violation/3``, with the rule that derived it and its proof."""

    model_config = ConfigDict(frozen=True)

    code: str = Field(description="the invariant, e.g. `several_chairs`")
    subject: JsonValue = Field(description="what the violation is about, e.g. the body with two chairs")
    detail: JsonValue = Field(description="what breaks the invariant, e.g. one of the chairs")
    message: str = Field(description="one sentence naming the subject")
    rule_id: str | None = Field(default=None, description="the @id of the invariant rule that derived it")
    citation: str | None = Field(default=None, description="the sentence of the text the invariant protects")
    location: str | None = Field(default=None, description="file:line of the invariant rule")
    explanation: Explanation = Field(description="the proof of the violation, down to stated facts")

    @property
    def diagnostic_code(self) -> str:
        """``invariant-<name>``: the code :func:`as_diagnostics` reports it under."""
        return diagnostic_code(self.code)

    @property
    def atom(self) -> str:
        """The row as an atom, e.g. ``violation(several_chairs, steuerungsausschuss, staatsschreiber)``."""
        return _atom(self.code, self.subject, self.detail)


def diagnostic_code(code: JsonValue) -> str:
    """The diagnostic code of an invariant: ``several_chairs`` → ``invariant-several-chairs``."""
    return "invariant-" + str(code).replace("_", "-")


def invariant_rules(policy: Policy) -> tuple[Clause, ...]:
    """The clauses of the policy that derive ``violation/3``: its invariants."""
    return tuple(c for c in policy.program.clauses if c.head.predicate == PREDICATE)


def violations(policy: Policy) -> list[Violation]:
    """Every broken invariant of ``policy``, sorted by invariant, subject and detail.

    Empty when the invariants hold, and for a policy that declares no ``violation/3``.
    Raises :class:`~kdv_policy.errors.QueryError` when ``violation`` is declared with
    another arity.
    """
    decl = policy.program.declarations.get(PREDICATE)
    if decl is None:
        return []
    if decl.arity != 3:
        raise QueryError(f"`{PREDICATE}` must take 3 arguments (invariant, subject, detail), "
                         f"but it is declared as `{decl.signature}`")
    clauses = {c.id: c for c in invariant_rules(policy) if c.id}
    found = []
    for code, subject, detail in sorted(policy.relation(PREDICATE), key=_row_key):
        explanation = policy.explain(_atom(code, subject, detail))
        proof = explanation.proofs[0] if explanation.proofs else None
        clause = clauses.get(proof.id) if proof is not None and proof.id else None
        template = MESSAGES.get(code, GENERIC_MESSAGE) if isinstance(code, str) else GENERIC_MESSAGE
        message = template.format(code=_text(code), subject=_text(subject), detail=_text(detail))
        found.append(Violation(
            code=str(code), subject=subject, detail=detail, message=message,
            rule_id=clause.id if clause else (proof.id if proof else None),
            citation=clause.citation if clause else (proof.citation if proof else None),
            location=proof.location if proof else None, explanation=explanation,
        ))
    return found


def as_diagnostics(policy: Policy) -> list[Diagnostic]:
    """Every broken invariant as an error diagnostic ``invariant-<name>`` at the invariant rule.

    The message names the subject; the help says what to do (for an invariant of the policy's
    own, its ``%%`` comment). A violation stated as a fact rather than derived has no span.
    """
    clauses = {c.id: c for c in invariant_rules(policy) if c.id}
    sources: dict[str, Source] = getattr(getattr(policy, "_loaded", None), "sources", {}) or {}
    diagnostics = []
    for v in violations(policy):
        clause = clauses.get(v.rule_id) if v.rule_id else None
        span = clause.span if clause else None
        help_text = HELP.get(v.code) or (_one_line(clause.doc) if clause and clause.doc else None) \
            or "see docs/invariants.md; the explanation of the violation shows what causes it"
        diagnostics.append(Diagnostic(
            diagnostic_code(v.code), Severity.ERROR, v.message, span, help_text,
            sources.get(span.path) if span else None,
        ))
    return sorted(diagnostics, key=Diagnostic.sort_key)


# -- helpers -------------------------------------------------------------------------------------

_ORDER = {int: 0, datetime.date: 1, str: 2}


def _row_key(row: tuple[Value, ...]) -> tuple:
    return tuple((_ORDER[type(v)], v) for v in row)


def _atom(code: Value, subject: Value, detail: Value) -> str:
    return format_atom(Atom(PREDICATE, (Constant(code), Constant(subject), Constant(detail))))


def _text(value: Value) -> str:
    """A value as written in the rules, without quotes (messages put it in backticks)."""
    return value if isinstance(value, str) else format_value(value)


def _one_line(doc: str) -> str:
    return " ".join(line.strip() for line in doc.splitlines() if line.strip())


__all__ = [
    "GENERIC_MESSAGE", "HELP", "MESSAGES", "PREDICATE", "Violation", "as_diagnostics", "diagnostic_code",
    "invariant_rules", "violations",
]
