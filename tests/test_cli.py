"""The command line: every command, the question forms, their output, errors and exit status.

Most tests call :func:`kdv_policy.cli.main` in-process (fast); a few run the real
``python -m kdv_policy`` in a subprocess. The examples of docs/cli.md are run here too.
"""

import io
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from kdv_policy.cli.main import build_parser, main

ROOT = Path(__file__).resolve().parents[1]
REPO_RULES = ROOT / "rules"
PEOPLE = str(ROOT / "examples" / "people.toml")
CLI_DOC = ROOT / "docs" / "cli.md"

RULES = """
%% Who belongs to which body.
.decl member(body, role)
@id(m1) @source("s") member(steuerungsausschuss, departementschef_div).
@id(m2) @source("s") member(steuerungsausschuss, staatsschreiber).
"""


@pytest.fixture(autouse=True)
def _in_the_repository(monkeypatch):
    """Run from the repository root: a command without a policy argument reads its `rules/`."""
    monkeypatch.chdir(ROOT)


@pytest.fixture
def rules(tmp_path):
    (tmp_path / "p.dl").write_text(RULES, encoding="utf-8")
    return str(tmp_path)


POLICY_LINE = re.compile(r"^policy: .*\n", re.M)


def english(argv: list[str]) -> list[str]:
    """``argv`` with ``--lang en`` after a command that answers (unless it chooses a language)."""
    if argv and argv[0] in ("query", "explain", "test") and "--lang" not in argv:
        return [argv[0], "--lang", "en", *argv[1:]]
    return argv


def run(capsys, *argv: str) -> tuple[int, list[str], str]:
    """main(argv): the exit status, stdout's lines and stderr (without the line naming the policy);
    ``query``, ``explain`` and ``test`` answer in English (``--lang en``), as these tests assert."""
    status = main(english(list(argv)))
    out, err = capsys.readouterr()
    return status, out.splitlines(), POLICY_LINE.sub("", err)


def run_json(capsys, *argv: str) -> tuple[int, list[dict], str]:
    """``query --format json``: each line's object, without the `policy` field every line has."""
    status, lines, err = run(capsys, "query", "--format", "json", *argv)
    rows = [json.loads(line) for line in lines]
    assert all(set(row.pop("policy")) == {"directory", "version", "source"} for row in rows)
    return status, rows, err


# -- check (unchanged) ---------------------------------------------------------------------------------


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


# -- Datalog queries -----------------------------------------------------------------------------------


