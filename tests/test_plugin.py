"""The pytest plugin (kdv_policy.testing): the example app's tests pass with it, failures show
the policy's explanation, YAML policy test files become tests, and nothing else is collected.

The plugin is registered by the entry point ``pytest11`` once kdv_policy is installed; from a
source checkout it is not, so these runs load it explicitly with ``-p kdv_policy.testing``,
which must work both ways (installed, the module would otherwise be registered twice).
"""

from __future__ import annotations

import os
import shutil
import textwrap
from pathlib import Path

import pytest

import kdv_policy
from kdv_policy.testing import DEFAULT_PATTERNS, ENTRY_POINT

pytest_plugins = ["pytester"]

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE_APP = ROOT / "examples" / "app"
PACKAGE = Path(kdv_policy.__file__).resolve().parent
INSTALLED = "site-packages" in PACKAGE.parts or "dist-packages" in PACKAGE.parts
PLUGIN = ("-p", "kdv_policy.testing")
QUIET = ("-p", "no:cacheprovider", "-p", "no:hypothesispytest")  # hypothesis: re-imported per run, slow

BOARD = ('.decl may(actor, action, object)\n'
         '@id(board_signs) @source("The board signs contracts.")\nmay(board, sign, contract).\n')


def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest(*PLUGIN, *QUIET, *args)


def test_the_example_app_passes_its_tests(pytester):
    shutil.copytree(EXAMPLE_APP, pytester.path / "app", ignore=shutil.ignore_patterns("__pycache__"))
    result = run(pytester, "app", "-v")
    result.assert_outcomes(passed=9)
    result.stdout.fnmatch_lines([
        "*tests/policy_tests.yaml::Der Steuerungsausschuss beantragt das Budget des Impulsprogramms PASSED*",
        "*tests/test_approvals.py::test_the_regierungsrat_releases_the_budget PASSED*",
    ])


def test_a_failing_assertion_shows_the_explanation(pytester):
    pytester.makepyfile(test_app="""
        from kdv_policy.testing import assert_allowed, assert_denied

        def test_allowed(policy):
            assert_allowed(policy, "Planungsausschuss", "abnehmen", "Schwerpunktplanung")

        def test_denied(policy):
            assert_denied(policy, "Steuerungsausschuss", "abnehmen", "Schwerpunktplanung")

        def test_returns_the_decision(policy):
            assert assert_allowed(policy, "RR", "verabschieden", "Strategie").actor.id == "regierungsrat"
            assert not assert_denied(policy, "PA", "verabschieden", "Strategie").allowed
    """)
    result = run(pytester)
    result.assert_outcomes(passed=1, failed=2)
    # the bundled policy speaks German (its policy.toml), and so do the messages
    result.stdout.fnmatch_lines([
        "E *AssertionError: erwartet: Planungsausschuss darf Schwerpunktplanung abnehmen; die Policy "
        "verweigert es (may(planungsausschuss, approve, schwerpunktplanung)):",
        "E *Der Planungsausschuss darf die Schwerpunktplanung nicht genehmigen. Der Planungsausschuss "
        "darf die Schwerpunktplanung vorbereiten. Wer die Schwerpunktplanung genehmigen darf: "
        "Steuerungsausschuss.",
        "E *scheitert an: kein Fakt competence(planungsausschuss, approve, schwerpunktplanung)",
    ])
    result.stdout.fnmatch_lines([
        "E *AssertionError: erwartet: Steuerungsausschuss darf Schwerpunktplanung nicht abnehmen; die Policy "
        "erlaubt es (may(steuerungsausschuss, approve, schwerpunktplanung)):",
    ])
    proof = "competence(steuerungsausschuss, approve, schwerpunktplanung)   [sta_nimmt_schwerpunktplanung_ab]"
    assert proof in result.stdout.str()
    assert "def assert_allowed" not in result.stdout.str()  # the helper's own frame is hidden


def test_yaml_cases_are_items_named_by_the_case_and_fail_at_their_line(pytester):
    pytester.makefile(".yaml", policy_test_governance=textwrap.dedent("""\
        - name: Der Regierungsrat verabschiedet die Strategie
          may: [Regierungsrat, verabschieden, Strategie]
          expect: allow
        - name: Der Planungsausschuss nimmt die Schwerpunktplanung ab
          may: [Planungsausschuss, abnehmen, Schwerpunktplanung]
          expect: allow
        - name: Der Planungsausschuss nimmt die Schwerpunktplanung ab
          chair: Steuerungsausschuss
          expect: [Departementschef DIV]
        """))
    result = run(pytester, "-v")
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines([
        "policy_test_governance.yaml::Der Regierungsrat verabschiedet die Strategie PASSED*",
        "policy_test_governance.yaml::Der Planungsausschuss nimmt die Schwerpunktplanung ab FAILED*",
        "policy_test_governance.yaml::Der Planungsausschuss nimmt die Schwerpunktplanung ab (line 7) PASSED*",
    ])
    result.stdout.fnmatch_lines([
        "policy_test_governance.yaml:4: Der Planungsausschuss nimmt die Schwerpunktplanung ab: "
        "erwartet erlaubt, erhalten verweigert",
        "    Der Planungsausschuss darf die Schwerpunktplanung nicht genehmigen.*",
        "*scheitert an: kein Fakt competence(planungsausschuss, approve, schwerpunktplanung)",
    ])


