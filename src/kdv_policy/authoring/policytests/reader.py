"""Reading policy test files: YAML → cases, every problem a diagnostic at ``file:line:col``.

The files are read with PyYAML's safe loader (``yaml.SafeLoader``: plain data, never Python
objects), node by node, without anchors or aliases. Names are not resolved here (that needs
the policy): :class:`~kdv_policy.authoring.policytests.runner.CaseRunner` does it when a case runs.
"""

from __future__ import annotations

import datetime
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml
from yaml.constructor import ConstructorError, SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from kdv_policy.authoring.policytests.model import (
    CASE_KEYS,
    DECISION_QUESTIONS,
    EXPECTATIONS,
    FILE_KEYS,
    QUESTIONS,
    TEST_SUFFIXES,
    TESTS_DIR,
    Case,
    CaseFile,
    Item,
    PolicyTestError,
)
from kdv_policy.errors import Diagnostic, PolicyLoadError, Severity
from kdv_policy.files import display_path, raise_limit_help, read_text, regular_file_status
from kdv_policy.language.source import Source, Span
from kdv_policy.limits import DEFAULT_LIMITS, Limits
from kdv_policy.policy.loader import bundled_rules
from kdv_policy.suggest import did_you_mean

_YES = {"allow", "allowed", "yes", "true"}
_NO = {"deny", "denied", "no", "false"}
UNDETERMINED = "undetermined"  # a yes/no answer the text does not decide for the case's date


def find_test_files(directory: str | os.PathLike | None = None) -> list[Path]:
    """The test files of a policy directory: ``tests/*.yaml`` and ``tests/*.yml``, sorted."""
    root = Path(directory) if directory is not None else bundled_rules()
    folder = root / TESTS_DIR
    if not folder.is_dir():
        return []
    # anything but a folder: a FIFO or a device named like a test file is refused when it is read
    return sorted(p for p in folder.iterdir()
                  if p.suffix in TEST_SUFFIXES and not p.is_dir() and not p.name.startswith("."))


def load_test_file(path: str | os.PathLike, display: str | None = None, *,
                   limits: Limits = DEFAULT_LIMITS) -> CaseFile:
    """Read and validate one test file; raise :class:`PolicyTestError` with every problem found.

    Names are not resolved here (that needs the policy): :class:`CaseRunner` does it when the
    case runs.
    """
    path = Path(path)
    display = display or display_path(path)
    return parse_test_file(read_test_text(path, display, limits), display, path, limits=limits)


def read_test_text(path: Path, display: str, limits: Limits = DEFAULT_LIMITS) -> str:
    """The text of a test file: a regular file of at most ``limits.max_test_file_bytes``."""
    try:
        return read_text(path, display, limit=limits.max_test_file_bytes, limit_name="max_test_file_bytes",
                         what="test file", advice="split its cases into several test files")
    except PolicyLoadError as err:
        raise PolicyTestError(list(err.diagnostics) or str(err)) from None


def parse_test_file(text: str, display: str, path: Path | None = None, *,
                    limits: Limits = DEFAULT_LIMITS) -> CaseFile:
    """Parse the text of a test file (see :func:`load_test_file`)."""
    test_file, problems = parse_with_problems(text, display, path, limits)
    if problems:
        raise PolicyTestError(problems)
    return test_file


def parse_with_problems(text: str, display: str, path: Path | None = None,
                        limits: Limits = DEFAULT_LIMITS) -> tuple[CaseFile, list[Diagnostic]]:
    """The file with its valid cases, and the problems of the others."""
    problems: list[Diagnostic] = []
    test_file = CaseFile(path or Path(display), display, Source(display, text))
    _FileParser(test_file, problems, limits.max_nesting).parse()
    return test_file, problems


def policy_directory_of(test_file: Path) -> Path:
    """The policy directory a test file belongs to: the folder above ``tests/``, else its own folder.
    The files a test file names (its ``people:``) must lie inside it."""
    folder = test_file.absolute().parent
    return folder.parent if folder.name == TESTS_DIR else folder