def test_query_text_and_json(rules, capsys):
    assert main(["query", "--lang", "en", "--rules", rules, "member(steuerungsausschuss, X)"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "member(steuerungsausschuss, X): 2 answers",
        "  X = departementschef_div",
        "  X = staatsschreiber",
    ]
    assert main(["query", "--lang", "en", "--rules", rules, "--format", "json", "member(B, staatsschreiber)",
                 "member(regierungsrat, _)", "member(steuerungsausschuss, staatsschreiber)"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    policies = [line.pop("policy") for line in lines]
    assert all((p["directory"], p["source"]) == (rules, "given") for p in policies)
    assert lines == [
        {"query": "member(B, staatsschreiber)", "kind": "datalog", "answers": [{"B": "steuerungsausschuss"}]},
        {"query": "member(regierungsrat, _)", "kind": "datalog", "answers": []},
        {"query": "member(steuerungsausschuss, staatsschreiber)", "kind": "datalog", "answers": [{}]},
    ]


def test_datalog_with_negation_and_dates(capsys):
    status, lines, _ = run(capsys, "query", "may(B, approve, strategie), not chair(B, _)", "dated")
    assert status == 0
    assert lines == ["may(B, approve, strategie), not chair(B, _): 1 answer", "  B = regierungsrat",
                     "dated: no"]
    status, rows, _ = run_json(capsys, "established(B, D)")
    assert rows[0]["answers"] == [{"B": "kompetenzzentrum", "D": "2020-12-31"}]  # dates as ISO strings


def test_bad_query_exits_2_with_a_caret_on_stderr(rules, capsys):
    assert main(["query", "--lang", "en", "--rules", rules, "member(steuerungsausschuss X)"]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert POLICY_LINE.sub("", err).splitlines()[:3] == [
        "<query>:1:28: error: expected `,` or `)` in the arguments of `member`, found `X` [syntax]",
        "   1 | member(steuerungsausschuss X)",
        "     |                            ^",
    ]


def test_query_explain_explains_each_answer_of_an_atom(capsys):
    status, lines, _ = run(capsys, "query", "--explain", "chair(steuerungsausschuss, X)",
                           "member(steuerungsausschuss, regierungsrat)")
    assert status == 0
    assert lines[:4] == [
        "chair(steuerungsausschuss, X): 1 answer",
        "  X = departementschef_div",
        "    chair(steuerungsausschuss, departementschef_div) holds",
        "      chair(steuerungsausschuss, departementschef_div)   [sta_vorsitz_departementschef_div]",
    ]
    at = lines.index("member(steuerungsausschuss, regierungsrat): no")
    assert lines[at + 1].startswith("  member(steuerungsausschuss, regierungsrat) does not hold: ")


# -- the question forms, text --------------------------------------------------------------------------


def test_may_yes_with_the_cited_sentence(capsys):
    status, lines, err = run(capsys, "query", "may", "Regierungsrat", "approve", "Strategie")
    assert (status, err) == (0, "")
    assert lines == [
        "may Regierungsrat approve Strategie: yes",
        "  Regierungsrat may approve Strategie Digitale Verwaltung Thurgau"
        " — « Der Regierungsrat verabschiedet die Strategie »",
    ]


def test_may_no_says_who_may_instead(capsys):
    status, lines, _ = run(capsys, "query", "may Planungsausschuss abnehmen Schwerpunktplanung")
    assert status == 0  # a no is an answer
    assert lines == [
        "may Planungsausschuss abnehmen Schwerpunktplanung: no",
        "  Planungsausschuss may not approve Schwerpunktplanung. Planungsausschuss may prepare it. "
        "To approve it is for: Steuerungsausschuss.",
    ]


def test_who_may(capsys):
    status, lines, _ = run(capsys, "query", "who", "may", "approve", "Schwerpunktplanung")
    assert status == 0
    assert lines == [
        "who may approve Schwerpunktplanung: 1 answer",
        "  Steuerungsausschuss (steuerungsausschuss)   [darf_aus_kompetenz]",
    ]
    status, lines, _ = run(capsys, "query", "--interpretation", "vorsitz_handelt_allein",
                           "who", "may", "approve", "Schwerpunktplanung")
    assert lines == [
        "who may approve Schwerpunktplanung: 2 answers",
        "  Steuerungsausschuss (steuerungsausschuss)   [darf_aus_kompetenz]",
        "  Departementschef DIV (departementschef_div)   [darf_als_vertretung]",
    ]


def test_what_may(capsys):
    status, lines, _ = run(capsys, "query", "what may Planungsausschuss?")
    assert status == 0
    assert lines[0] == "what may Planungsausschuss?: 4 answers"
    assert "  prepare Schwerpunktplanung   [darf_aus_kompetenz]" in lines
    status, lines, _ = run(capsys, "query", "what may PA do")
    assert lines[0] == "what may PA do: 4 answers"


@pytest.mark.parametrize(("query", "expected"), [
    ("who serves Bezirksamt Arbon",
     ["who serves Bezirksamt Arbon: 1 answer",
      "  Kompetenzzentrum Digitale Verwaltung (kompetenzzentrum)   [dienstleister_bedient_bezueger]"]),
    ("chair of StA",
     ["chair of StA: 1 answer",
      "  Departementschef DIV (departementschef_div)   [sta_vorsitz_departementschef_div]"]),
    ("who chairs Steuerungsausschuss",
     ["who chairs Steuerungsausschuss: 1 answer",
      "  Departementschef DIV (departementschef_div)   [sta_vorsitz_departementschef_div]"]),
    ("chair of Konferenz",
     ["chair of Konferenz: none", "  no answers: nothing satisfies chair(konferenz, _)"]),
    ("who is responsible for DEK",
     ["who is responsible for DEK: 1 answer",
      "  Digitalisierungsverantwortliche/r DEK (dv_dek)   [dv_verantwortlich_eigene_einheit]"]),
    ("is Obergericht a consumer",
     ["is Obergericht a consumer: yes", "  Obergericht is a consumer of the services"]),
    ("is consumer Gemeinde Frauenfeld",
     ["is consumer Gemeinde Frauenfeld: no",
      "  Politische Gemeinde Frauenfeld is not a consumer of the services: no consumer_kind(gemeinde); "
      "no parent(gemeinde_frauenfeld, P)"]),
])
def test_list_and_consumer_questions(query, expected, capsys):
    status, lines, err = run(capsys, "query", query)
    assert (status, err) == (0, "")
    assert lines == expected


def test_members_lists_every_member_with_its_rule(capsys):
    status, lines, _ = run(capsys, "query", "members", "of", "Steuerungsausschuss")
    assert status == 0
    assert lines[0] == "members of Steuerungsausschuss: 11 answers"
    assert "  Departementschef DIV (departementschef_div)   [vorsitz_ist_mitglied]" in lines
    assert "  Staatsschreiber (staatsschreiber)   [sta_staatsschreiber]" in lines
    assert len(lines) == 12


def test_query_explain_prints_the_proof_tree(capsys):
    status, lines, _ = run(capsys, "query", "--explain", "may", "StA", "umsetzen", "Strategie")
    assert status == 0
    assert lines[0] == "may StA umsetzen Strategie: yes"
    assert lines[1].startswith("  Steuerungsausschuss may implement Strategie Digitale Verwaltung Thurgau "
                               "by delegation: Regierungsrat → Steuerungsausschuss")
    assert "        delegates(regierungsrat, steuerungsausschuss, implement, strategie)   " \
           "[rr_delegiert_umsetzung_an_sta]" in lines
    status, lines, _ = run(capsys, "query", "--explain", "members of Konferenz")
    assert lines[0] == "members of Konferenz: 10 answers"
    assert ("  10 answers, each with its proof; the text leaves open which Amtsvertretung sit in it"
            in lines)


# -- names ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("unit", [
    "Departement für Erziehung und Kultur", "Departement fuer Erziehung und Kultur",
    "Departement fur Erziehung und Kultur", "departement für erziehung und kultur", "DEK", "dek",
])
def test_names_with_umlauts_ae_oe_ue_abbreviations_any_case(unit, capsys):
    status, rows, _ = run_json(capsys, f"who is responsible for {unit}")
    assert status == 0
    assert [a["id"] for a in rows[0]["answers"]] == ["dv_dek"]


@pytest.mark.parametrize("argv", [
    ["may", "Departementschef DIV", "definieren", "Strategie"],        # a quoted argument
    ['may "Departementschef DIV" definieren Strategie'],               # quotes in one query
    ["may", "Departementschef", "DIV", "definieren", "Strategie"],     # unquoted: longest match
    ["may departementschef_div define strategie"],                      # ids
    ["MAY Departementschefin DIV DEFINIEREN Strategie Digitale Verwaltung Thurgau"],  # alias, case
])
def test_multi_word_names_quoted_or_not(argv, capsys):
    status, rows, err = run_json(capsys, *argv)
    assert (status, err) == (0, "")
    (row,) = rows
    assert (row["actor"]["id"], row["action"]["id"], row["object"]["id"], row["allowed"]) == (
        "departementschef_div", "define", "strategie", False)  # the text gives the chair no power alone


def test_unquoted_names_in_every_position(capsys):
    status, rows, _ = run_json(capsys, "may Leitung des Kompetenzzentrums umsetzen Strategie",
                               "may RR approve Budget des Impulsprogramms",
                               "who may Erfahrungen austauschen Erfahrungen",
                               "who serves Bezirksamt Münchwilen", "who serves Bezirksamt Muenchwilen")
    assert status == 0
    assert rows[0]["actor"]["id"] == "leitung_kompetenzzentrum" and not rows[0]["allowed"]
    assert rows[1]["object"]["id"] == "budget_impulsprogramm" and rows[1]["allowed"]
    assert rows[2]["resolved"] == "may(X, exchange, erfahrungen)"
    assert [a["id"] for a in rows[2]["answers"]] == ["konferenz"]
    assert rows[3]["answers"] == rows[4]["answers"] == [
        {"id": "kompetenzzentrum", "name": "Kompetenzzentrum Digitale Verwaltung", "kind": "body"}]


def test_an_argument_with_a_space_is_one_name(capsys):
    # "Departementschef DIV definieren" may not be joined; split at the quoted name's edges only
    status, rows, _ = run_json(capsys, "may", "Departementschef DIV", "definieren", "Strategie Digitale",
                               "Verwaltung", "Thurgau")
    assert status == 0 and rows[0]["object"]["id"] == "strategie"
    assert rows[0]["query"] == 'may "Departementschef DIV" definieren "Strategie Digitale" Verwaltung Thurgau'


# -- JSON shapes ---------------------------------------------------------------------------------------


ENTITY = {"id", "name", "kind"}


def test_json_shape_of_may(capsys):
    status, (row,), _ = run_json(capsys, "may", "Regierungsrat", "approve", "Strategie")
    assert status == 0
    assert set(row) == {"query", "kind", "allowed", "actor", "action", "object", "resolved", "status",
                        "determined", "open_questions", "interpretations", "explanation"}
    assert row["interpretations"] == []
    assert row["query"] == "may Regierungsrat approve Strategie"
    assert (row["kind"], row["allowed"]) == ("may", True)
    assert row["actor"] == {"id": "regierungsrat", "name": "Regierungsrat", "kind": "body"}
    assert row["action"] == {"id": "approve", "name": "genehmigen", "kind": "action"}
    assert row["object"] == {"id": "strategie", "name": "Strategie Digitale Verwaltung Thurgau",
                             "kind": "object"}
    assert row["resolved"] == "may(regierungsrat, approve, strategie)"
    explanation = row["explanation"]
    assert set(explanation) == {"summary", "lang", "proofs", "why_not", "alternatives", "chain"}
    assert explanation["proofs"][0]["id"] == "darf_aus_kompetenz"
    citation = explanation["proofs"][0]["children"][0]["citation"]
    assert citation == "Der Regierungsrat verabschiedet die Strategie"


def test_json_shape_of_a_no(capsys):
    status, (row,), _ = run_json(capsys, "may Planungsausschuss abnehmen Schwerpunktplanung")
    assert status == 0 and row["allowed"] is False
    assert row["explanation"]["proofs"] == []
    assert row["explanation"]["why_not"]["attempts"]
    assert row["explanation"]["alternatives"]


def test_json_shape_of_is_consumer(capsys):
    status, (row,), _ = run_json(capsys, "is TKB a consumer")
    assert status == 0
    assert set(row) == {"query", "kind", "allowed", "unit", "resolved", "status", "determined",
                        "open_questions", "interpretations", "explanation"}
    assert (row["kind"], row["allowed"]) == ("is_consumer", False)
    assert row["unit"]["id"] == "thurgauer_kantonalbank"


@pytest.mark.parametrize(("query", "kind", "ids"), [
    ("who may approve Schwerpunktplanung", "who_may", ["steuerungsausschuss"]),
    ("who serves Obergericht", "who_serves", ["kompetenzzentrum"]),
    ("members of PA", "members", ["dv_dbu", "dv_dek", "dv_dfs", "dv_div", "dv_djs", "dv_gerichte",
                                  "dv_staatskanzlei", "leitung_kompetenzzentrum"]),
    ("chair of StA", "chair", ["departementschef_div"]),
    ("who is responsible for Obergericht", "responsible_for", ["dv_gerichte"]),
])
def test_json_shape_of_lists(query, kind, ids, capsys):
    status, (row,), _ = run_json(capsys, query)
    assert status == 0
    assert set(row) == {"query", "kind", "answers", "undetermined", "open_questions", "resolved",
                        "interpretations", "explanation"}
    assert (row["query"], row["kind"]) == (query, kind)
    assert [a["id"] for a in row["answers"]] == ids
    assert all(set(a) == ENTITY for a in row["answers"])
    assert len(row["explanation"]["proofs"]) == len(ids)


def test_json_shape_of_what_may(capsys):
    status, (row,), _ = run_json(capsys, "what may Konferenz")
    assert (status, row["kind"]) == (0, "what_may")
    assert row["answers"][0] == {
        "id": "coordinate laufende_projekte", "name": "coordinate Laufende Projekte",
        "action": {"id": "coordinate", "name": "koordinieren", "kind": "action"},
        "object": {"id": "laufende_projekte", "name": "Laufende Projekte", "kind": "object"},
    }


# -- errors --------------------------------------------------------------------------------------------


def test_unknown_name_exits_2_with_a_suggestion(capsys):
    status, lines, err = run(capsys, "query", "may", "Regierungsrath", "approve", "Strategie")
    assert (status, lines) == (2, [])
    assert err.splitlines() == [
        "error: unknown actor `Regierungsrath`; did you mean `Regierungsrat` (regierungsrat)?",
        "  in: may Regierungsrath approve Strategie",
    ]


def test_unknown_name_in_an_unquoted_multi_word_name(capsys):
    status, _, err = run(capsys, "query", "may Departementschef DIVV verabschieden Strategie")
    assert status == 2
    assert "unknown actor `Departementschef DIVV`; did you mean `Departementschef DIV`" in err
    status, _, err = run(capsys, "query", "who may approve Schwerpunktplanungg")
    assert status == 2 and "unknown object `Schwerpunktplanungg`; did you mean `Schwerpunktplanung`" in err


def test_unknown_name_in_json_mode_is_a_line_of_its_own(capsys):
    status, rows, err = run_json(capsys, "chair of StA", "members of Regierungsrath", "chair of PA")
    assert status == 2
    assert [r["query"] for r in rows] == ["chair of StA", "members of Regierungsrath", "chair of PA"]
    assert rows[1] == {"query": "members of Regierungsrath", "error": {
        "type": "unknown-name", "name": "Regierungsrath",
        "suggestions": [{"id": "regierungsrat", "name": "Regierungsrat", "kind": "body"}],
        "message": "unknown body `Regierungsrath`; did you mean `Regierungsrat` (regierungsrat)?"}}
    assert "unknown body `Regierungsrath`" in err


def test_ambiguous_name_exits_2_with_the_candidates(tmp_path, capsys):
    people = tmp_path / "people.toml"
    people.write_text(
        '[[persons]]\nid = "anna_a"\nname = "Anna Muster"\n'
        '[[persons.roles]]\nrole = "staatsschreiber"\nfrom = 2020-01-01\n'
        '[[persons]]\nid = "anna_b"\nname = "Anna Muster"\n'
        '[[persons.roles]]\nrole = "departementschef_div"\nfrom = 2020-01-01\n', encoding="utf-8")
    for argv in (["may", "Anna Muster", "definieren", "Strategie"], ["may Anna Muster definieren Strategie"]):
        status, lines, err = run(capsys, "query", "--people", str(people), *argv)
        assert (status, lines) == (2, [])
        assert "`Anna Muster` is ambiguous: it names `Anna Muster` (person anna_a), `Anna Muster` " \
               "(person anna_b)" in err
    status, rows, _ = run_json(capsys, "--people", str(people), "--interpretation", "vorsitz_handelt_allein",
                               "may anna_b definieren Strategie", "may Anna Muster definieren Strategie")
    assert rows[0]["allowed"] is True
    assert rows[1]["error"]["type"] == "ambiguous-name"
    assert [c["id"] for c in rows[1]["error"]["candidates"]] == ["anna_a", "anna_b"]


def test_syntax_error_in_json_mode(capsys):
    status, rows, err = run_json(capsys, "member(steuerungsausschuss X)")
    assert status == 2
    assert rows[0]["error"]["type"] == "syntax"
    assert (rows[0]["error"]["line"], rows[0]["error"]["col"]) == (1, 28)
    assert "     |                            ^" in err


@pytest.mark.parametrize(("query", "nearest"), [
    ("who eats Strategie", "who ACTION Strategie?"),
    ("Regierungsrat approve Strategie", "may Regierungsrat approve Strategie?"),
    ("may Regierungsrat approve", "may Regierungsrat approve OBJECT?"),
    ("is", "is UNIT a consumer?"),
    ("members of", "members of BODY"),
])
def test_unknown_question_form_exits_2_showing_the_nearest_form(query, nearest, capsys):
    status, lines, err = run(capsys, "query", query)
    assert (status, lines) == (2, [])
    assert err.startswith("error: ")
    assert f"help: ask it as `{nearest}`" in err
    assert "who is responsible for UNIT" not in err  # the nearest form, not a list of templates


def test_unbalanced_quote(capsys):
    status, _, err = run(capsys, "query", 'may "Departementschef DIV definieren Strategie')
    assert status == 2 and "a quote is not closed" in err


def test_a_question_the_policy_cannot_answer(rules, capsys):
    status, _, err = run(capsys, "query", "--rules", rules, "may Regierungsrat approve Strategie")
    assert status == 2 and "does not define `may/3`" in err


def test_bad_policy_directory_people_file_or_date_exit_2(tmp_path, capsys):
    status, lines, err = run(capsys, "query", "--rules", str(tmp_path / "nowhere"), "chair of StA")
    assert (status, lines) == (2, []) and "does not exist" in err
    (tmp_path / "bad.dl").write_text(".decl p(x)\np(X).\n", encoding="utf-8")
    status, _, err = run(capsys, "query", "--rules", str(tmp_path), "p(X)")
    assert status == 2 and "unsafe-variable" in err and "^" in err
    status, _, err = run(capsys, "query", "--people", str(tmp_path / "none.toml"), "chair of StA")
    assert status == 2 and err
    status, _, err = run(capsys, "query", "--at", "2021-13-01", "chair of StA")
    assert status == 2 and "is not a date; write YYYY-MM-DD" in err


def test_no_query_and_unreadable_file_exit_2(tmp_path, capsys):
    status, _, err = run(capsys, "query")
    assert status == 2 and "no query given" in err
    status, _, err = run(capsys, "query", "--file", str(tmp_path / "missing.txt"))
    assert status == 2 and "cannot read the queries" in err


def test_usage_error_exits_2(capsys):
    assert main(["query", "--lang", "en", "--format", "yaml", "chair of StA"]) == 2
    assert "invalid choice" in capsys.readouterr().err


# -- exit status ---------------------------------------------------------------------------------------


def test_fail_on_deny(capsys):
    assert main(["query", "--lang", "en", "--fail-on-deny", "may Regierungsrat approve Strategie"]) == 0
    assert main(["query", "--lang", "en", "--fail-on-deny", "may Regierungsrat approve Strategie",
                 "may Planungsausschuss abnehmen Schwerpunktplanung"]) == 1
    assert main(["query", "--lang", "en", "may Planungsausschuss abnehmen Schwerpunktplanung"]) == 0
    assert main(["query", "--lang", "en", "--fail-on-deny", "is TKB a consumer"]) == 1
    # list questions and Datalog are not yes/no questions
    assert main(["query", "--lang", "en", "--fail-on-deny", "chair of Konferenz",
                 "member(regierungsrat, _)"]) == 0
    assert main(["query", "--lang", "en", "--fail-on-deny", "is TKB a consumer",
                 "may Nobody approve Strategie"]) == 2
    out = capsys.readouterr().out
    assert "is TKB a consumer: no" in out  # answered before the bad question was reported


# -- batches -------------------------------------------------------------------------------------------


def test_several_arguments_are_several_queries_in_order(capsys):
    status, lines, _ = run(capsys, "query", "chair of StA", "member(B, staatsschreiber)",
                           "may Regierungsrat approve Strategie")
    assert status == 0
    heads = [line for line in lines if not line.startswith(" ")]
    assert heads == ["chair of StA: 1 answer", "member(B, staatsschreiber): 1 answer",
                     "may Regierungsrat approve Strategie: yes"]


def test_a_bad_query_does_not_stop_the_others(capsys):
    status, lines, err = run(capsys, "query", "chair of StA", "chair of Nowhere", "who chairs StA")
    assert status == 2
    assert [line for line in lines if not line.startswith(" ")] == ["chair of StA: 1 answer",
                                                                    "who chairs StA: 1 answer"]
    assert "unknown body `Nowhere`" in err


def test_file_of_queries(tmp_path, capsys):
    path = tmp_path / "questions.txt"
    path.write_text("% the chairs\n\nchair of StA\n   \nmay \"Departementschef DIV\" definieren Strategie\n"
                    "% Datalog\nmember(B, staatsschreiber)\n", encoding="utf-8")
    status, rows, _ = run_json(capsys, "--file", str(path))
    assert status == 0
    assert [r["query"] for r in rows] == ["chair of StA", 'may "Departementschef DIV" definieren Strategie',
                                          "member(B, staatsschreiber)"]
    assert [r["kind"] for r in rows] == ["chair", "may", "datalog"]
    status, rows, _ = run_json(capsys, "members of PA", "--file", str(path))  # arguments first
    assert [r["query"] for r in rows][:2] == ["members of PA", "chair of StA"]


def test_stdin_dash(monkeypatch, capsys):
    monkeypatch.setattr(sys, "stdin", io.StringIO("who may approve Strategie\n% skipped\n\nchair(B, R)\n"))
    status, rows, _ = run_json(capsys, "is TKB a consumer", "-")
    assert status == 0
    assert [r["query"] for r in rows] == ["is TKB a consumer", "who may approve Strategie", "chair(B, R)"]
    assert [a["id"] for a in rows[1]["answers"]] == ["regierungsrat"]


def test_stdin_in_a_subprocess():
    out = subprocess.run([sys.executable, "-m", "kdv_policy", "query", "--lang", "en", "--fail-on-deny", "-"],
                         input="may Regierungsrat approve Strategie\nis Gemeinde Frauenfeld a consumer\n",
                         capture_output=True, text=True, encoding="utf-8", cwd=ROOT)
    assert out.returncode == 1
    assert [line for line in out.stdout.splitlines() if not line.startswith(" ")] == [
        "may Regierungsrat approve Strategie: yes", "is Gemeinde Frauenfeld a consumer: no"]
    assert "\033[" not in out.stdout  # no colour into a pipe


# -- dates and people ----------------------------------------------------------------------------------


def test_at_a_date(capsys):
    assert main(["query", "--lang", "en", "--at", "2021-01-01", "--fail-on-deny",
                 "may KDV umsetzen Strategie"]) == 0
    assert capsys.readouterr().out.startswith("may KDV umsetzen Strategie: yes\n")
    assert main(["query", "--lang", "en", "--at", "2020-06-30", "--fail-on-deny",
                 "may KDV umsetzen Strategie"]) == 1
    assert capsys.readouterr().out.startswith("may KDV umsetzen Strategie: undetermined by the text\n")
    status, rows, _ = run_json(capsys, "--at", "2020-06-30", "who serves Obergericht")
    assert status == 0 and rows[0]["answers"] == []


def test_people(capsys):
    chair = ("--interpretation", "vorsitz_handelt_allein")
    status, lines, _ = run(capsys, "query", "--people", PEOPLE, "may", "Erika Muster", "definieren",
                           "Strategie")
    assert status == 0
    assert lines[0] == 'may "Erika Muster" definieren Strategie: no'  # the text alone
    status, lines, _ = run(capsys, "query", *chair, "--people", PEOPLE, "may", "Erika Muster", "definieren",
                           "Strategie")
    assert lines[0] == 'may "Erika Muster" definieren Strategie: yes'
    assert "as Departementschef DIV, for Steuerungsausschuss" in lines[1]
    assert "(by interpretation: vorsitz_handelt_allein)" in lines[1]
    status, rows, _ = run_json(capsys, *chair, "--people", PEOPLE, "may Erika Muster definieren Strategie",
                               "may Max Beispiel definieren Strategie")
    assert [r["allowed"] for r in rows] == [True, False]
    assert rows[0]["actor"] == {"id": "erika_muster", "name": "Erika Muster", "kind": "person"}
    status, rows, _ = run_json(capsys, *chair, "--people", PEOPLE, "--at", "2019-01-01",
                               "may Erika Muster definieren Strategie")
    assert rows[0]["allowed"] is False  # not yet in office


# -- explain -------------------------------------------------------------------------------------------


def test_explain_a_question(capsys):
    status, lines, _ = run(capsys, "explain", "may", "StA", "umsetzen", "Strategie")
    assert status == 0
    assert lines[0].startswith("Steuerungsausschuss may implement Strategie Digitale Verwaltung Thurgau by "
                               "delegation: Regierungsrat → Steuerungsausschuss")
    assert lines[1] == "  may(steuerungsausschuss, implement, strategie)   [darf_aus_delegation]"
    assert lines[2] == "    ↳ Structure: a body may what a delegation step passed to it"


def test_explain_a_no_shows_why_not(capsys):
    status, lines, _ = run(capsys, "explain", "may Planungsausschuss abnehmen Schwerpunktplanung")
    assert status == 0
    assert lines[1] == "  may(planungsausschuss, approve, schwerpunktplanung) does not hold:"
    assert "        fails at: no competence(planungsausschuss, approve, schwerpunktplanung)" in lines
    assert lines[-1].startswith("  instead: Planungsausschuss may prepare Schwerpunktplanung")


def test_explain_a_ground_atom_and_several_queries(capsys):
    status, lines, _ = run(capsys, "explain", "member(steuerungsausschuss, staatsschreiber)", "chair of StA")
    assert status == 0
    assert lines[:3] == [
        "member(steuerungsausschuss, staatsschreiber) holds",
        "  member(steuerungsausschuss, staatsschreiber)   [sta_staatsschreiber]",
        "      « Departementschef DFS, dem Staatsschreiber »",
    ]
    assert re.match(r"    role_of\(staatsschreiber, staatskanzlei, staatsschreiber\)   "
                    r"\[data \S*organisation.toml:\d+: roles.staatsschreiber\]", lines[3])
    blank = lines.index("")
    assert lines[blank + 1] == "1 answer, each with its proof"
    assert lines[blank + 2] == ("  chair(steuerungsausschuss, departementschef_div)   "
                                "[sta_vorsitz_departementschef_div]")


def test_explain_json_and_errors(capsys):
    status, lines, _ = run(capsys, "explain", "--format", "json", "is TKB a consumer")
    (row,) = [json.loads(line) for line in lines]
    assert status == 0 and set(row) == {"query", "kind", "explanation", "policy"}
    assert row["explanation"]["why_not"]["goal"] == "consumer(thurgauer_kantonalbank)"
    status, lines, err = run(capsys, "explain", "member(steuerungsausschuss, X)")
    assert (status, lines) == (2, []) and "is not ground" in err
    status, _, err = run(capsys, "explain", "chair of Nowhere")
    assert status == 2 and "unknown body `Nowhere`" in err


# -- test -----------------------------------------------------------------------------------------------


BOARD = '.decl may(actor, action, object)\n@id(b1) @source("The board signs.")\nmay(board, sign, contract).\n'
BOARD_TESTS = """\
- name: the board signs
  may: [Board, sign, contract]
  expect: allow
- name: the board does not sign
  may: [board, sign, contract]
  expect: deny
"""


def test_test_runs_the_bundled_policy_tests(capsys):
    status, lines, _ = run(capsys, "test")
    assert status == 0
    assert any(re.match(r"\d+ passed, 0 failed", line) for line in lines)


def test_test_reports_failures_and_exits_1(tmp_path, capsys):
    (tmp_path / "board.dl").write_text(BOARD, encoding="utf-8")
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "board.yaml").write_text(BOARD_TESTS, encoding="utf-8")
    status, lines, _ = run(capsys, "test", str(tmp_path))
    assert status == 1
    failure = "board.yaml:4: the board does not sign: expected deny, got allow"
    assert any(line.endswith(failure) for line in lines)
    assert "1 passed, 1 failed (2 cases in 1 file)" in lines
    status, lines, _ = run(capsys, "test", "-v", str(tmp_path))
    assert any(line.endswith("board.yaml:1: the board signs: ok") for line in lines)
    status, lines, _ = run(capsys, "test", "--format", "json", str(tmp_path))
    (report,) = [json.loads(line) for line in lines]
    assert status == 1 and (report["passed"], report["failed"]) == (1, 1)


def test_test_of_a_policy_without_tests_exits_2(tmp_path, capsys):
    (tmp_path / "board.dl").write_text(BOARD, encoding="utf-8")
    status, lines, err = run(capsys, "test", str(tmp_path))
    assert (status, lines) == (2, []) and "no test files" in err
    status, _, err = run(capsys, "test", str(tmp_path / "nowhere"))
    assert status == 2 and err


# -- colour --------------------------------------------------------------------------------------------


def test_colour_only_on_a_terminal_and_never_with_no_color(monkeypatch, capsys):
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.delenv("TERM", raising=False)
    main(["query", "--lang", "en", "may Regierungsrat approve Strategie"])
    assert "\033[" not in capsys.readouterr().out
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    main(["query", "--lang", "en", "may Regierungsrat approve Strategie",
          "may PA abnehmen Schwerpunktplanung"])
    out = capsys.readouterr().out
    assert "\033[1;32myes\033[0m" in out and "\033[1;31mno\033[0m" in out
    assert "\033[1mmay Regierungsrat approve Strategie\033[0m" in out
    main(["query", "--lang", "en", "--format", "json", "may Regierungsrat approve Strategie"])
    assert "\033[" not in capsys.readouterr().out  # JSON is never coloured
    monkeypatch.setenv("NO_COLOR", "1")
    main(["query", "--lang", "en", "may Regierungsrat approve Strategie"])
    assert "\033[" not in capsys.readouterr().out


# -- help and version ----------------------------------------------------------------------------------


COMMANDS = ("query", "explain", "check", "test", "graph", "fmt", "diff", "trace", "interpretations", "report",
            "build", "keygen", "people", "log", "serve")


def test_every_command_is_listed_and_has_help_with_examples(capsys):
    assert main(["--help"]) == 0
    top = capsys.readouterr().out
    for command in COMMANDS:
        assert command in top
        assert main([command, "--help"]) == 0
        out = capsys.readouterr().out
        assert "examples:" in out and f"python -m kdv_policy {command}" in out, command
    subcommands = next(a for a in build_parser()._actions if a.dest == "command").choices
    assert set(subcommands) == set(COMMANDS)


def test_query_help_lists_the_forms_and_exit_status(capsys):
    assert main(["query", "--lang", "en", "--help"]) == 0
    out = capsys.readouterr().out
    for form in ("may ACTOR ACTION OBJECT", "who may ACTION OBJECT", "what may ACTOR", "who serves UNIT",
                 "members of BODY", "chair of BODY", "who is responsible for UNIT", "is UNIT a consumer"):
        assert form in out
    german = ("darf AKTEUR OBJEKT VERB?", "wer darf OBJEKT VERB?", "wer hat den Vorsitz im GREMIUM?")
    assert all(form in out for form in german)
    assert out.index("darf AKTEUR OBJEKT VERB?") < out.index("may ACTOR ACTION OBJECT")  # German first
    for option in ("--format", "--rules", "--people", "--at", "--explain", "--fail-on-deny", "--file"):
        assert option in out
    assert "Exit status" in out


def test_version_and_help_in_a_subprocess():
    out = subprocess.run([sys.executable, "-m", "kdv_policy", "--version"], capture_output=True, text=True)
    assert out.returncode == 0 and out.stdout.startswith("kdv_policy ")
    out = subprocess.run([sys.executable, "-m", "kdv_policy", "query", "--help"],
                         capture_output=True, text=True)
    assert out.returncode == 0 and "examples:" in out.stdout


def test_version_in_process(capsys):
    from kdv_policy import __version__

    assert main(["--version"]) == 0
    assert capsys.readouterr().out == f"kdv_policy {__version__}\n"


# -- the examples of docs/cli.md -----------------------------------------------------------------------


def doc_examples() -> list[tuple[str, list[str]]]:
    """Each `$ python -m kdv_policy ...` line of a console block of docs/cli.md with the lines it shows."""
    examples: list[tuple[str, list[str]]] = []
    for block in re.findall(r"^```console\n(.*?)^```", CLI_DOC.read_text(encoding="utf-8"), re.S | re.M):
        for line in block.splitlines():
            if line.startswith("$ "):
                examples.append((line[2:], []))
            else:
                examples[-1][1].append(line)
    return examples


ELIDED = '"explanation": {…}'


def _same(shown: str, printed: str) -> bool:
    """A line as the docs show it: `{…}` elides an explanation, `…` elsewhere any text; a JSON
    line need not show its `policy` field."""
    if shown.startswith("{") and printed.startswith("{"):
        expected, actual = json.loads(shown.replace(ELIDED, '"explanation": null')), json.loads(printed)
        if ELIDED in shown:
            actual["explanation"] = None
        if "policy" not in expected:
            actual.pop("policy", None)
        return expected == actual
    if "…" in shown:
        return re.fullmatch(re.escape(shown).replace("…", ".+"), printed) is not None
    return shown == printed


def _as_shown(out: str, err: str, shown: list[str]) -> list[str]:
    """What a command printed, as the docs show it: the line naming the policy (on stderr) first
    when the example shows it, and left out when it does not."""
    lines = (out + err).splitlines()
    line = ("policy: ", "Policy: ")  # in the output's language
    named = [x for x in lines if x.startswith(line)]
    rest = [x for x in lines if not x.startswith(line)]
    return named + rest if shown and shown[0].startswith(line) else rest


@pytest.mark.parametrize(("command", "shown"), doc_examples(), ids=lambda x: x if isinstance(x, str) else "")
def test_docs_cli_examples_print_what_they_show(command, shown, capsys, monkeypatch):
    monkeypatch.chdir(ROOT)
    words = shlex.split(command)
    assert words[:3] == ["python", "-m", "kdv_policy"], command
    main(words[3:])  # as the docs show it: the policy's language, German
    out, err = capsys.readouterr()
    printed = _as_shown(out, err, shown)
    assert len(printed) == len(shown) and all(_same(s, p) for s, p in zip(shown, printed, strict=True)), (
        "docs/cli.md shows:\n" + "\n".join(shown) + "\n\nbut the command prints:\n" + "\n".join(printed))


def test_docs_cli_has_examples():
    assert len(doc_examples()) >= 15


# -- fmt and diff ------------------------------------------------------------------------------------

def test_fmt_check_then_rewrite(tmp_path, capsys):
    rules = tmp_path / "rules"
    rules.mkdir()
    messy = rules / "p.dl"
    messy.write_text('.decl p(x).\n@id(a)   @source("s")  p(1) .  % kept\n', encoding="utf-8")
    before = messy.read_text(encoding="utf-8")
    for flags in (["--check", "--diff"], ["--diff"]):  # a diff never writes
        assert main(["fmt", *flags, str(rules)]) == 1
        out = capsys.readouterr().out
        assert f"would reformat {messy}" in out and '+@source("s")' in out
        assert messy.read_text(encoding="utf-8") == before
    assert main(["fmt", str(rules)]) == 0
    assert messy.read_text(encoding="utf-8") == '.decl p(x)\n@id(a)\n@source("s")\np(1).  % kept\n'
    assert main(["fmt", "--check", str(rules)]) == 0
    assert "1 file already formatted" in capsys.readouterr().out


def test_fmt_of_a_broken_file_exits_2(tmp_path, capsys):
    (tmp_path / "p.dl").write_text("p(X :- q.\n", encoding="utf-8")
    assert main(["fmt", str(tmp_path)]) == 2
    assert "error:" in capsys.readouterr().err


def _policy(directory, extra=""):
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "p.dl").write_text(
        '.decl may(a, b, c)\n@id(m1) @source("s") may(board, sign, contract).\n' + extra, encoding="utf-8")
    return directory


