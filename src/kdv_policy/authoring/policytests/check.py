"""Checking one case: ask the policy the case's question and compare the answer with what the
case expects (exactly, at least, none of; and ``because`` for the proof)."""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from kdv_policy.authoring.policytests.model import Case, Item, PolicyTestError, case_error, first_line
from kdv_policy.authoring.policytests.reader import yaml_text
from kdv_policy.authoring.policytests.report import CaseResult
from kdv_policy.errors import PolicyError
from kdv_policy.language.parser import parse_query
from kdv_policy.language.printer import format_atom, format_value
from kdv_policy.language.source import Span
from kdv_policy.language.syntax import Atom, Constant, Variable, literal_variables
from kdv_policy.policy.api import ACTOR_KINDS, Policy
from kdv_policy.policy.names import AmbiguousNameError, UnknownNameError
from kdv_policy.policy.results import Answers, Decision, Entity, Explanation, Permission
from kdv_policy.policy.wording import phrase

# the kinds of entity an expected answer of a list question names
_ANSWER_KINDS: dict[str, tuple[tuple[str, ...], str]] = {
    "who_may": (ACTOR_KINDS, "actor"),
    "who_serves": (("unit", "body", "constant"), "provider"),
    "members": (("role", "person", "unit", "function", "constant"), "member"),
    "chair": (("role", "person", "constant"), "chair"),
    "responsible_for": (("role", "person", "constant"), "role"),
}

_Outcome = tuple[bool, str, str, Explanation | None, str]
"""How a case came out: passed, what was expected, what the policy answered, its explanation
(None for an ad-hoc query) and the question as resolved."""



