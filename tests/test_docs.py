"""The examples in docs/ are real: every `datalog` block loads, every `error` block prints what it shows."""

import re
from pathlib import Path

import pytest

from kdv_policy import analyse, parse_program
from kdv_policy.cli import main

DOCS = Path(__file__).resolve().parents[1] / "docs"
BLOCK = re.compile(r"```(\w+)\n(.*?)```", re.S)


def blocks(kind: str) -> list[str]:
    return [body for doc in sorted(DOCS.glob("*.md"))
            for lang, body in BLOCK.findall(doc.read_text(encoding="utf-8")) if lang == kind]


@pytest.mark.parametrize("text", blocks("datalog"))
def test_datalog_examples_load(text):
    result = analyse([parse_program(text, "example.dl")])
    assert not result.errors, "\n".join(d.render() for d in result.errors)


@pytest.mark.parametrize("block", blocks("error"))
def test_error_examples_print_what_the_docs_show(block, tmp_path, monkeypatch, capsys):
    source, expected = block.split("---\n")
    (tmp_path / "example.dl").write_text(source, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert main(["check", "example.dl"]) == 1
    out = capsys.readouterr().out
    diagnostics = [line for line in out.splitlines() if line and not line.startswith("checked ")]
    assert diagnostics == expected.splitlines()
