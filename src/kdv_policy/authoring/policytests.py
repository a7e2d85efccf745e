"""Policy tests: YAML files of questions and expected answers, for policy authors.

A policy directory keeps its tests beside its rules, as ``tests/*.yaml``; each case asks the
policy one question (``may``, ``who_may``, ``members``, ``ask``, ...) and states the expected
answer. :func:`run_tests` loads the policy and every test file, runs every case and returns a
:class:`TestReport`: what passed, what failed (expected against actual, with the policy's
explanation) and which facts and rules of the policy no test exercised.

>>> report = run_tests()                       # the bundled policy and rules/tests/*.yaml
>>> report.failed
0

The files are read with PyYAML's safe loader (``yaml.SafeLoader``: plain data, never Python
objects), node by node so that every problem names its file, line and column. Names in a
case resolve through the policy like every question's names, so a misspelt name is an error
(:class:`PolicyTestError`, with did-you-mean), never a silently failing or passing test.
The format is described in docs/testing.md; the pytest plugin (:mod:`kdv_policy.testing`)
runs the same cases as pytest items.
"""

from __future__ import annotations

import datetime
import os
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import yaml
from pydantic import BaseModel, Field, computed_field
from yaml.constructor import ConstructorError, SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from kdv_policy.errors import Diagnostic, PolicyError, Severity
from kdv_policy.files import display_path
from kdv_policy.language.parser import parse_query
from kdv_policy.language.printer import format_atom, format_value
from kdv_policy.language.source import Source, Span
from kdv_policy.language.syntax import Atom, Constant, Negation, Variable
from kdv_policy.limits import Limits
from kdv_policy.policy.api import ACTOR_KINDS, Policy
from kdv_policy.policy.loader import bundled_rules
from kdv_policy.policy.names import AmbiguousNameError, UnknownNameError
from kdv_policy.policy.results import Answers, Decision, Entity, Explanation, Permission
from kdv_policy.suggest import did_you_mean

TESTS_DIR = "tests"
"""The folder of a policy directory that holds its test files."""

TEST_SUFFIXES = (".yaml", ".yml")

SOURCE_TEXT = "source-text.txt"
"""When a policy directory holds this file, every case's ``source`` must be a verbatim part of it."""

QUESTIONS: dict[str, int] = {
    "may": 3, "who_may": 2, "what_may": 1, "who_serves": 1, "members": 1, "chair": 1,
    "responsible_for": 1, "is_consumer": 1, "holds": 1, "ask": 1,
}
"""The questions a case may ask, with the number of arguments each takes."""

DECISION_QUESTIONS = ("may", "is_consumer", "holds")
LIST_QUESTIONS = ("who_may", "what_may", "who_serves", "members", "chair", "responsible_for")
EXPECTATIONS = ("expect", "contains", "excludes")
CASE_KEYS = (*QUESTIONS, *EXPECTATIONS, "name", "source", "because", "at", "add", "remove")
FILE_KEYS = ("at", "people", "cases")

_YES = {"allow", "allowed", "yes", "true"}
_NO = {"deny", "denied", "no", "false"}

# the kinds of entity an expected answer of a list question names
_ANSWER_KINDS: dict[str, tuple[tuple[str, ...], str]] = {
    "who_may": (ACTOR_KINDS, "actor"),
    "who_serves": (("unit", "body", "constant"), "provider"),
    "members": (("role", "person", "constant"), "member"),
    "chair": (("role", "person", "constant"), "chair"),
    "responsible_for": (("role", "person", "constant"), "role"),
}


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


# -- results -----------------------------------------------------------------------------------------


