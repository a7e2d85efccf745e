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

from kdv_policy.authoring.policytests.model import (
    CASE_KEYS,
    DECISION_QUESTIONS,
    EXPECTATIONS,
    FILE_KEYS,
    LIST_QUESTIONS,
    QUESTIONS,
    TEST_SUFFIXES,
    TESTS_DIR,
    Case,
    CaseFile,
    Item,
    PolicyTestError,
)
from kdv_policy.authoring.policytests.reader import find_test_files, load_test_file, parse_test_file
from kdv_policy.authoring.policytests.report import CaseResult, TestReport
from kdv_policy.authoring.policytests.runner import CaseRunner, run_tests
from kdv_policy.language.quotes import SOURCE_TEXT

__all__ = [
    "CASE_KEYS", "DECISION_QUESTIONS", "EXPECTATIONS", "FILE_KEYS", "LIST_QUESTIONS", "QUESTIONS",
    "SOURCE_TEXT", "TESTS_DIR", "TEST_SUFFIXES", "Case", "CaseFile", "CaseResult", "CaseRunner", "Item",
    "PolicyTestError", "TestReport", "find_test_files", "load_test_file", "parse_test_file", "run_tests",
]
