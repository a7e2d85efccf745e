"""Traceability (`python -m kdv_policy trace`): every sentence of the governance text to the
clauses that encode it and the policy tests that cite it, or the reason it is not encoded;
and docs/governance.md's table, generated from it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kdv_policy import PolicyCheckError
from kdv_policy.authoring.traceability import (
    BEGIN,
    END,
    REASONS,
    REGENERATE,
    embed,
    markdown,
    split_sentences,
    trace,
)
from kdv_policy.cli.main import main

ROOT = Path(__file__).resolve().parents[1]
RULES = ROOT / "rules"
DOC = ROOT / "docs" / "governance.md"

TEXT = """\
Vorstand
Der Vorstand unterschreibt Verträge, z.B. Mietverträge. Der Vorstand hat einen Kassier.
- Die Präsidentin leitet den Vorstand.
Der Verein wurde am 1. Januar gegründet.
"""

RULES_DL = """\
.decl may(actor, action, object)
.decl member(body, role)

@id(vorstand_unterschreibt) @source("Der Vorstand unterschreibt Verträge")
may(vorstand, sign, vertrag).

@id(vorstand_kassier) @source("Der Vorstand hat einen Kassier.")
member(vorstand, kassier).

@id(praesidentin) @source("Die Präsidentin leitet den Vorstand.")
member(vorstand, praesidentin).
"""

REASONS_TOML = """\
[[unencoded]]
sentence = "Vorstand"
reason = "heading"

[[unencoded]]
sentence = "Der Verein wurde am 1. Januar gegründet."
reason = "background"
"""

CASES = """\
- name: der Vorstand unterschreibt
  source: "Der Vorstand unterschreibt Verträge"
  may: [vorstand, sign, vertrag]
  expect: allow
- name: der Kassier ist im Vorstand (falsch erwartet)
  source: "Der Vorstand hat einen Kassier."
  members: vorstand
  expect: [kassier]
"""


def club(tmp_path: Path, *, rules: str = RULES_DL, reasons: str | None = REASONS_TOML,
         cases: str | None = None) -> Path:
    """A small policy directory: a German text, its rules, optionally its reasons and tests."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    (tmp_path / "club.dl").write_text(rules, encoding="utf-8")
    (tmp_path / "source-text.txt").write_text(TEXT, encoding="utf-8")
    if reasons is not None:
        (tmp_path / "traceability.toml").write_text(reasons, encoding="utf-8")
    if cases is not None:
        (tmp_path / "tests").mkdir()
        (tmp_path / "tests" / "club.yaml").write_text(cases, encoding="utf-8")
    return tmp_path


def codes(report) -> list[str]:
    return [p.code for p in report.problems if p.severity == "error"]


# -- the generated page ----------------------------------------------------------------------------


def test_governance_md_is_what_trace_generates(update_golden):
    text = DOC.read_text(encoding="utf-8")
    report = trace(RULES)
    fresh = embed(text, markdown(report))
    if update_golden and fresh != text:
        DOC.write_text(fresh, encoding="utf-8")
        text = fresh
    assert fresh == text, ("the traceability table of docs/governance.md is stale; "
                           f"refresh it with `{REGENERATE}`")


def test_every_sentence_of_the_bundled_text_is_encoded_or_explained():
    report = trace(RULES)
    assert report.ok, "\n".join(f"{p.location}: {p.message}" for p in report.problems)
    assert report.untraced == 0
    assert report.encoded + report.explained == len(report.sentences) == 25
    headings = [s.number for s in report.sentences if s.reason == "heading"]
    assert headings == [1, 2, 11]
    # every encoded sentence is cited by a policy test case
    assert all(s.tests for s in report.sentences if s.status == "encoded")


def test_the_embedded_table_keeps_the_rest_of_the_page():
    page = f"# Intro\n\nkept\n\n{BEGIN}\nold table\n{END}\n\n## After\n\nalso kept\n"
    fresh = embed(page, "| new |\n")
    assert fresh.startswith("# Intro\n\nkept\n\n" + BEGIN)
    assert "| new |" in fresh and "old table" not in fresh
    assert fresh.endswith(f"{END}\n\n## After\n\nalso kept\n")
    assert embed(fresh, "| new |\n") == fresh
    with pytest.raises(ValueError):
        embed("# no markers\n", "| new |\n")


# -- sentences -------------------------------------------------------------------------------------


