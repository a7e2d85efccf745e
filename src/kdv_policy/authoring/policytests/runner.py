"""Running policy tests: each case against the policy it asks (per people file, date and
what-if facts), and :func:`run_tests` for a whole policy directory."""

from __future__ import annotations

import os
from collections.abc import Callable, Hashable, Iterable
from pathlib import Path

from kdv_policy.authoring.policytests.check import CaseCheck
from kdv_policy.authoring.policytests.model import (
    TESTS_DIR,
    Case,
    CaseFile,
    PolicyTestError,
    case_error,
    first_line,
)
from kdv_policy.authoring.policytests.reader import find_test_files, parse_with_problems, read_test_text
from kdv_policy.authoring.policytests.report import CaseResult, TestReport, build_report
from kdv_policy.errors import Diagnostic, PolicyError, PolicyLoadError
from kdv_policy.files import check_inside, display_path, read_text
from kdv_policy.language.quotes import SOURCE_TEXT
from kdv_policy.limits import Limits, as_limits
from kdv_policy.policy.api import Policy
from kdv_policy.policy.loader import bundled_rules
from kdv_policy.policy.wording import check_language
from kdv_policy.suggest import did_you_mean


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
        adopted = case.adopted
        key = (case.file.people, tuple(add), tuple(remove), case.date, adopted.value if adopted else None)
        found = self._policies.get(key)
        if found is None:
            policy = self.base(case.file.people)
            if adopted is not None:
                try:
                    policy = policy.with_interpretations(adopted.value)
                except PolicyError as err:
                    raise case_error(case, adopted.span, "test-name", first_line(err)) from None
            if case.add or case.remove:
                try:
                    policy = policy.with_facts(add=add, remove=remove)
                except PolicyError as err:
                    items = (*case.add, *case.remove)
                    culprit = next((i for i in items if i.value in str(err)), items[0])
                    raise case_error(case, culprit.span, "test-fact", first_line(err)) from None
            if case.date is not None:
                try:
                    policy = policy.at(case.date)
                except PolicyError as err:
                    raise case_error(case, case.span, "test-date", first_line(err)) from None
            found = self._policies[key] = policy
        return found

    def run(self, case: Case) -> CaseResult:
        """Run one case; raise :class:`PolicyTestError` when it cannot run (an unknown name, a bad
        fact or query, a `source` that is not in the text)."""
        if case.source is not None and self._source_text is not None and case.source not in self._source_text:
            raise case_error(case, case.source_span, "test-source",
                              f"`source` is not a verbatim part of {SOURCE_TEXT}",
                              "copy the words exactly from the governance text")
        policy = self.policy_for(case)
        if case.because is not None:
            known = {c.id for c in policy.program.clauses if c.id}
            for rule_id in case.because.value:
                if rule_id not in known:
                    hint = did_you_mean(rule_id, known)
                    raise case_error(case, case.because.span, "test-name",
                                      f"`because` names `{rule_id}`, which is no fact or rule id of the "
                                      "policy" + (f"; {hint}" if hint else ""))
        return CaseCheck(case, policy).result()



def run_tests(directory: Path | None = None, *, people: Path | None = None,
              limits: Limits | None = None, interpretations: Iterable[str] | None = None,
              lang: str | None = None) -> TestReport:
    """Run the test files ``tests/*.yaml`` of the policy directory ``directory`` (the bundled
    policy when None) and report on every case and on rule coverage.

    ``interpretations`` are the interpretations the policy adopts (None: those of its
    ``policy.toml``); a case's or test file's own ``interpretations:`` overrides them.
    ``people`` is the people file the policy is loaded with (default: ``people.toml`` in the
    directory, if any); a test file's own ``people:`` overrides it for its cases.

    Raises :class:`PolicyTestError` (a :class:`~kdv_policy.errors.PolicyError`) listing every
    problem with the test files (bad YAML, unknown keys, names the policy does not know), each
    at ``file:line:col``, and the policy's own errors when it does not load. A case whose
    answer differs from the expected one is no error: it is a failure in the report.
    ``limits`` bounds the test files and the policy (:class:`~kdv_policy.limits.Limits`).
    ``lang`` (``"de"`` or ``"en"``) is the language of the report's words and explanations;
    None takes the policy's (``[policy] language`` of ``policy.toml``, English without one).
    """
    limits = as_limits(limits)
    lang = None if lang is None else check_language(lang)
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
        _inside(path, root, display, "test file")
        test_file, found = parse_with_problems(read_test_text(path, display, limits), display, path, limits)
        parsed.append(test_file)
        problems += found

    def load(people_file: Path | None) -> Policy:
        return Policy.load(root, people=people_file if people_file is not None else people, limits=limits,
                           interpretations=interpretations, lang=lang)

    text_file = root / SOURCE_TEXT
    text = None
    if os.path.lexists(text_file):
        _inside(text_file, root, display_path(text_file), "governance text")
        try:
            text = read_text(text_file, display_path(text_file), limit=limits.max_data_file_bytes,
                             limit_name="max_data_file_bytes", what="governance text", advice=None)
        except PolicyLoadError as err:
            raise PolicyTestError(list(err.diagnostics) or str(err)) from None
    runner = CaseRunner(load, text)
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
    return build_report(root, base, [display_path(p) for p in files], results)


def _inside(path: Path, root: Path, display: str, what: str) -> None:
    try:
        check_inside(path, root, display, what)
    except PolicyLoadError as err:
        raise PolicyTestError(list(err.diagnostics)) from None