class CaseResult(BaseModel):
    """The outcome of one test case."""

    file: str = Field(description="the test file, as diagnostics show paths")
    line: int = Field(description="the line of the case in the file")
    name: str = Field(description="the case's `name`, or its question when it has none")
    question: str = Field(description="the question as resolved, in rule-language syntax")
    at: datetime.date | None = Field(None, description="the as-of date of the question, if any")
    passed: bool
    expected: str = Field(description="what the case expects, as text")
    actual: str = Field(description="what the policy answered, as text")
    explanation: str = Field("", description="the summary of the policy's explanation")
    details: str | None = Field(None, description="for a failure: the full explanation (proof or why-not)")
    source: str | None = Field(None, description="the sentence of the governance text the case cites")
    rule_ids: tuple[str, ...] = Field((), description="the fact and rule ids of the answer's proofs")

    @property
    def location(self) -> str:
        return f"{self.file}:{self.line}"

    def headline(self) -> str:
        if self.passed:
            return f"{self.location}: {self.name}: ok"
        return f"{self.location}: {self.name}: expected {self.expected}, got {self.actual}"

    def render(self, verbose: bool = False) -> str:
        """The headline, then the explanation, indented: its summary for a failure (the whole
        proof or why-not when ``verbose``), nothing for a pass (its summary when ``verbose``)."""
        lines = [self.headline()]
        if self.passed and not verbose:
            return lines[0]
        if self.source:
            lines.append(f"    cites « {self.source} »")
        text = self.details if (verbose and self.details) else self.explanation
        lines += ["    " + line for line in text.splitlines() if line.strip()]
        return "\n".join(lines)


class TestReport(BaseModel):
    """What :func:`run_tests` found: one :class:`CaseResult` per case, counts and rule coverage."""

    __test__: ClassVar[bool] = False  # not a pytest test class

    directory: str = Field(description="the policy directory")
    version: str = Field("", description="the version of the policy tested")
    files: tuple[str, ...] = Field((), description="the test files run, in order")
    results: tuple[CaseResult, ...] = ()
    rules_total: int = Field(0, description="the number of facts and rules of the policy with an @id")
    covered_rules: tuple[str, ...] = Field(
        (), description="ids of the facts and rules that appear in the proof of a tested answer")
    uncovered_rules: tuple[str, ...] = Field(
        (), description="ids of the facts and rules no test exercised, in program order")
    locations: dict[str, str] = Field(
        default_factory=dict, description="file:line of each uncovered fact or rule")

    @computed_field  # type: ignore[prop-decorator]
    @property
    def passed(self) -> int:
        return sum(1 for r in self.results if r.passed)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def failed(self) -> int:
        return sum(1 for r in self.results if not r.passed)

    @property
    def ok(self) -> bool:
        """True when no case failed."""
        return self.failed == 0

    @property
    def failures(self) -> tuple[CaseResult, ...]:
        return tuple(r for r in self.results if not r.passed)

    def render(self, verbose: bool = False) -> str:
        """A line per failure (``file:line: name: expected X, got Y``) with its explanation,
        then ``N passed, M failed`` and the coverage; ``verbose`` lists passed cases too and
        gives failures their full proof or why-not."""
        parts = [r.render(verbose) for r in self.results if verbose or not r.passed]
        if parts:
            parts.append("")
        cases = len(self.results)
        parts.append(f"{self.passed} passed, {self.failed} failed "
                     f"({cases} case{'s' if cases != 1 else ''} in {len(self.files)} "
                     f"file{'s' if len(self.files) != 1 else ''})")
        parts.append(f"rules exercised: {len(self.covered_rules)}/{self.rules_total}")
        if self.uncovered_rules:
            parts.append("not exercised by any test:")
            width = max(len(i) for i in self.uncovered_rules)
            for rule_id in self.uncovered_rules:
                where = self.locations.get(rule_id)
                parts.append(f"  {rule_id:<{width}}  {where}" if where else f"  {rule_id}")
        return "\n".join(parts)


# -- test files ----------------------------------------------------------------------------------------


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

    @property
    def location(self) -> str:
        return f"{self.file.display}:{self.line}"

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
    cases: list[Case] = field(default_factory=list)


def find_test_files(directory: str | os.PathLike | None = None) -> list[Path]:
    """The test files of a policy directory: ``tests/*.yaml`` and ``tests/*.yml``, sorted."""
    root = Path(directory) if directory is not None else bundled_rules()
    folder = root / TESTS_DIR
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir()
                  if p.suffix in TEST_SUFFIXES and p.is_file() and not p.name.startswith("."))


