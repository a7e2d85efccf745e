"""The command line: `check` and `query`, their output and exit status."""

import json
import subprocess
import sys

import pytest

from kdv_policy.cli import main

RULES = """
%% Who belongs to which body.
.decl member(body, role)
@id(m1) @source("s") member(steuerungsausschuss, departementschef_div).
@id(m2) @source("s") member(steuerungsausschuss, staatsschreiber).
"""


@pytest.fixture
def rules(tmp_path):
    (tmp_path / "p.dl").write_text(RULES, encoding="utf-8")
    return str(tmp_path)


def test_check_exits_0_on_a_clean_policy(rules, capsys):
    assert main(["check", rules]) == 0
    assert "0 errors, 0 warnings" in capsys.readouterr().out


def test_check_json_is_one_object_per_diagnostic(tmp_path, capsys):
    (tmp_path / "p.dl").write_text(".decl p(x)\np(X).\nq(1).\n", encoding="utf-8")
    assert main(["check", "--format", "json", str(tmp_path)]) == 1
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(r["line"], r["col"], r["severity"], r["code"]) for r in rows] == [
        (2, 1, "warning", "missing-citation"),
        (2, 3, "error", "unsafe-variable"),
        (3, 1, "error", "undeclared-predicate"),
        (3, 1, "warning", "missing-citation"),
    ]


def test_check_of_a_missing_directory_exits_2(tmp_path, capsys):
    assert main(["check", str(tmp_path / "nowhere")]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_query_text_and_json(rules, capsys):
    assert main(["query", "--rules", rules, "member(steuerungsausschuss, X)"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "member(steuerungsausschuss, X): 2 answers",
        "  X = departementschef_div",
        "  X = staatsschreiber",
    ]
    assert main(["query", "--rules", rules, "--format", "json", "member(B, staatsschreiber)",
                 "member(regierungsrat, _)"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert lines == [
        {"query": "member(B, staatsschreiber)", "answers": [{"B": "steuerungsausschuss"}]},
        {"query": "member(regierungsrat, _)", "answers": []},
    ]


def test_bad_query_exits_2_with_a_caret_on_stderr(rules, capsys):
    assert main(["query", "--rules", rules, "member(steuerungsausschuss X)"]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.splitlines()[:3] == [
        "<query>:1:28: error: expected `,` or `)` in the arguments of `member`, found `X` [syntax]",
        "   1 | member(steuerungsausschuss X)",
        "     |                            ^",
    ]


def test_version_and_help():
    out = subprocess.run([sys.executable, "-m", "kdv_policy", "--version"], capture_output=True, text=True)
    assert out.returncode == 0 and out.stdout.startswith("kdv_policy ")
    for command in ("check", "query"):
        out = subprocess.run([sys.executable, "-m", "kdv_policy", command, "--help"],
                             capture_output=True, text=True)
        assert out.returncode == 0 and "examples:" in out.stdout