class _FileParser:
    def __init__(self, test_file: CaseFile, problems: list[Diagnostic], max_nesting: int) -> None:
        self.file = test_file
        self.source = test_file.source
        self.problems = problems
        self.max_nesting = max_nesting

    # -- helpers

    def mark_span(self, mark: Any) -> Span:
        return Span(self.file.display, mark.line + 1, mark.column + 1, mark.line + 1, mark.column + 2)

    def too_deep(self, span: Span | None) -> None:
        self.error(span, "test-nesting", f"the test file nests lists and mappings more than "
                   f"{self.max_nesting} levels deep (`max_nesting`)",
                   "a test file needs only a few levels; " + raise_limit_help("max_nesting")
                   + " if yours needs more")

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
        except RecursionError:  # not reached within max_nesting; never a traceback
            self.too_deep(self.span(node))
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
        shown = "nothing" if value is None else f"`{yaml_text(value)}`"
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
            # Nesting is bounded before the (recursive) composer builds the node tree.
            depth = 0
            for event in yaml.parse(self.source.text, Loader=yaml.SafeLoader):
                if isinstance(event, yaml.CollectionStartEvent):
                    depth += 1
                    if depth > self.max_nesting:
                        self.too_deep(self.mark_span(event.start_mark))
                        return
                elif isinstance(event, yaml.CollectionEndEvent):
                    depth -= 1
                anchor = getattr(event, "anchor", None)
                if isinstance(event, yaml.AliasEvent) or anchor is not None:
                    self.error(self.mark_span(event.start_mark), "test-yaml",
                               "YAML anchors and aliases (`&name`, `*name`) are not allowed in policy "
                               "test files", "write each case out in full")
                    return
            root = yaml.compose(self.source.text, Loader=yaml.SafeLoader)
        except RecursionError:  # not reached within max_nesting; never a traceback
            self.too_deep(None)
            return
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
        cases_node: Node = root
        before = len(self.problems)
        if isinstance(root, MappingNode) and any(
                isinstance(k, ScalarNode) and k.value in QUESTIONS for k, _ in root.value):
            self.error(self.span(root), "test-value", "the cases must be a list: begin each case with `- `")
            return
        if isinstance(root, MappingNode):
            settings = self.mapping(root, FILE_KEYS, "a test file")
            if "at" in settings:
                self.file.at = self.date(settings["at"])
            if "interpretations" in settings:
                self.file.interpretations = self.interpretation_ids(settings["interpretations"])
            if "people" in settings:
                people = self.text(settings["people"], "`people`")
                if people is not None:
                    self.file.people = self.people_file(people, self.span(settings["people"]))
            listed = settings.get("cases")
            if listed is None:
                if not any(p.code == "test-key" for p in self.problems):
                    self.error(self.span(root), "test-value", "the test file has no `cases:` list")
                return
            cases_node = listed
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

    def people_file(self, people: str, span: Span) -> Path | None:
        """The file a test file's ``people:`` names: relative to the test file, inside the
        policy directory (symlinks resolved), a regular file; else None and an error."""
        root = policy_directory_of(self.file.path).resolve()
        help = ("a test file names a people file of its own policy directory, by a path relative to "
                "the test file; give any other people file with `--people FILE` when running the tests")
        if Path(people).is_absolute():
            self.error(span, "test-value", f"`people` must be a path relative to the test file, not the "
                       f"absolute path `{people}`", help)
            return None
        target = (self.file.path.absolute().parent / people).resolve()
        if not target.is_relative_to(root):
            self.error(span, "test-value", f"`people` names `{people}`, which is outside the policy "
                       f"directory `{display_path(root)}`", help)
            return None
        try:
            regular_file_status(target, people, "the people file")
        except PolicyLoadError as err:
            self.error(span, "test-value", err.diagnostics[0].message + " (paths are relative to the "
                       "test file)")
            return None
        return target

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
        case = Case(self.file, span.line, span, question, args or (), "", expect=expectations.get("expect"),
                    contains=expectations.get("contains"), excludes=expectations.get("excludes"))
        if "name" in keys:
            case.name = self.text(keys["name"], "`name`") or ""
        if "source" in keys:
            case.source = self.text(keys["source"], "`source`")
            case.source_span = self.span(keys["source"])
        if "at" in keys:
            case.at = self.date(keys["at"])
        if "interpretations" in keys:
            case.interpretations = self.interpretation_ids(keys["interpretations"])
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

    def interpretation_ids(self, node: Node) -> Item:
        """``interpretations: [id, ...]``: the interpretations adopted (``[]``: the text alone)."""
        ids = self.items(node, "each id of `interpretations`")
        return Item(tuple(i.value for i in ids or ()), self.span(node))

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
            if question != "ask" and isinstance(value, str) and value.strip().lower() == UNDETERMINED:
                return Item(UNDETERMINED, span)
            if question != "ask":
                self.error(span, "test-expect", f"`expect` is `{yaml_text(value)}`: write `allow` or `deny` "
                           "(also yes/no, true/false), or `undetermined`")
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


def yaml_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _question_text(question: str, args: Sequence[str]) -> str:
    if question in ("holds", "ask"):
        return f"{question} {args[0]}"
    return f"{question}({', '.join(args)})"


def _is_pair(value: Any) -> bool:
    return isinstance(value, list) and len(value) == 2 and all(isinstance(x, str) for x in value)