def load_test_file(path: str | os.PathLike, display: str | None = None) -> CaseFile:
    """Read and validate one test file; raise :class:`PolicyTestError` with every problem found.

    Names are not resolved here (that needs the policy): :class:`CaseRunner` does it when the
    case runs.
    """
    path = Path(path)
    display = display or display_path(path)
    return parse_test_file(_read(path, display), display, path)


def _read(path: Path, display: str) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        reason = getattr(err, "strerror", None) or err
        raise PolicyTestError(f"cannot read test file `{display}`: {reason}") from None


def parse_test_file(text: str, display: str, path: Path | None = None) -> CaseFile:
    """Parse the text of a test file (see :func:`load_test_file`)."""
    test_file, problems = _parse(text, display, path)
    if problems:
        raise PolicyTestError(problems)
    return test_file


def _parse(text: str, display: str, path: Path | None = None) -> tuple[CaseFile, list[Diagnostic]]:
    """The file with its valid cases, and the problems of the others."""
    problems: list[Diagnostic] = []
    test_file = CaseFile(path or Path(display), display, Source(display, text))
    _FileParser(test_file, problems).parse()
    return test_file, problems


class _FileParser:
    def __init__(self, test_file: CaseFile, problems: list[Diagnostic]) -> None:
        self.file = test_file
        self.source = test_file.source
        self.problems = problems

    # -- helpers

    def span(self, node: Node) -> Span:
        start, end = node.start_mark, node.end_mark
        return Span(self.file.display, start.line + 1, start.column + 1, end.line + 1, end.column + 1)

    def error(self, span: Span | None, code: str, message: str, help: str | None = None) -> None:
        self.problems.append(Diagnostic(code, Severity.ERROR, message, span, help, self.source))

    def value(self, node: Node) -> Any:
        try:
            return SafeConstructor().construct_object(node, deep=True)
        except ConstructorError as err:  # e.g. a tag that asks for a Python object
            self.error(self.span(node), "test-yaml", f"invalid YAML value: {err.problem}")
        except (ValueError, TypeError, OverflowError) as err:  # e.g. a date that does not exist
            self.error(self.span(node), "test-yaml", f"invalid YAML value: {err}")
        return _BAD

    def mapping(self, node: MappingNode, allowed: Sequence[str], what: str) -> dict[str, Node]:
        out: dict[str, Node] = {}
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, ScalarNode) else None
            if not isinstance(key, str) or key_node.tag != "tag:yaml.org,2002:str":
                self.error(self.span(key_node), "test-key", f"a key of {what} must be a word such as "
                           f"`{allowed[0]}`")
                continue
            if key in out:
                self.error(self.span(key_node), "test-key", f"`{key}` is given twice in {what}")
                continue
            if key not in allowed:
                hint = did_you_mean(key, allowed)
                listed = ", ".join(f"`{k}`" for k in allowed)
                self.error(self.span(key_node), "test-key", f"unknown key `{key}` in {what}"
                           + (f"; {hint}" if hint else ""), f"the keys are {listed}")
                continue
            out[key] = value_node
        return out

    def text(self, node: Node, what: str) -> str | None:
        value = self.value(node)
        if isinstance(value, str) and value.strip():
            return value
        if value is _BAD:
            return None
        shown = "nothing" if value is None else f"`{_yaml_text(value)}`"
        self.error(self.span(node), "test-value", f"{what} must be text, not {shown}",
                   "put the text in quotes if YAML reads it as something else (yes, no, on, off, numbers)")
        return None

    def date(self, node: Node) -> datetime.date | None:
        value = self.value(node)
        if value is _BAD:
            return None
        if isinstance(value, datetime.datetime):
            value = None
        elif isinstance(value, str):
            try:
                value = datetime.date.fromisoformat(value.strip())
            except ValueError:
                value = None
        if isinstance(value, datetime.date):
            return value
        self.error(self.span(node), "test-value", "`at` must be a date written YYYY-MM-DD, e.g. 2021-01-01")
        return None

    def items(self, node: Node, what: str) -> tuple[Item, ...] | None:
        """A list of text items (a single text counts as a list of one)."""
        nodes = node.value if isinstance(node, SequenceNode) else [node]
        out = []
        for item in nodes:
            text = self.text(item, what)
            if text is None:
                return None
            out.append(Item(text, self.span(item)))
        return tuple(out)

    # -- the file

    def parse(self) -> None:
        try:
            # No anchors or aliases: a test file does not need them, and an alias of an alias of
            # ... (a "YAML bomb") would expand to gigabytes once read as values.
            for event in yaml.parse(self.source.text, Loader=yaml.SafeLoader):
                anchor = getattr(event, "anchor", None)
                if isinstance(event, yaml.AliasEvent) or anchor is not None:
                    mark = event.start_mark
                    span = Span(self.file.display, mark.line + 1, mark.column + 1, mark.line + 1,
                                mark.column + 2)
                    self.error(span, "test-yaml", "YAML anchors and aliases (`&name`, `*name`) are not "
                                                  "allowed in policy test files",
                               "write each case out in full")
                    return
            root = yaml.compose(self.source.text, Loader=yaml.SafeLoader)
        except yaml.MarkedYAMLError as err:
            mark = err.problem_mark or err.context_mark
            span = None
            if mark is not None:
                span = Span(self.file.display, mark.line + 1, mark.column + 1, mark.line + 1, mark.column + 2)
            problem = err.problem or err.context or "invalid YAML"
            self.error(span, "test-yaml", f"invalid YAML: {problem}")
            return
        except yaml.YAMLError as err:
            self.error(None, "test-yaml", f"{self.file.display}: invalid YAML: {err}")
            return
        if root is None:
            self.error(Span(self.file.display, 1, 1, 1, 1), "test-value", "the test file has no cases",
                       "write a list of cases, each with a question such as `may:` and an `expect:`")
            return
        cases_node: Node | None = root
        before = len(self.problems)
        if isinstance(root, MappingNode) and any(
                isinstance(k, ScalarNode) and k.value in QUESTIONS for k, _ in root.value):
            self.error(self.span(root), "test-value", "the cases must be a list: begin each case with `- `")
            return
        if isinstance(root, MappingNode):
            settings = self.mapping(root, FILE_KEYS, "a test file")
            if "at" in settings:
                self.file.at = self.date(settings["at"])
            if "people" in settings:
                people = self.text(settings["people"], "`people`")
                if people is not None:
                    self.file.people = (self.file.path.parent / people).resolve()
                    if not self.file.people.is_file():
                        self.error(self.span(settings["people"]), "test-value",
                                   f"the people file `{people}` does not exist (paths are relative to "
                                   "the test file)")
            cases_node = settings.get("cases")
            if cases_node is None:
                if not any(p.code == "test-key" for p in self.problems):
                    self.error(self.span(root), "test-value", "the test file has no `cases:` list")
                return
        if not isinstance(cases_node, SequenceNode):
            self.error(self.span(cases_node), "test-value",
                       "the cases must be a list: begin each case with `- `")
            return
        if not cases_node.value:
            self.error(self.span(cases_node), "test-value", "the test file has no cases")
        settings_failed = len(self.problems) > before
        for node in cases_node.value:
            case = self.case(node)
            if case is not None and not settings_failed:  # the cases of a file with bad settings do not run
                self.file.cases.append(case)

    def case(self, node: Node) -> Case | None:
        if not isinstance(node, MappingNode):
            self.error(self.span(node), "test-value", "a case must be a set of `key: value` lines, "
                       "e.g. `may: [Regierungsrat, verabschieden, Strategie]` and `expect: allow`")
            return None
        before = len(self.problems)
        span = self.span(node)
        keys = self.mapping(node, CASE_KEYS, "a case")
        asked = [k for k in QUESTIONS if k in keys]
        if not asked and len(self.problems) > before:
            return None  # an unknown key, most likely a misspelt question: reported above
        if len(asked) != 1:
            self.error(span, "test-question",
                       "a case asks exactly one question" + (f"; this one asks {len(asked)}: "
                       + ", ".join(f"`{k}`" for k in asked) if asked else "; this one asks none"),
                       "the questions are " + ", ".join(f"`{k}`" for k in QUESTIONS))
            return None
        question = asked[0]
        args = self.arguments(question, keys[question])
        given = [k for k in EXPECTATIONS if k in keys]
        if not given:
            self.error(span, "test-expect", "the case states no expected answer: add `expect:`"
                       + ("" if question in DECISION_QUESTIONS else " (or `contains:` / `excludes:`)"))
        elif question in DECISION_QUESTIONS and given != ["expect"]:
            key = next(k for k in given if k != "expect")
            self.error(self.span(keys[key]), "test-expect", f"`{question}` answers yes or no: "
                       f"write `expect: allow` or `expect: deny`, not `{key}:`")
        elif "expect" in keys and len(given) > 1:
            self.error(self.span(keys["contains" if "contains" in keys else "excludes"]), "test-expect",
                       "write either `expect:` (the exact answers) or `contains:` / `excludes:`, not both")
        expectations = {k: self.expectation(question, k, keys[k]) for k in given}
        case = Case(self.file, span.line, span, question, args or (), "", **expectations)
        if "name" in keys:
            case.name = self.text(keys["name"], "`name`") or ""
        if "source" in keys:
            case.source = self.text(keys["source"], "`source`")
            case.source_span = self.span(keys["source"])
        if "at" in keys:
            case.at = self.date(keys["at"])
        for key in ("add", "remove"):
            if key in keys:
                setattr(case, key, self.items(keys[key], f"each fact of `{key}`") or ())
        if "because" in keys:
            ids = self.items(keys["because"], "each id of `because`")
            case.because = Item(tuple(i.value for i in ids or ()), self.span(keys["because"]))
            expect = case.expect.value if case.expect else None
            if expect is False or expect == []:
                self.error(self.span(keys["because"]), "test-expect",
                           "`because` names facts and rules of a proof, but this case expects no")
        if not case.name and args:
            case.name = _question_text(question, [a.value for a in args])
        return case if len(self.problems) == before else None

    def arguments(self, question: str, node: Node) -> tuple[Item, ...] | None:
        count = QUESTIONS[question]
        if count == 1:
            text = self.text(node, f"`{question}`")
            return None if text is None else (Item(text, self.span(node)),)
        if not isinstance(node, SequenceNode) or len(node.value) != count:
            example = "[Regierungsrat, verabschieden, Strategie]" if count == 3 else "[approve, Strategie]"
            what = "an actor, an action and an object" if count == 3 else "an action and an object"
            self.error(self.span(node), "test-question", f"`{question}` takes {what} as a list: "
                       f"`{question}: {example}`")
            return None
        return self.items(node, f"each name of `{question}`")

    def expectation(self, question: str, key: str, node: Node) -> Item | None:
        span = self.span(node)
        value = self.value(node)
        if value is _BAD:
            return None
        if key == "expect" and (question in DECISION_QUESTIONS or question == "ask"):
            verdict = _verdict(value)
            if verdict is not None:
                return Item(verdict, span)
            if question != "ask":
                self.error(span, "test-expect", f"`expect` is `{_yaml_text(value)}`: write `allow` or `deny` "
                           "(also yes/no, true/false)")
                return None
        if question == "ask":
            rows = value if isinstance(value, list) else None
            if rows is None or not all(isinstance(r, dict) and all(isinstance(k, str) for k in r)
                                       for r in rows):
                self.error(span, "test-expect", f"`{key}` of `ask` is a list of answers, each a mapping of "
                           "the query's variables to values, e.g. `[{X: dv_dek}]`"
                           + (", or yes / no" if key == "expect" else ""))
                return None
            return Item(tuple(rows), span)
        if question == "what_may":
            pairs = value if isinstance(value, list) else None
            if pairs is None or not all(_is_pair(p) for p in pairs):
                self.error(span, "test-expect", f"`{key}` of `what_may` is a list of [action, object] pairs, "
                           "e.g. `[[prepare, Schwerpunktplanung]]`")
                return None
            return Item(tuple(tuple(p) for p in pairs), span)
        if value is None or _verdict(value) is not None:  # a yes/no where answers belong
            self.error(span, "test-expect", f"`{question}` answers with a list: write the expected answers "
                       f"as a list, `{key}: []` for none")
            return None
        items = self.items(node, f"each answer of `{key}`")
        return None if items is None else Item(tuple(i.value for i in items), span)


