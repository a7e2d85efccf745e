"""Golden tests: what `python -m kdv_policy check FILE` prints for each kind of problem.

Each ``tests/golden/NAME.dl`` has a ``NAME.out`` with the exact output (file,
line, column, message, snippet, help) and exit status. Regenerate after an
intended change with ``pytest tests/test_golden_errors.py --update-golden``
and review the diff.
"""

from pathlib import Path

import pytest

from kdv_policy.cli.main import main

GOLDEN = Path(__file__).parent / "golden"
CASES = sorted(p.stem for p in GOLDEN.glob("*.dl"))


def run_check(name: str, capsys, monkeypatch) -> str:
    monkeypatch.chdir(GOLDEN)
    status = main(["check", f"{name}.dl"])
    out, err = capsys.readouterr()
    return f"exit status: {status}\n--- stdout\n{out}--- stderr\n{err}"


@pytest.mark.parametrize("name", CASES)
def test_check_output_matches_golden(name, capsys, monkeypatch, update_golden):
    actual = run_check(name, capsys, monkeypatch)
    expected_file = GOLDEN / f"{name}.out"
    if update_golden or not expected_file.exists():
        expected_file.write_text(actual, encoding="utf-8")
    assert actual == expected_file.read_text(encoding="utf-8")


ERROR_KINDS = {
    "syntax", "undeclared-predicate", "arity-mismatch", "unsafe-variable", "unstratifiable-negation",
    "duplicate-id", "unknown-annotation", "duplicate-annotation", "annotation-argument",
    "duplicate-declaration", "encoding", "conflicting-basis", "unknown-interpretation",
    "incomplete-interpretation",
}
WARNING_KINDS = {"unused-predicate", "missing-citation", "singleton-variable", "duplicate-parameter",
                 "unused-interpretation"}


def test_every_diagnostic_kind_has_a_golden_case():
    text = "".join(p.read_text(encoding="utf-8") for p in GOLDEN.glob("*.out"))
    missing = {k for k in ERROR_KINDS if f"[{k}]" not in text or "error:" not in text}
    missing |= {k for k in WARNING_KINDS if "warning: " not in text or f"[{k}]" not in text}
    assert not missing


def test_injection_is_rejected_and_nothing_runs(capsys, monkeypatch, tmp_path):
    marker = Path("/tmp/kdv_policy_pwned")
    marker.unlink(missing_ok=True)
    out = run_check("syntax_python_injection", capsys, monkeypatch)
    assert "exit status: 1" in out
    assert "injection.dl:2:1: error: a clause cannot start with the variable `__import__`" in out
    assert not marker.exists()