class CaseCheck:
    """One case against one policy."""

    def __init__(self, case: Case, policy: Policy) -> None:
        self.case = case
        self.policy = policy

    def fail_at(self, span: Span, err: PolicyError, code: str = "test-name") -> PolicyTestError:
        return case_error(self.case, span, code, first_line(err))

    def ask_policy(self) -> Decision | Answers | tuple[dict, ...]:
        case = self.case
        args = [a.value for a in case.args]
        try:
            return getattr(self.policy, case.question)(*args)
        except (UnknownNameError, AmbiguousNameError) as err:
            culprit = next((a for a in case.args if a.value == err.name), case.args[0])
            raise self.fail_at(culprit.span, err) from None
        except PolicyError as err:
            raise self.fail_at(case.args[0].span, err, "test-question") from None

    def resolve(self, name: str, kinds: Sequence[str] | None, span: Span, what: str = "name") -> Entity:
        try:
            return self.policy.names.resolve(name, kinds, what)
        except (UnknownNameError, AmbiguousNameError) as err:
            raise self.fail_at(span, err) from None

    def result(self) -> CaseResult:
        case = self.case
        answer = self.ask_policy()
        if isinstance(answer, Decision):
            outcome = self.decision(answer)
        elif isinstance(answer, Answers):
            outcome = self.answers(answer)
        else:
            outcome = self.rows(answer)
        passed, expected, actual, explanation, question = outcome
        rule_ids = explanation.rule_ids if explanation is not None else self.row_ids(answer)
        if passed and case.because is not None:
            missing = [i for i in case.because.value if i not in rule_ids]
            if missing:
                passed = False
                expected += " because of " + ", ".join(case.because.value)
                actual += " without " + ", ".join(missing) + (
                    f" (the proof uses {', '.join(rule_ids)})" if rule_ids else " (no proof)")
        summary = explanation.summary if explanation is not None else ""
        details = explanation.render() if (explanation is not None and not passed) else None
        return CaseResult(file=case.file.display, line=case.line, name=case.name, question=question,
                          at=case.date, passed=passed, expected=expected, actual=actual, explanation=summary,
                          details=details, source=case.source, rule_ids=rule_ids, lang=self.policy.language)

    # -- yes/no questions

    def decision(self, decision: Decision) -> _Outcome:
        expect = self.case.expect
        assert expect is not None  # the reader refuses a yes/no case without `expect:`
        want = expect.value
        lang = self.policy.language
        word: dict[bool | str, str] = {True: phrase(lang, "allow"), False: phrase(lang, "deny"),
                                       "undetermined": phrase(lang, "undetermined")}
        # an answer the text does not decide is neither an allow nor a deny
        actual: bool | str = decision.allowed if decision.determined else "undetermined"
        return (actual == want, word[want], word[actual], decision.explanation, decision.question)

    # -- list questions

    def answers(self, answers: Answers) -> _Outcome:
        case = self.case
        if case.question == "what_may":
            actual = {(p.action.id, p.object.id): _permission(p) for p in answers}
        else:
            actual = {e.id: e.name for e in answers}
        shown = _listing(actual.values())
        checks = []
        passed = True
        if case.expect is not None:
            wanted = self.expected(case.expect)
            missing = [n for k, n in wanted.items() if k not in actual]
            extra = [n for k, n in actual.items() if k not in wanted]
            passed = not missing and not extra
            checks.append(f"exactly {_listing(wanted.values())}")
            if not passed:
                shown += _difference(missing, extra)
        if case.contains is not None:
            wanted = self.expected(case.contains)
            missing = [n for k, n in wanted.items() if k not in actual]
            passed = passed and not missing
            checks.append(f"at least {_listing(wanted.values())}")
            if missing:
                shown += f" (missing: {', '.join(missing)})"
        if case.excludes is not None:
            unwanted = self.expected(case.excludes)
            present = [n for k, n in unwanted.items() if k in actual]
            passed = passed and not present
            checks.append(f"none of {_listing(unwanted.values())}")
            if present:
                shown += f" (unexpected: {', '.join(present)})"
        return passed, " and ".join(checks), shown, answers.explanation, answers.question

    def expected(self, item: Item) -> dict[Any, str]:
        """The expected answers, resolved to ids (keys) with their names (values)."""
        out: dict[Any, str] = {}
        if self.case.question == "what_may":
            for action, obj in item.value:
                a = self.resolve(action, ("action", "constant"), item.span, "action")
                o = self.resolve(obj, ("object", "constant"), item.span, "object")
                out[(a.id, o.id)] = f"[{a.id}, {o.name}]"
            return out
        for name in item.value:
            kinds, what = _ANSWER_KINDS[self.case.question]
            entity = self.resolve(name, kinds, item.span, what)
            out[entity.id] = entity.name
        return out

    # -- ad-hoc queries

    def rows(self, rows: tuple[dict, ...]) -> _Outcome:
        case = self.case
        query = case.args[0].value
        variables = _query_variables(query)
        actual = [dict(row) for row in rows]
        shown = _rows_text(actual) if actual else "no answers"
        if case.expect is not None and isinstance(case.expect.value, bool):
            want = case.expect.value
            word = {True: "yes (some answer)", False: "no (no answer)"}
            got = bool(rows)
            return got == want, word[want], (f"yes: {shown}" if got else "no"), None, query
        passed = True
        checks = []
        if case.expect is not None:
            wanted = self.expected_rows(case.expect, variables, complete=True)
            missing = [r for r in wanted if r not in actual]
            extra = [r for r in actual if r not in wanted]
            passed = not missing and not extra
            checks.append(f"exactly {_rows_text(wanted) if wanted else 'no answers'}")
            if not passed:
                shown += _difference([_row_text(r) for r in missing], [_row_text(r) for r in extra])
        if case.contains is not None:
            wanted = self.expected_rows(case.contains, variables, complete=False)
            missing = [r for r in wanted if not any(_agrees(r, a) for a in actual)]
            passed = passed and not missing
            checks.append(f"at least {_rows_text(wanted)}")
            if missing:
                shown += f" (missing: {', '.join(_row_text(r) for r in missing)})"
        if case.excludes is not None:
            unwanted = self.expected_rows(case.excludes, variables, complete=False)
            present = [r for r in unwanted if any(_agrees(r, a) for a in actual)]
            passed = passed and not present
            checks.append(f"none of {_rows_text(unwanted)}")
            if present:
                shown += f" (unexpected: {', '.join(_row_text(r) for r in present)})"
        return passed, " and ".join(checks), shown, None, query

    def expected_rows(self, item: Item, variables: list[str], complete: bool) -> list[dict]:
        out = []
        for row in item.value:
            unknown = [k for k in row if k not in variables]
            if unknown:
                raise case_error(self.case, item.span, "test-expect",
                                  f"`{unknown[0]}` is not a variable of the query `{self.case.args[0].value}`"
                                  + (f"; its variables are {', '.join(variables)}" if variables else ""))
            if complete and set(row) != set(variables):
                raise case_error(self.case, item.span, "test-expect",
                                  f"each answer of `expect` gives every variable of the query: "
                                  f"{', '.join(variables)} (use `contains:` to give only some)")
            resolved = {}
            for var, value in row.items():
                if isinstance(value, str):
                    value = self.resolve(value, None, item.span).id
                elif _not_a_value(value):
                    raise case_error(self.case, item.span, "test-expect",
                                      f"`{var}: {yaml_text(value)}` is not a value of the rule language "
                                      "(a name, a whole number or a date)")
                resolved[var] = value
            out.append(resolved)
        return out

    def row_ids(self, answer: object) -> tuple[str, ...]:
        """The ids of the proofs of each answer's atoms (for coverage): an ad-hoc query's answers
        are explained through its positive atoms, instantiated with the answer."""
        if not isinstance(answer, tuple) or not answer:
            return ()
        try:
            parsed = parse_query(self.case.args[0].value)
        except PolicyError:
            return ()
        atoms = [lit for lit in parsed.body if isinstance(lit, Atom)]
        seen: dict[str, None] = {}
        for row in answer:
            for atom in atoms:
                ground = _ground(atom, row)
                if ground is None:
                    continue
                try:
                    explanation: Explanation = self.policy.explain(ground)
                except PolicyError:
                    continue
                for rule_id in explanation.rule_ids:
                    seen.setdefault(rule_id)
        return tuple(seen)


