"""A pytest plugin for apps that ask the policy: a fixture, assert helpers, YAML policy tests.

Installed with kdv_policy, the plugin is active in every pytest run (entry point ``pytest11``,
name ``kdv_policy``); it costs nothing until a test uses it. It gives

* the session-scoped fixture ``policy``: the bundled governance, or the policy directory the
  ini option ``kdv_policy_rules`` names (relative to the rootdir), with the people file of
  ``kdv_policy_people`` if set;
* :func:`assert_allowed` and :func:`assert_denied`, whose failure message carries the policy's
  explanation (the proof, or why not and who may instead);
* policy test files collected as tests: every file whose name matches a pattern of the ini
  option ``kdv_policy_test_files`` (default ``policy_test*.yaml`` and ``policy_test*.yml``; an
  empty value turns collection off) becomes one pytest item per case, named by the case's
  ``name`` and reported at the case's file and line. The format is the one of
  ``tests/*.yaml`` beside the rules (docs/testing.md).

Without the entry point (a source checkout), load it with ``pytest -p kdv_policy.testing``;
loading it both ways is harmless.

PYTEST_DONT_REWRITE: the helpers write their own assertion messages, and the module is often
imported before pytest could rewrite it.
"""

from __future__ import annotations

import fnmatch
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

import pytest

from kdv_policy.authoring.policytests import SOURCE_TEXT, Case, CaseResult, CaseRunner, load_test_file
from kdv_policy.errors import PolicyError
from kdv_policy.policy.api import Policy
from kdv_policy.policy.results import Decision
from kdv_policy.policy.wording import say

__all__ = [
    "PolicyCaseFailed", "PolicyTestFile", "PolicyTestItem", "assert_allowed", "assert_denied", "policy",
]

RULES_OPTION = "kdv_policy_rules"
PEOPLE_OPTION = "kdv_policy_people"
INTERPRETATIONS_OPTION = "kdv_policy_interpretations"
FILES_OPTION = "kdv_policy_test_files"
DEFAULT_PATTERNS = ("policy_test*.yaml", "policy_test*.yml")
ENTRY_POINT = "kdv_policy"
"""The name of the plugin's ``pytest11`` entry point (pyproject.toml)."""


# -- assert helpers --------------------------------------------------------------------------------


def assert_allowed(policy: Policy, actor: str, action: str, object: str) -> Decision:
    """Assert that ``actor`` may do ``action`` with ``object``; return the decision.

    On failure the message gives the policy's explanation: why not, and who may instead.
    """
    __tracebackhide__ = True
    decision = policy.may(actor, action, object)
    if not decision.allowed:
        raise AssertionError(say(policy.language, "expected {actor} may {action} {object}, but the policy "
                                 "denies it ({question}):", actor=actor, action=action, object=object,
                                 question=decision.question) + "\n" + decision.explanation.render())
    return decision


def assert_denied(policy: Policy, actor: str, action: str, object: str) -> Decision:
    """Assert that ``actor`` may not do ``action`` with ``object``; return the decision.

    On failure the message gives the policy's proof that it may.
    """
    __tracebackhide__ = True
    decision = policy.may(actor, action, object)
    if decision.allowed:
        raise AssertionError(say(policy.language, "expected {actor} may not {action} {object}, but the "
                                 "policy allows it ({question}):", actor=actor, action=action, object=object,
                                 question=decision.question) + "\n" + decision.explanation.render())
    return decision


# -- configuration and the session's policy --------------------------------------------------------


_ARGS: Literal["args"] = "args"
"""The ini type of a list of words. A name, not a literal in the call: pytest also takes a type
form there, and mypy reads a string literal in that place as a (broken) string annotation."""


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini(RULES_OPTION, "kdv_policy: the policy directory the `policy` fixture and policy test "
                  "files use, relative to the rootdir (default: the bundled governance)", default="")
    parser.addini(PEOPLE_OPTION, "kdv_policy: the people file to load the policy with, relative to the "
                  "rootdir (default: people.toml in the policy directory, if any)", default="")
    parser.addini(INTERPRETATIONS_OPTION, "kdv_policy: the ids of the interpretations the policy adopts, "
                  "separated by spaces (default: those of the policy's policy.toml)")
    parser.addini(FILES_OPTION, "kdv_policy: glob patterns of the YAML policy test files to collect "
                  "(default: policy_test*.yaml policy_test*.yml; empty: collect none)",
                  type=_ARGS, default=list(DEFAULT_PATTERNS))


