"""A question on the command line loads what answering it needs, and nothing else.

A shell call, a pre-commit hook or a CI step pays the command line's start every time; the
bundled policy ships as a bundle, so a ``query`` on it never evaluates rules: it must not
import the engine (pyDatalog), pydantic (the data files' validation), the question grammar's
parser generator for the plainest forms, Babel, the service or the database layers, nor
the modules of the other commands. (`python -m benchmarks.coldstart` measures what the start costs.)"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

NOT_NEEDED = ("pydantic", "pyDatalog", "lark", "babel", "tomli", "sqlalchemy", "alembic", "jinja2",
              "starlette", "uvicorn", "cryptography", "yaml", "orjson", "kdv_policy.engine",
              "kdv_policy.data.model", "kdv_policy.data.read", "kdv_policy.authoring", "kdv_policy.service",
              "kdv_policy.report", "kdv_policy.cli.build", "kdv_policy.cli.serve", "kdv_policy.cli.report",
              "kdv_policy.cli.people", "kdv_policy.cli.log", "kdv_policy.cli.trace",
              "kdv_policy.cli.authoring", "kdv_policy.cli.diff")

_RUN = """
import json, runpy, sys
question, heavy = json.loads(sys.argv[1]), json.loads(sys.argv[2])
sys.argv = ["kdv_policy", "query", *question]
try:
    runpy.run_module("kdv_policy", run_name="__main__")
except SystemExit as stop:
    assert not stop.code, stop.code
print(json.dumps(sorted(m for m in sys.modules if m.split(".")[0] in heavy or m in heavy
                        or any(m.startswith(h + ".") for h in heavy))), file=sys.stderr)
"""


def _query(tmp_path, *question: str, not_needed: tuple[str, ...] = NOT_NEEDED) -> tuple[str, list[str]]:
    done = subprocess.run([sys.executable, "-c", _RUN, json.dumps(question), json.dumps(not_needed)],
                          cwd=tmp_path, capture_output=True, text=True, check=True, timeout=120)
    return done.stdout, json.loads(done.stderr.strip().splitlines()[-1])


@pytest.mark.parametrize(("question", "answer"), [
    ("may Regierungsrat verabschieden Strategie", "may Regierungsrat verabschieden Strategie: yes"),
    ("darf Regierungsrat Strategie verabschieden", "darf Regierungsrat Strategie verabschieden: ja"),
    ("why may Planungsausschuss verabschieden Strategie", ": no"),
])
def test_a_question_on_the_bundled_policy_loads_only_what_answering_needs(tmp_path, question, answer):
    out, loaded = _query(tmp_path, question)
    assert answer in out.splitlines()[0]
    assert loaded == []


def test_a_datalog_query_joins_the_stored_rows_with_the_engine_and_loads_nothing_else(tmp_path):
    engine = ("pyDatalog", "kdv_policy.engine")
    out, loaded = _query(tmp_path, "chair(steuerungsausschuss, X)",
                         not_needed=tuple(m for m in NOT_NEEDED if m not in engine))
    assert "X = departementschef_div" in out
    assert loaded == []
