"""Questions as people type them, German and English: the API (`Policy.answer`) and the CLI.

Each form is asked on both sides: a question answered yes and one answered no, or a list with
who is in it and who is not. The verbs come from the policy directory's `[[actions]]`: a new
verb in the data works without code changes (a small policy directory shows it).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from kdv_policy.cli.main import main
from kdv_policy.data import parse_data
from kdv_policy.errors import PolicyLoadError
from kdv_policy.policy.api import Policy
from kdv_policy.policy.names import UnknownNameError
from kdv_policy.policy.questions import QuestionError


@pytest.fixture(scope="module")
def policy():
    return Policy.load()


GERMAN = {"yes": "ja", "no": "nein", "1 answer": "1 Antwort"}
"""The CLI's answer words in German: a question asked in German is answered in German."""


def said(question: str, word: str, policy: Policy | None = None) -> str:
    """``word`` as the CLI says it for ``question``: in the language the question was asked in."""
    language = (policy or Policy.load()).answer(question).query.language
    return GERMAN.get(word, word) if language == "de" else word


# -- yes/no questions: both sides -------------------------------------------------------------------

DECISIONS = [
    # German
    ("darf der Regierungsrat die Strategie verabschieden?", True),
    ("darf der Planungsausschuss die Strategie verabschieden?", False),
    ("darf der Steuerungsausschuss die Schwerpunktplanung genehmigen?", True),
    ("darf der Planungsausschuss die Schwerpunktplanung abnehmen?", False),
    ("darf der StA die Strategie umsetzen?", True),
    ("darf der Regierungsrat die Strategie umsetzen?", False),
    ("darf der Planungsausschuss die Strategie nicht verabschieden?", False),  # "nicht" asks the same
    ("warum darf der Planungsausschuss die Strategie nicht verabschieden?", False),
    ("warum darf der Regierungsrat die Strategie verabschieden?", True),
    ('darf "Departementschef DIV" die Strategie definieren', False),
    ("ist das Obergericht Leistungsbezüger?", True),
    ("ist die Gemeinde Frauenfeld Leistungsbezügerin?", False),
    ("ist das Bezirksamt Arbon eine Leistungsbezügerin", True),
    # English
    ("may RR approve the Strategie", True),
    ("may the Planungsausschuss approve the Strategie?", False),
    ("may Regierungsrat approve Strategie", True),
    ("why may PA not approve the Strategie?", False),
    ("why may the Regierungsrat approve the Strategie?", True),
    ("is the Obergericht a consumer?", True),
    ("is the Gemeinde Frauenfeld a consumer?", False),
]


@pytest.mark.parametrize(("question", "allowed"), DECISIONS)
def test_yes_no_questions_through_the_api(policy, question, allowed):
    reply = policy.answer(question)
    assert reply.json()["allowed"] is allowed
    assert reply.denied is not allowed


@pytest.mark.parametrize(("question", "allowed"), DECISIONS)
def test_yes_no_questions_through_the_cli(question, allowed, capsys):
    status = main(["query", question])
    out = capsys.readouterr().out.splitlines()
    assert status == 0
    assert out[0] == f"{question}: {said(question, 'yes' if allowed else 'no')}"


def test_why_answers_with_the_explanation(policy):
    denied = policy.answer("warum darf der Planungsausschuss die Strategie nicht verabschieden?")
    plain = policy.answer("darf der Planungsausschuss die Strategie verabschieden?")
    assert denied.text() != plain.text()
    assert denied.text().splitlines()[1:] == ["  " + line if line else line
                                              for line in plain.explanation.render().splitlines()]
    allowed = policy.answer("why may the Regierungsrat approve the Strategie?")
    assert "Der Regierungsrat verabschiedet die Strategie" in allowed.text()


# -- list questions: who is in the answer and who is not ----------------------------------------------

