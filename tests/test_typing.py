"""The package is type-clean, and its types reach an app that uses it.

mypy checks the package itself with the configuration of pyproject.toml (``[tool.mypy]``),
and an app's code that uses the API the way docs/api.md shows: through the ``py.typed``
marker, the app's checker reads the package's annotations (without it, mypy refuses the
import as "missing library stubs or py.typed marker"), so a call with wrong arguments or a
result used as the wrong type is an error in the app. Each run writes its cache under the
test's temporary directory, never into the checkout.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import kdv_policy

ROOT = Path(__file__).resolve().parents[1]

# An app's module, written as docs/api.md shows the API. ``assert_type`` fails when the type
# is not exactly the one named, so an API that answered `Any` would not pass.
APP = '''\
from __future__ import annotations

import datetime
from typing import assert_type

from kdv_policy import (
    Answers,
    ArgumentError,
    CacheInfo,
    Decision,
    Entity,
    Explanation,
    Limits,
    Permission,
    Policy,
    PolicyError,
    ProofNode,
    QueryError,
    QueryLimits,
    UnknownNameError,
)

Value = str | int | datetime.date


def decide(policy: Policy) -> str:
    d = policy.may("Regierungsrat", "verabschieden", "Strategie")
    assert_type(d, Decision)
    assert_type(d.allowed, bool)
    assert_type(bool(d), bool)
    assert_type(d.actor, Entity | None)
    assert_type(d.subject, Entity | None)
    assert_type(d.question, str)
    assert_type(d.version, str)
    explanation = d.explanation
    assert_type(explanation, Explanation)
    assert_type(explanation.summary, str)
    assert_type(explanation.proofs, tuple[ProofNode, ...])
    assert_type(explanation.chain, tuple[Entity, ...])
    assert_type(explanation.rule_ids, tuple[str, ...])
    assert_type(explanation.render(), str)
    if d.actor is not None:
        return d.actor.name + ": " + explanation.render()
    return explanation.summary


def lists(policy: Policy) -> list[str]:
    who = policy.who_may("approve", "Schwerpunktplanung")
    assert_type(who, Answers[Entity])
    assert_type(who.ids, tuple[str, ...])
    assert_type(who.first, Entity | None)
    assert_type(len(who), int)
    assert_type(who[0], Entity)
    assert_type(who[:2], tuple[Entity, ...])
    names = [e.name for e in policy.members("Steuerungsausschuss")]
    assert_type(names, list[str])
    chair = policy.chair("Steuerungsausschuss").first
    assert_type(chair, Entity | None)
    assert_type("Staatsschreiber" in policy.members("Steuerungsausschuss"), bool)
    for permission in policy.what_may("Planungsausschuss"):
        assert_type(permission, Permission)
        assert_type(permission.action, Entity)
    assert_type(policy.responsible_for("DEK"), Answers[Entity])
    assert_type(policy.is_consumer("Gemeinde Frauenfeld"), Decision)
    return names


def what_if(policy: Policy) -> Policy:
    dated = policy.at(datetime.date(2021, 1, 1))
    assert_type(dated, Policy)
    assert_type(policy.at("2021-01-01"), Policy)
    assert_type(policy.as_of, datetime.date | None)
    joined = dated.with_facts(add=["member(steuerungsausschuss, dv_dek)"],
                              remove=[("member", ("steuerungsausschuss", "dv_dek"))])
    assert_type(joined.holds(("member", ("steuerungsausschuss", "dv_dek"))), Decision)
    assert_type(joined.explain("member(steuerungsausschuss, dv_dek)"), Explanation)
    rows = joined.ask("member(steuerungsausschuss, X)")
    assert_type(rows, tuple[dict[str, Value], ...])
    info = joined.cache_info()
    assert_type(info, CacheInfo)
    assert_type(info.hits + info.misses + info.size + info.maxsize, int)
    assert_type(joined.version, str)
    return joined


def load(directory: str | None) -> Policy | None:
    limits = Limits(max_items=10_000, query=QueryLimits(max_answers=100))
    assert_type(limits.replace(max_nesting=16), Limits)
    try:
        policy = Policy.load(directory, at="2021-01-01", limits=limits).materialise()
        policy.may("Regierungsrath", "approve", "Strategie")
    except UnknownNameError as err:
        assert_type(str(err), str)
        return None
    except (ArgumentError, QueryError) as err:
        assert_type(err, ArgumentError | QueryError)
        return None
    except PolicyError as err:
        message: str = str(err)
        print(message)
        return None
    return policy
'''

# The same app with two mistakes an app's checker must report.
APP_WITH_ERRORS = APP + '''

def wrong(policy: Policy) -> None:
    policy.may(1, 2)
    flag: str = policy.may("Regierungsrat", "approve", "Strategie").allowed
'''


def _mypy(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "mypy", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=600)


def test_the_package_passes_mypy_with_the_projects_configuration(tmp_path):
    """`mypy` as pyproject.toml configures it (the checkout's src/kdv_policy): no errors."""
    done = _mypy("--config-file", str(ROOT / "pyproject.toml"), "--cache-dir", str(tmp_path / "cache"),
                 cwd=ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
    assert re.search(r"Success: no issues found in \d+ source files", done.stdout), done.stdout


def test_an_apps_checker_reads_the_packages_types(tmp_path):
    """An app's module using the documented API passes `mypy --strict` with exact types; the same
    module with a wrong call and a wrong assignment fails, naming both. The package mypy reads
    is the one these tests import (the installed one), found as an app finds it."""
    (tmp_path / "app.py").write_text(APP, encoding="utf-8")
    (tmp_path / "app_with_errors.py").write_text(APP_WITH_ERRORS, encoding="utf-8")
    # an empty configuration: nothing of the checkout's (its src/ or its [tool.mypy]) applies
    (tmp_path / "mypy.ini").write_text("[mypy]\n", encoding="utf-8")
    options = ("--config-file", str(tmp_path / "mypy.ini"), "--cache-dir", str(tmp_path / "cache"),
               "--strict", "--show-error-codes", "--no-error-summary")

    good = _mypy(*options, "--verbose", "app.py", cwd=tmp_path)
    assert good.returncode == 0, good.stdout + good.stderr[-4000:]
    assert good.stdout == "", good.stdout
    parsed = re.search(r"Parsing (.+) \(kdv_policy\)$", good.stderr, re.MULTILINE)
    assert parsed is not None, good.stderr[-4000:]
    assert Path(parsed.group(1)).resolve() == Path(kdv_policy.__file__).resolve()

    bad = _mypy(*options, "app_with_errors.py", cwd=tmp_path)
    assert bad.returncode == 1, bad.stdout + bad.stderr
    lines = APP_WITH_ERRORS.splitlines()
    call = lines.index("    policy.may(1, 2)") + 1
    assignment = next(i for i, line in enumerate(lines, 1) if line.startswith("    flag: str = "))
    errors = [line for line in bad.stdout.splitlines() if ": error: " in line]
    assert any(f"app_with_errors.py:{call}:" in e and "[call-arg]" in e for e in errors), bad.stdout
    assert any(f"app_with_errors.py:{call}:" in e and "[arg-type]" in e for e in errors), bad.stdout
    assert any(f"app_with_errors.py:{assignment}:" in e and '"bool"' in e and "[assignment]" in e
               for e in errors), bad.stdout
    assert all(e.startswith("app_with_errors.py:") and int(e.split(":")[1]) >= call for e in errors), \
        bad.stdout