_BAD = object()  # a YAML value that could not be constructed (already reported)


def _verdict(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        word = value.strip().lower()
        if word in _YES:
            return True
        if word in _NO:
            return False
    return None


def _yaml_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _question_text(question: str, args: Sequence[str]) -> str:
    if question in ("holds", "ask"):
        return f"{question} {args[0]}"
    return f"{question}({', '.join(args)})"


# -- running cases ---------------------------------------------------------------------------------------


class CaseRunner:
    """Runs test cases against policies: the base policy for a people file (``load(people)``,
    ``people`` None for the default), derived per case for its date and what-if facts.

    Derived policies are cached, so the cases of a file share them.
    """

    def __init__(self, load: Callable[[Path | None], Policy], source_text: str | None = None) -> None:
        self._load = load
        self._source_text = source_text
        self._policies: dict[Hashable, Policy] = {}

    def base(self, people: Path | None = None) -> Policy:
        key = ("base", people)
        if key not in self._policies:
            self._policies[key] = self._load(people)
        return self._policies[key]

    def policy_for(self, case: Case) -> Policy:
        add = [i.value for i in case.add]
        remove = [i.value for i in case.remove]
        key = (case.file.people, tuple(add), tuple(remove), case.date)
        found = self._policies.get(key)
        if found is None:
            policy = self.base(case.file.people)
            if case.add or case.remove:
                try:
                    policy = policy.with_facts(add=add, remove=remove)
                except PolicyError as err:
                    items = (*case.add, *case.remove)
                    culprit = next((i for i in items if i.value in str(err)), items[0])
                    raise _case_error(case, culprit.span, "test-fact", _message(err)) from None
            if case.date is not None:
                try:
                    policy = policy.at(case.date)
                except PolicyError as err:
                    raise _case_error(case, case.span, "test-date", _message(err)) from None
            found = self._policies[key] = policy
        return found

    def run(self, case: Case) -> CaseResult:
        """Run one case; raise :class:`PolicyTestError` when it cannot run (an unknown name, a bad
        fact or query, a `source` that is not in the text)."""
        if case.source is not None and self._source_text is not None and case.source not in self._source_text:
            raise _case_error(case, case.source_span, "test-source",
                              f"`source` is not a verbatim part of {SOURCE_TEXT}",
                              "copy the words exactly from the governance text")
        policy = self.policy_for(case)
        if case.because is not None:
            known = {c.id for c in policy.program.clauses if c.id}
            for rule_id in case.because.value:
                if rule_id not in known:
                    hint = did_you_mean(rule_id, known)
                    raise _case_error(case, case.because.span, "test-name",
                                      f"`because` names `{rule_id}`, which is no fact or rule id of the "
                                      "policy" + (f"; {hint}" if hint else ""))
        return _Run(case, policy).result()


def _message(err: PolicyError) -> str:
    return str(err).splitlines()[0] if str(err) else type(err).__name__


def _case_error(case: Case, span: Span | None, code: str, message: str, help: str | None = None):
    diagnostic = Diagnostic(code, Severity.ERROR, message, span or case.span, help, case.file.source)
    return PolicyTestError([diagnostic])


class _Run:
    """One case against one policy."""

    def __init__(self, case: Case, policy: Policy) -> None:
        self.case = case
        self.policy = policy

    def fail_at(self, span: Span, err: PolicyError, code: str = "test-name") -> PolicyTestError:
        return _case_error(self.case, span, code, _message(err))

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
                          details=details, source=case.source, rule_ids=rule_ids)

    # -- yes/no questions

    def decision(self, decision: Decision):
        want = self.case.expect.value
        word = {True: "allow", False: "deny"}
        return (decision.allowed == want, word[want], word[decision.allowed], decision.explanation,
                decision.question)

    # -- list questions

    def answers(self, answers: Answers):
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

    def rows(self, rows: tuple[dict, ...]):
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
                raise _case_error(self.case, item.span, "test-expect",
                                  f"`{unknown[0]}` is not a variable of the query `{self.case.args[0].value}`"
                                  + (f"; its variables are {', '.join(variables)}" if variables else ""))
            if complete and set(row) != set(variables):
                raise _case_error(self.case, item.span, "test-expect",
                                  f"each answer of `expect` gives every variable of the query: "
                                  f"{', '.join(variables)} (use `contains:` to give only some)")
            resolved = {}
            for var, value in row.items():
                if isinstance(value, str):
                    value = self.resolve(value, None, item.span).id
                elif _not_a_value(value):
                    raise _case_error(self.case, item.span, "test-expect",
                                      f"`{var}: {_yaml_text(value)}` is not a value of the rule language "
                                      "(a name, a whole number or a date)")
                resolved[var] = value
            out.append(resolved)
        return out

    def row_ids(self, answer) -> tuple[str, ...]:
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
        atom = lit.atom if isinstance(lit, Negation) else lit
        terms = atom.args if isinstance(atom, Atom) else (lit.left, lit.right)
        for term in terms:
            if isinstance(term, Variable) and not term.is_anonymous:
                names.setdefault(term.name)
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