def test_diff_exit_status_is_a_ci_gate(tmp_path, capsys):
    old = _policy(tmp_path / "old")
    new = _policy(tmp_path / "new", '@id(m2) @source("s") may(board, sign, lease).\n')
    assert main(["diff", str(old), str(old)]) == 0
    assert main(["diff", str(old), str(new)]) == 1
    out = capsys.readouterr().out
    assert "1 gained, 0 lost" in out and "+ may(board, sign, lease)" in out
    assert main(["diff", "--format", "json", str(new), str(old)]) == 1
    data = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert [(c["change"], c["atom"]) for c in data["changes"]] == [("lost", "may(board, sign, lease)")]
    assert data["changes"][0]["explanation"]["proofs"][0]["id"] == "m2"


def test_diff_against_a_git_revision(tmp_path, capsys):
    git = shutil.which("git") or "git"  # .ci/run installs git
    repo = tmp_path / "repo"
    rules = _policy(repo / "rules")
    env = {**os.environ, "GIT_AUTHOR_NAME": "a", "GIT_AUTHOR_EMAIL": "a@b", "GIT_COMMITTER_NAME": "a",
           "GIT_COMMITTER_EMAIL": "a@b"}
    for cmd in (["init", "-q"], ["add", "."], ["commit", "-qm", "rules"]):
        subprocess.run([git, "-C", str(repo), *cmd], check=True, env=env)
    _policy(rules, '@id(m2) @source("s") may(board, sign, lease).\n')
    assert main(["diff", "git:HEAD", str(rules)]) == 1
    assert "+ may(board, sign, lease)" in capsys.readouterr().out
    assert main(["diff", "git:no-such-rev", str(rules)]) == 2
    assert "at git revision `no-such-rev`" in capsys.readouterr().err


def test_check_reports_a_broken_governance_invariant(tmp_path, capsys):
    rules = tmp_path / "rules"
    shutil.copytree(REPO_RULES, rules)
    with open(rules / "delegation.dl", "a", encoding="utf-8") as f:
        f.write('\n@id(zurueck) @source("delegiert die Umsetzung der Strategie an den Steuerungsausschuss")\n'
                "delegates(steuerungsausschuss, regierungsrat, implement, strategie).\n")
    assert main(["check", str(rules)]) == 1
    out = capsys.readouterr().out
    assert "error: `regierungsrat` is on a delegation cycle" in out and "[invariant-delegation-cycle]" in out
    assert "2 errors, 0 warnings" in out