LISTS = [
    # German
    ("wer darf die Schwerpunktplanung abnehmen?", "who_may", {"steuerungsausschuss"}, {"planungsausschuss"}),
    ("wer nimmt die Schwerpunktplanung ab?", "who_may", {"steuerungsausschuss"}, {"planungsausschuss"}),
    ("wer genehmigt die Schwerpunktplanung?", "who_may", {"steuerungsausschuss"}, {"planungsausschuss"}),
    ("wer bereitet die Schwerpunktplanung vor?", "who_may", {"planungsausschuss"}, {"steuerungsausschuss"}),
    ("wer verabschiedet die Strategie?", "who_may", {"regierungsrat"}, {"planungsausschuss"}),
    ("was darf der Planungsausschuss?", "what_may", {"prepare schwerpunktplanung"},
     {"approve schwerpunktplanung"}),
    ("wer erbringt Leistungen für das Bezirksamt Arbon?", "who_serves", {"kompetenzzentrum"}, set()),
    ("wer erbringt Leistungen für die Gemeinde Frauenfeld?", "who_serves", set(), {"kompetenzzentrum"}),
    ("wer ist Mitglied im Steuerungsausschuss?", "members", {"departementschef_div", "staatsschreiber"},
     {"regierungsrat"}),
    ("Mitglieder des Steuerungsausschusses", "members", {"departementschef_div", "staatsschreiber"},
     {"regierungsrat"}),
    ("wer ist Mitglied vom Steuerungsausschuss", "members", {"staatsschreiber"}, {"regierungsrat"}),
    ("wer gehört zur Konferenz?", "members", {"dv_dek"}, {"regierungsrat"}),
    ("wer hat den Vorsitz im Steuerungsausschuss?", "chair", {"departementschef_div"}, {"staatsschreiber"}),
    ("wer hat den Vorsitz in der Konferenz?", "chair", set(), {"departementschef_div"}),
    ("wer ist für das DEK verantwortlich?", "responsible_for", {"dv_dek"}, {"dv_div"}),
    ("wer ist für das Departement fuer Erziehung und Kultur verantwortlich?", "responsible_for",
     {"dv_dek"}, {"dv_div"}),
    ("wer hat die Umsetzung der Strategie an wen delegiert?", "delegations",
     {"regierungsrat steuerungsausschuss"}, {"steuerungsausschuss regierungsrat"}),
    # English
    ("who may approve the Schwerpunktplanung?", "who_may", {"steuerungsausschuss"}, {"planungsausschuss"}),
    ("who approves the Strategie?", "who_may", {"regierungsrat"}, {"planungsausschuss"}),
    ("what may the Planungsausschuss do?", "what_may", {"prepare schwerpunktplanung"},
     {"approve schwerpunktplanung"}),
    ("who serves the Bezirksamt Arbon?", "who_serves", {"kompetenzzentrum"}, set()),
    ("who is a member of the Steuerungsausschuss?", "members", {"staatsschreiber"}, {"regierungsrat"}),
    ("members of the StA", "members", {"staatsschreiber"}, {"regierungsrat"}),
    ("who chairs the Steuerungsausschuss?", "chair", {"departementschef_div"}, {"staatsschreiber"}),
    ("who chairs the Konferenz", "chair", set(), {"departementschef_div"}),
    ("who is responsible for the DEK?", "responsible_for", {"dv_dek"}, {"dv_div"}),
    ("who delegated the Umsetzung der Strategie to whom?", "delegations",
     {"regierungsrat steuerungsausschuss"}, set()),
]


def _keys(row: dict) -> set[str]:
    out = set()
    for answer in row["answers"]:
        if "action" in answer and "delegator" not in answer:
            out.add(f"{answer['action']['id']} {answer['object']['id']}")
        elif "delegator" in answer:
            out.add(f"{answer['delegator']['id']} {answer['delegate']['id']}")
        else:
            out.add(answer["id"])
    return out


@pytest.mark.parametrize(("question", "kind", "inside", "outside"), LISTS)
def test_list_questions_through_the_api(policy, question, kind, inside, outside):
    row = policy.answer(question).json()
    assert row["kind"] == kind
    keys = _keys(row)
    assert inside <= keys
    assert not outside & keys
    if not inside:
        assert not keys


