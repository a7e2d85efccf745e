"""The examples in docs/ are real: every `datalog` block loads, every `error` block prints what it shows."""

import re
from pathlib import Path

import pytest

from kdv_policy import analyse, parse_program
from kdv_policy.cli.main import main

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


PYTHON_DOCS = [p for p in [*sorted(DOCS.glob("*.md")), DOCS.parent / "README.md"]
               if "```python" in p.read_text(encoding="utf-8")]


@pytest.mark.parametrize("doc", PYTHON_DOCS, ids=lambda p: p.name)
def test_python_examples_run(doc, capsys, monkeypatch):
    """Every ```python block of a page runs, in order, in one namespace, from the repository root
    (as a reader would run them)."""
    monkeypatch.chdir(DOCS.parent)
    namespace: dict = {"__name__": "docs_example"}
    printed = None
    for lang, body in BLOCK.findall(doc.read_text(encoding="utf-8")):
        if lang == "python":
            exec(compile(body, str(doc), "exec"), namespace)  # the docs' own example code
            printed = capsys.readouterr().out
        elif lang == "text" and printed is not None:
            assert printed == body, "a ```text block shows what the ```python block before it prints"
            printed = None