def _query_variables(query: str) -> list[str]:
    try:
        parsed = parse_query(query)
    except PolicyError:
        return []
    names: dict[str, None] = {}
    for lit in parsed.body:
        for variable in literal_variables(lit):
            if not variable.is_anonymous:
                names.setdefault(variable.name)
    return list(names)


def _ground(atom: Atom, row: Mapping[str, Any]) -> str | None:
    args = []
    for term in atom.args:
        if isinstance(term, Variable):
            if term.name not in row:
                return None
            args.append(Constant(row[term.name]))
        else:
            args.append(term)
    return format_atom(Atom(atom.predicate, tuple(args)))


def _not_a_value(value: Any) -> bool:
    """A YAML value that is no constant of the rule language (a name, a whole number or a date)."""
    return isinstance(value, bool | datetime.datetime) or not isinstance(value, int | datetime.date)


def _agrees(partial: Mapping[str, Any], row: Mapping[str, Any]) -> bool:
    return all(row.get(k) == v for k, v in partial.items())


def _row_text(row: Mapping[str, Any]) -> str:
    return "{" + ", ".join(f"{k}: {format_value(v)}" for k, v in row.items()) + "}"


def _rows_text(rows: Iterable[Mapping[str, Any]]) -> str:
    return "[" + ", ".join(_row_text(r) for r in rows) + "]"


def _listing(names: Iterable[str]) -> str:
    names = list(names)
    return "[" + ", ".join(names) + "]" if names else "nothing"


def _difference(missing: Sequence[str], extra: Sequence[str]) -> str:
    parts = []
    if missing:
        parts.append("missing: " + ", ".join(missing))
    if extra:
        parts.append("unexpected: " + ", ".join(extra))
    return f" ({'; '.join(parts)})" if parts else ""


def _permission(p: Permission) -> str:
    return f"[{p.action.id}, {p.object.name}]"