@pytest.mark.parametrize(("question", "kind", "inside", "outside"), LISTS)
def test_list_questions_through_the_cli(question, kind, inside, outside, capsys):
    status = main(["query", "--format", "json", question])
    (row,) = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert status == 0 and row["query"] == question and row["kind"] == kind
    assert inside <= _keys(row) and not outside & _keys(row)


# -- names, typos, Datalog ------------------------------------------------------------------------------


def test_a_typo_in_a_german_question_names_the_name_with_a_suggestion(policy):
    with pytest.raises(UnknownNameError) as info:
        policy.answer("darf der Regierungsrath die Strategie verabschieden?")
    assert info.value.name == "Regierungsrath"
    assert [e.id for e in info.value.suggestions][:1] == ["regierungsrat"]


def test_datalog_still_answers(policy):
    assert policy.answer("chair(steuerungsausschuss, X)").json()["answers"] == [{"X": "departementschef_div"}]


def test_the_argv_words_of_a_german_question_are_one_question(capsys):
    status = main(["query", "wer", "darf", "die", "Schwerpunktplanung", "abnehmen?"])
    out = capsys.readouterr().out.splitlines()
    assert status == 0 and out[0] == "wer darf die Schwerpunktplanung abnehmen?: 1 Antwort"


def test_a_batch_file_of_german_and_english_questions(tmp_path, capsys):
    path = tmp_path / "fragen.txt"
    path.write_text("darf der Regierungsrat die Strategie verabschieden?\nwho chairs the StA\n"
                    "wer hat den Vorsitz im StA?\n", encoding="utf-8")
    status = main(["query", "--file", str(path)])
    out = [line for line in capsys.readouterr().out.splitlines() if not line.startswith(" ")]
    assert status == 0
    # each in the language it was asked in
    assert out == ["darf der Regierungsrat die Strategie verabschieden?: ja", "who chairs the StA: 1 answer",
                   "wer hat den Vorsitz im StA?: 1 Antwort"]


def test_fail_on_deny_fails_on_a_german_no(capsys):
    assert main(["query", "--fail-on-deny", "darf der Regierungsrat die Strategie verabschieden?"]) == 0
    assert main(["query", "--fail-on-deny", "darf der Planungsausschuss die Strategie verabschieden?"]) == 1


def test_explain_a_german_question(capsys):
    status = main(["explain", "--format", "json", "warum darf der Planungsausschuss die Strategie nicht "
                                                  "verabschieden?"])
    (row,) = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert status == 0 and row["kind"] == "may"
    assert row["explanation"]["why_not"]["goal"] == "may(planungsausschuss, approve, strategie)"


# -- a question the grammar cannot read --------------------------------------------------------------


@pytest.mark.parametrize(("question", "language", "nearest", "verb"), [
    ("wer entscheidet über die Strategie?", "de", "wer VERB die Strategie?", "entscheidet"),
    ("darf der Regierungsrat", "de", "darf der Regierungsrat OBJEKT VERB?", None),
    ("Mitglieder", "de", "Mitglieder des GREMIUM", None),
    ("ist der Regierungsrat", "de", "ist der Regierungsrat Leistungsbezügerin?", None),
    ("who decides about the Strategie", "en", "who ACTION the Strategie?", "decides"),
    ("Regierungsrat approve Strategie", "en", "may Regierungsrat approve Strategie?", None),
])
def test_an_unreadable_question_gets_the_nearest_form_in_its_language(policy, question, language, nearest,
                                                                       verb):
    with pytest.raises(QuestionError) as info:
        policy.answer(question)
    assert (info.value.language, info.value.nearest) == (language, nearest)
    message = str(info.value)
    assert f"`{nearest}`" in message
    assert ("fragen Sie so" in message) == (language == "de")
    if verb:
        assert f"`{verb}`" in message and ("genehmigen" if language == "de" else "approve") in message