def test_bad_test_files_are_errors_at_file_line_col(pytester):
    pytester.makefile(".yaml", policy_test_typo=textwrap.dedent("""\
        - may: [Regierungsrath, verabschieden, Strategie]
          expect: allow
        """))
    pytester.makefile(".yaml", policy_test_bad=textwrap.dedent("""\
        - mayy: [Regierungsrat, verabschieden, Strategie]
          expect: allow
        """))
    result = run(pytester, "--continue-on-collection-errors")
    result.assert_outcomes(failed=1, errors=1)
    result.stdout.fnmatch_lines([
        "*ERROR collecting policy_test_bad.yaml*",
        "policy_test_bad.yaml:1:3: error: unknown key `mayy` in a case; did you mean `may`? [test-key]",
    ])
    result.stdout.fnmatch_lines([
        "policy_test_typo.yaml:1:9: error: unknown actor `Regierungsrath`; did you mean `Regierungsrat` "
        "(regierungsrat)? [test-name]",
        "   1 | - may: [Regierungsrath, verabschieden, Strategie]",
    ])


def test_only_policy_test_files_are_collected(pytester):
    case = "- chair: Steuerungsausschuss\n  expect: [Departementschef DIV]\n"
    for name in ("policy_test_a.yaml", "policy_tests.yml", "docker-compose.yaml", "config.yaml",
                 "tests.yaml", "my_policy_test.yaml"):
        (pytester.path / name).write_text(case, encoding="utf-8")
    result = run(pytester, "-v")
    result.assert_outcomes(passed=2)
    assert "policy_test_a.yaml::chair(Steuerungsausschuss) PASSED" in result.stdout.str()
    assert "policy_tests.yml::chair(Steuerungsausschuss) PASSED" in result.stdout.str()
    assert DEFAULT_PATTERNS == ("policy_test*.yaml", "policy_test*.yml")
    pytester.makeini("[pytest]\nkdv_policy_test_files =\n")
    assert run(pytester).ret == pytest.ExitCode.NO_TESTS_COLLECTED
    pytester.makeini("[pytest]\nkdv_policy_test_files = *.policy.yaml config.yaml\n")
    run(pytester).assert_outcomes(passed=1)


def test_ini_options_name_the_policy_and_the_people_file(pytester):
    rules = pytester.path / "policy"
    rules.mkdir()
    (rules / "board.dl").write_text(BOARD, encoding="utf-8")
    pytester.makeini("[pytest]\nkdv_policy_rules = policy\n")
    pytester.makepyfile(test_board="""
        from kdv_policy.testing import assert_allowed

        def test_board(policy):
            assert policy.directory.name == "policy"
            assert_allowed(policy, "board", "sign", "contract")
    """)
    pytester.makefile(".yaml", policy_test_board="- may: [board, sign, contract]\n  expect: allow\n")
    run(pytester).assert_outcomes(passed=2)

    shutil.copy(ROOT / "examples" / "people.toml", pytester.path / "staff.toml")
    pytester.makeini("[pytest]\nkdv_policy_people = staff.toml\n"
                     "kdv_policy_interpretations = vorsitz_handelt_allein\n")
    pytester.makepyfile(test_board="""
        def test_people(policy):
            assert policy.may("Erika Muster", "definieren", "Strategie")
    """)
    pytester.makefile(".yaml", policy_test_board="- may: [E. Muster, definieren, Strategie]\n"
                                                  "  expect: allow\n")
    run(pytester).assert_outcomes(passed=2)


def test_a_policy_that_does_not_load_fails_the_tests_that_use_it(pytester):
    pytester.makeini("[pytest]\nkdv_policy_rules = nowhere\n")
    pytester.makepyfile(test_x="def test_x(policy):\n    pass\n\ndef test_y():\n    pass\n")
    result = run(pytester)
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(["*the policy does not load:*", "*nowhere*does not exist*"])


# -- loading the plugin twice ----------------------------------------------------------------------


def fake_distribution(tmp_path: Path) -> Path:
    """A directory holding a distribution whose entry point registers the plugin, as an
    installed kdv_policy does (pyproject.toml [project.entry-points.pytest11])."""
    site = tmp_path / "site"
    info = site / "kdv_policy_entry_point-0.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: kdv_policy_entry_point\nVersion: 0.0\n")
    (info / "entry_points.txt").write_text(f"[pytest11]\n{ENTRY_POINT} = kdv_policy.testing\n")
    return site


@pytest.mark.parametrize("how", ["entry point only", "entry point and -p", "entry point and pytest_plugins"])
def test_the_entry_point_and_an_explicit_load_go_together(pytester, monkeypatch, tmp_path, how):
    paths = [str(fake_distribution(tmp_path))]
    if not INSTALLED:
        paths.append(str(PACKAGE.parent))
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(paths))
    pytester.makepyfile(test_x="def test_x(policy):\n"
                               "    assert policy.chair('StA').ids == ('departementschef_div',)\n")
    args = list(QUIET)
    if how == "entry point and -p":
        args += PLUGIN
    elif how == "entry point and pytest_plugins":
        pytester.makeconftest("pytest_plugins = ['kdv_policy.testing']\n")
    result = pytester.runpytest_subprocess(*args)
    assert "already registered" not in result.stderr.str() + result.stdout.str()
    result.assert_outcomes(passed=1)