def test_the_real_text_splits_into_its_25_sentences():
    text = (RULES / "source-text.txt").read_text(encoding="utf-8")
    sentences = split_sentences(text)
    assert len(sentences) == 25
    assert [s.text for s in sentences[:2]] == ["Organisation", "Kompetenzzentrum Digitale Verwaltung"]
    assert sentences[10].text == "Gremien"
    # two sentences of one list item; the item's "- " dropped
    assert sentences[12].text.startswith("Der Steuerungsausschuss definiert die Strategie")
    assert sentences[13].text.startswith("Er setzt sich aus den Departementschef DIV (Vorsitz)")
    assert sentences[12].line == sentences[13].line == 10
    # the parenthesis of the Kontaktgremium and "dem/der Projektleiter/in" break nothing
    assert sentences[14].text.endswith("dient zur Abstimmung gemeinsamer Vorhaben von Kanton und Gemeinden.")
    assert "dem/der Projektleiter/in aus dem Kompetenzzentrum" in sentences[22].text
    # every sentence is where its offsets say
    for s in sentences:
        assert text[s.start:s.end] == s.text


def test_abbreviations_and_ordinals_end_no_sentence():
    sentences = [s.text for s in split_sentences(TEXT)]
    assert sentences == [
        "Vorstand",
        "Der Vorstand unterschreibt Verträge, z.B. Mietverträge.",
        "Der Vorstand hat einen Kassier.",
        "Die Präsidentin leitet den Vorstand.",
        "Der Verein wurde am 1. Januar gegründet.",
    ]
    assert [s.text for s in split_sentences("Es gilt u.a. Art. 5, vgl. Nr. 3 oben. Dann Ende. Neu!")] == [
        "Es gilt u.a. Art. 5, vgl. Nr. 3 oben.", "Dann Ende.", "Neu!"]


# -- the report --------------------------------------------------------------------------------------


def test_a_small_policy_traces_every_sentence(tmp_path):
    report = trace(club(tmp_path, cases=CASES))
    assert report.ok and (report.encoded, report.explained, report.untraced) == (3, 2, 0)
    by_number = {s.number: s for s in report.sentences}
    assert [c.id for c in by_number[2].clauses] == ["vorstand_unterschreibt"]
    assert by_number[2].clauses[0].quote == "Der Vorstand unterschreibt Verträge"
    assert [t.name for t in by_number[2].tests] == ["der Vorstand unterschreibt"]
    assert by_number[2].tests[0].passed is None  # not run
    assert by_number[1].status == "explained" and by_number[1].reason == "heading"


def test_a_quote_spanning_two_sentences_traces_to_both(tmp_path):
    rules = RULES_DL + """
@id(beide) @source("Mietverträge. Der Vorstand hat")
member(vorstand, beisitz).
"""
    report = trace(club(tmp_path, rules=rules))
    assert [s.number for s in report.sentences if any(c.id == "beide" for c in s.clauses)] == [2, 3]


def test_a_sentence_without_a_rule_or_a_reason_fails(tmp_path, capsys):
    path = club(tmp_path, reasons=REASONS_TOML.split("[[unencoded]]\nsentence = \"Der Verein")[0])
    report = trace(path)
    assert not report.ok and report.untraced == 1
    assert codes(report) == ["trace-untraced"]
    assert "sentence 5 is neither encoded nor explained" in report.problems[0].message
    assert "traceability.toml" in report.problems[0].help
    assert main(["trace", str(path)]) == 1
    out = capsys.readouterr().out
    assert "NOT TRACED" in out and "1 neither" in out


def test_a_policy_without_traceability_toml_must_encode_every_sentence(tmp_path):
    report = trace(club(tmp_path, reasons=None))
    assert codes(report) == ["trace-untraced", "trace-untraced"]


def test_a_reason_for_an_encoded_sentence_is_an_error(tmp_path):
    reasons = (REASONS_TOML
               + '\n[[unencoded]]\nsentence = "Der Vorstand hat einen Kassier."\nreason = "motivation"\n')
    report = trace(club(tmp_path, reasons=reasons))
    assert codes(report) == ["trace-reason-encoded"]
    problem = report.problems[0]
    assert "`vorstand_kassier`" in problem.message
    assert problem.location.endswith("traceability.toml:9:1")


def test_an_unknown_reason_is_an_error_with_the_known_ones(tmp_path):
    report = trace(club(tmp_path, reasons=REASONS_TOML.replace('"background"', '"backgrund"')))
    assert codes(report) == ["trace-reason", "trace-untraced"]
    assert "`background`" in report.problems[0].help
    assert set(REASONS) >= {"heading", "motivation", "background"}


def test_a_misquoted_sentence_is_an_error_naming_the_nearest(tmp_path):
    report = trace(club(tmp_path, reasons=REASONS_TOML.replace("1. Januar", "1. Februar")))
    assert codes(report) == ["trace-misquote", "trace-untraced"]
    assert "sentence 5" in report.problems[0].help


def test_a_quote_in_several_sentences_and_a_second_entry_are_errors(tmp_path):
    reasons = REASONS_TOML + '\n[[unencoded]]\nsentence = "Vorstand "\nreason = "heading"\n' \
        + '\n[[unencoded]]\nsentence = "Vorstand"\nreason = "heading"\n'
    report = trace(club(tmp_path, reasons=reasons))
    assert codes(report) == ["trace-ambiguous", "trace-duplicate"]