def test_an_unreadable_german_question_exits_2_in_german(capsys):
    status = main(["query", "wer entscheidet über die Strategie?"])
    captured = capsys.readouterr()
    assert status == 2 and captured.out == ""
    assert "die Frage `wer entscheidet über die Strategie?` kann ich nicht lesen" in captured.err
    assert "fragen Sie so: `wer VERB die Strategie?`" in captured.err
    status = main(["query", "--format", "json", "wer entscheidet über die Strategie?"])
    (row,) = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert status == 2
    assert row["error"]["type"] == "unknown-form" and row["error"]["language"] == "de"
    assert row["error"]["nearest"] == "wer VERB die Strategie?"


# -- the vocabulary is data ----------------------------------------------------------------------------

BOARD = """\
.decl may(actor, action, object)
.decl body(body)
.decl in_phase(body, phase)
@id(b1) @source("Der Vorstand unterzeichnet den Vertrag.")
may(vorstand, sign, vertrag).
"""
BOARD_DATA = """\
[[phases]]
number = 1
name = "Eins"

[[bodies]]
id = "vorstand"
name = "Vorstand"

[[bodies]]
id = "beirat"
name = "Beirat"

[[actions]]
id = "sign"
name = "unterzeichnen"
aliases = ["sign"]
forms = ["unterzeichnet", "zeichnet ab", "signs"]

[[objects]]
id = "vertrag"
name = "Vertrag"
"""


@pytest.fixture
def board(tmp_path: Path) -> Path:
    (tmp_path / "board.dl").write_text(BOARD, encoding="utf-8")
    (tmp_path / "organisation.toml").write_text(BOARD_DATA, encoding="utf-8")
    return tmp_path


@pytest.mark.parametrize(("question", "answer"), [
    ("darf der Vorstand den Vertrag unterzeichnen?", "yes"),
    ("darf der Beirat den Vertrag unterzeichnen?", "no"),
    ("wer unterzeichnet den Vertrag?", "1 answer"),
    ("wer zeichnet den Vertrag ab?", "1 answer"),
    ("who signs the Vertrag?", "1 answer"),
    ("may the Beirat sign the Vertrag", "no"),
])
def test_a_new_verb_in_the_data_works_without_code_changes(board, question, answer, capsys):
    status = main(["query", "--rules", str(board), question])
    out = capsys.readouterr().out.splitlines()
    assert status == 0 and out[0] == f"{question}: {said(question, answer, Policy.load(board))}"
    if answer == "1 answer":
        assert out[1].startswith("  Vorstand (vorstand)")


def test_a_verb_the_data_does_not_have_is_not_read(board):
    policy = Policy.load(board)
    with pytest.raises(QuestionError) as info:
        policy.answer("wer genehmigt den Vertrag?")  # a verb of the bundled policy, not of this one
    assert "`genehmigt`" in str(info.value) and "unterzeichnen" in str(info.value)


@pytest.mark.parametrize(("forms", "problem"), [
    ('["nimmt ab zu"]', "forms"),                      # a separable verb is two words
    ('["genehmigt", "genehmigt"]', None),                # a repeated form counts once
    ('["definieren"]', "`definieren` is already used by actions.approve"),  # another action's name
])
def test_verb_forms_are_validated(forms, problem):
    text = (f'[[actions]]\nid = "approve"\nname = "genehmigen"\nforms = {forms}\n\n'
            '[[actions]]\nid = "define"\nname = "definieren"\n')
    if problem is None:
        assert parse_data(text, "org.toml") is not None
        return
    with pytest.raises(PolicyLoadError) as info:
        parse_data(text, "org.toml")
    assert problem in str(info.value)


def test_import_kdv_policy_does_not_load_the_grammar_library():
    code = ("import sys, kdv_policy, kdv_policy.cli.main, kdv_policy.policy.questions; "
            "print('lark' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


@pytest.mark.parametrize(("question", "language"), [
    ("wer darf die Strategie verabschieden?", "de"), ("Mitglieder des StA", "de"),
    ("who approves the Strategie?", "en"), ("members of StA", "en"), ("chair(steuerungsausschuss, X)", None),
])
def test_the_reply_knows_the_language_it_was_asked_in(policy, question, language):
    assert policy.answer(question).query.language == language