def _is_pair(value: Any) -> bool:
    return isinstance(value, list) and len(value) == 2 and all(isinstance(x, str) for x in value)


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


# -- the runner ------------------------------------------------------------------------------------------


def run_tests(directory: Path | None = None, *, people: Path | None = None,
              limits: Limits | None = None) -> TestReport:
    """Run the test files ``tests/*.yaml`` of the policy directory ``directory`` (the bundled
    policy when None) and report on every case and on rule coverage.

    ``people`` is the people file the policy is loaded with (default: ``people.toml`` in the
    directory, if any); a test file's own ``people:`` overrides it for its cases. ``limits``
    bounds loading and evaluating the policy (default: :class:`~kdv_policy.limits.Limits`).

    Raises :class:`PolicyTestError` (a :class:`~kdv_policy.errors.PolicyError`) listing every
    problem with the test files (bad YAML, unknown keys, names the policy does not know), each
    at ``file:line:col``, and the policy's own errors when it does not load. A case whose
    answer differs from the expected one is no error: it is a failure in the report.
    """
    root = Path(directory) if directory is not None else bundled_rules()
    if not root.is_dir():
        raise PolicyTestError(f"policy directory `{display_path(root)}` does not exist")
    files = find_test_files(root)
    if not files:
        raise PolicyTestError(f"no test files in `{display_path(root / TESTS_DIR)}`: write the cases as "
                              f"`{TESTS_DIR}/*.yaml` in the policy directory (see docs/testing.md)")
    problems: list[Diagnostic] = []
    parsed: list[CaseFile] = []
    for path in files:  # every problem of every file at once: the valid cases still run below
        display = display_path(path)
        test_file, found = _parse(_read(path, display), display, path)
        parsed.append(test_file)
        problems += found

    def load(people_file: Path | None) -> Policy:
        return Policy.load(root, people=people_file if people_file is not None else people, limits=limits)

    text_file = root / SOURCE_TEXT
    runner = CaseRunner(load, text_file.read_text(encoding="utf-8") if text_file.is_file() else None)
    base = runner.base()
    results: list[CaseResult] = []
    for test_file in parsed:
        for case in test_file.cases:
            try:
                results.append(runner.run(case))
            except PolicyTestError as err:
                problems += err.diagnostics
    if problems:
        raise PolicyTestError(problems)
    return _report(root, base, [display_path(p) for p in files], results)


def _report(root: Path, policy: Policy, files: list[str], results: list[CaseResult]) -> TestReport:
    clauses = [c for c in policy.program.clauses if c.id]
    ids = list(dict.fromkeys(c.id for c in clauses))
    used = {i for r in results for i in r.rule_ids}
    covered = tuple(i for i in ids if i in used)
    uncovered = tuple(i for i in ids if i not in used)
    where = {}
    for clause in clauses:
        if clause.id in uncovered and clause.span is not None and clause.id not in where:
            where[clause.id] = f"{clause.span.path}:{clause.span.line}"
    return TestReport(directory=display_path(root), version=policy.version, files=tuple(files),
                      results=tuple(results), rules_total=len(ids), covered_rules=covered,
                      uncovered_rules=uncovered, locations=where)