class _Session:
    """The policy of a test session, loaded on first use, and the runner of its YAML cases."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self._policy: Policy | None = None
        self._error: PolicyError | None = None
        self._runner: CaseRunner | None = None

    def _path(self, option: str) -> Path | None:
        value = str(self.config.getini(option) or "").strip()
        return (self.config.rootpath / value).resolve() if value else None

    def _interpretations(self) -> list[str] | None:
        value = str(self.config.getini(INTERPRETATIONS_OPTION) or "").split()
        return value or None

    @property
    def rules(self) -> Path | None:
        return self._path(RULES_OPTION)

    def policy(self) -> Policy:
        if self._error is not None:
            raise self._error
        if self._policy is None:
            try:
                self._policy = Policy.load(self.rules, people=self._path(PEOPLE_OPTION),
                                           interpretations=self._interpretations())
            except PolicyError as err:
                self._error = err
                raise
        return self._policy

    def runner(self) -> CaseRunner:
        if self._runner is None:
            def load(people: Path | None) -> Policy:
                return self.policy() if people is None else Policy.load(
                    self.rules, people=people, interpretations=self._interpretations())

            text = Path(self.policy().directory) / SOURCE_TEXT
            self._runner = CaseRunner(load, text.read_text(encoding="utf-8") if text.is_file() else None)
        return self._runner


_SESSION = pytest.StashKey[_Session]()


def _session(config: pytest.Config) -> _Session:
    if _SESSION not in config.stash:
        config.stash[_SESSION] = _Session(config)
    return config.stash[_SESSION]


@pytest.fixture(scope="session")
def policy(request: pytest.FixtureRequest) -> Policy:
    """The policy under test, loaded once per session: the bundled governance, or the directory of
    the ini option ``kdv_policy_rules`` (with the people file of ``kdv_policy_people``)."""
    try:
        return _session(request.config).policy()
    except PolicyError as err:
        pytest.fail(f"the policy does not load:\n{err.render()}", pytrace=False)


def pytest_plugin_registered(plugin: Any, manager: Any) -> None:
    """Loaded twice, as the entry point ``kdv_policy`` and as the module ``kdv_policy.testing``
    (``-p kdv_policy.testing`` with kdv_policy installed), pluggy would refuse the second
    registration of this module under another name; block the other name instead."""
    if plugin is not sys.modules[__name__]:
        return
    name = manager.get_name(plugin)
    for other in (ENTRY_POINT, __name__):
        if other != name and not manager.has_plugin(other) and not manager.is_blocked(other):
            manager.set_blocked(other)


# -- YAML policy test files ------------------------------------------------------------------------


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    patterns = parent.config.getini(FILES_OPTION)
    if patterns and any(fnmatch.fnmatch(file_path.name, p) for p in patterns):
        return PolicyTestFile.from_parent(parent, path=file_path)
    return None


class PolicyCaseFailed(Exception):
    """A policy test case whose answer is not the expected one."""

    def __init__(self, result: CaseResult) -> None:
        super().__init__(result.headline())
        self.result = result


class PolicyTestFile(pytest.File):
    """A YAML policy test file: one item per case."""

    def collect(self) -> Iterator[PolicyTestItem]:
        test_file = load_test_file(self.path, _relative(self.path, self.config))
        seen: set[str] = set()
        for case in test_file.cases:
            name = case.name if case.name not in seen else f"{case.name} (line {case.line})"
            seen.add(name)
            yield PolicyTestItem.from_parent(self, name=name, case=case)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: str | None = None) -> Any:
        """The error of a test file that cannot be read, as the policy's diagnostics; ``style``
        (pytest's traceback style, part of the signature of ``Node.repr_failure``) does not apply."""
        if isinstance(excinfo.value, PolicyError):
            return excinfo.value.render()
        return super().repr_failure(excinfo)


class PolicyTestItem(pytest.Item):
    """One case of a policy test file."""

    def __init__(self, *, case: Case, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.case = case

    def runtest(self) -> None:
        result = _session(self.config).runner().run(self.case)
        if not result.passed:
            raise PolicyCaseFailed(result)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> Any:
        if isinstance(excinfo.value, PolicyCaseFailed):
            return excinfo.value.result.render(verbose=True)
        if isinstance(excinfo.value, PolicyError):
            return excinfo.value.render()
        return super().repr_failure(excinfo)

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, self.case.line - 1, f"{self.case.location}: {self.name}"


def _relative(path: Path, config: pytest.Config) -> str:
    try:
        return path.resolve().relative_to(config.rootpath.resolve()).as_posix()
    except ValueError:
        return str(path)