def test_unknown_keys_and_tables_are_errors(tmp_path):
    reasons = REASONS_TOML.replace('reason = "heading"', 'reason = "heading"\nwhy = "x"')
    reasons += "\n[[unencoded_]]\n"
    report = trace(club(tmp_path, reasons=reasons))
    assert sorted(codes(report)) == ["trace-key", "trace-key", "trace-untraced"]


def test_a_misquoted_source_of_a_rule_refuses_the_policy(tmp_path):
    with pytest.raises(PolicyCheckError) as refused:
        trace(club(tmp_path, rules=RULES_DL.replace("einen Kassier.", "einen Kasier.")))
    (misquote,) = [d for d in refused.value.diagnostics if d.code == "misquote"]
    assert "`Der Vorstand hat einen Kasier.`" in misquote.message
    assert "Der Vorstand hat einen Kassier." in (misquote.help or "")


# -- the command -------------------------------------------------------------------------------------


def test_json_shape(tmp_path, capsys):
    assert main(["trace", str(club(tmp_path, cases=CASES)), "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert set(data) >= {"directory", "sentences", "encoded", "explained", "untraced", "problems",
                         "uncited_clauses", "tests_run"}
    assert (data["encoded"], data["explained"], data["untraced"]) == (3, 2, 0)
    first, second = data["sentences"][:2]
    assert first == {"number": 1, "text": "Vorstand", "line": 1, "status": "explained", "clauses": [],
                     "data": [], "tests": [], "reason": "heading", "note": None}
    assert second["clauses"][0] == {"id": "vorstand_unterschreibt", "predicate": "may/3",
                                    "location": second["clauses"][0]["location"],
                                    "quote": "Der Vorstand unterschreibt Verträge", "basis": "text",
                                    "interpretation": None}
    assert second["clauses"][0]["location"].endswith("club.dl:5")
    assert set(second["tests"][0]) == {"file", "line", "name", "passed"}


def test_run_tests_records_each_case_and_fails_on_a_failure(tmp_path, capsys):
    cases = CASES.replace("expect: [kassier]", "expect: [kassier, praesidentin]")
    path = club(tmp_path, cases=cases)
    assert main(["trace", str(path), "--run-tests"]) == 0
    assert "1 case (club.yaml), all passed" in capsys.readouterr().out
    failing = club(tmp_path / "failing", cases=CASES)
    assert main(["trace", str(failing), "--run-tests", "--format", "json"]) == 1
    data = json.loads(capsys.readouterr().out)
    results = {t["name"]: t["passed"] for s in data["sentences"] for t in s["tests"]}
    assert results == {"der Vorstand unterschreibt": True,
                       "der Kassier ist im Vorstand (falsch erwartet)": False}


def test_markdown_lists_every_sentence_with_ids_reason_and_tests(tmp_path, capsys):
    assert main(["trace", str(club(tmp_path, cases=CASES)), "--format", "markdown"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("5 sentences: 3 encoded, 2 explained as not encoded, 0 neither.\n")
    assert "| 1 | Vorstand | — | not encoded: a heading of the text, not a statement. | — |" in out
    assert ("| 2 | Der Vorstand unterschreibt Verträge, z.B. Mietverträge. | `vorstand_unterschreibt` |  | "
            "1 case (club.yaml) |") in out


def test_embed_writes_the_page_and_refuses_one_without_markers(tmp_path, capsys):
    path = club(tmp_path / "club")
    page = tmp_path / "page.md"
    page.write_text(f"# Club\n\n{BEGIN}\n{END}\n", encoding="utf-8")
    assert main(["trace", str(path), "--embed", str(page)]) == 0
    written = page.read_text(encoding="utf-8")
    assert "| 5 | Der Verein wurde am 1. Januar gegründet. |" in written and written.startswith("# Club\n")
    assert main(["trace", str(path), "--embed", str(page)]) == 0
    assert page.read_text(encoding="utf-8") == written
    page.write_text("# Club\n", encoding="utf-8")
    capsys.readouterr()
    assert main(["trace", str(path), "--embed", str(page)]) == 2
    assert "markers" in capsys.readouterr().err
    assert page.read_text(encoding="utf-8") == "# Club\n"


def test_bad_input_exits_2_without_a_traceback(tmp_path, capsys):
    path = club(tmp_path, reasons="[[unencoded]\nsentence = ")
    assert main(["trace", str(path)]) == 2
    err = capsys.readouterr().err
    assert "traceability.toml" in err and "Traceback" not in err
    (path / "source-text.txt").unlink()
    assert main(["trace", str(path)]) == 2
    assert "source-text.txt" in capsys.readouterr().err
