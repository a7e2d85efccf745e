"""More of what people type, German and English, each on both sides: name-first questions
("der Regierungsrat darf ..."), "does/can X ...", verb-first ("genehmigt der Regierungsrat ...?"),
"ist X Mitglied im Y?", "hat X den Vorsitz im Y?", "erbringt X Leistungen für Y?", "who's",
"wer ist Vorsitzender des ...", counting ("wie viele Mitglieder hat ..."), a date in the question
("am 1.3.2026", "on 2026-03-01"), and "und"/"oder" joining two names or verbs (an error that
says which two questions to ask).
"""

from __future__ import annotations

import datetime
import json

import pytest

from kdv_policy.cli.main import main
from kdv_policy.policy.api import Policy
from kdv_policy.policy.names import UnknownNameError
from kdv_policy.policy.questions import JoinedError, QuestionError


@pytest.fixture(scope="module")
def policy() -> Policy:
    return Policy.load()


YES_NO = [
    # name first, German and English
    ("der Regierungsrat darf die Strategie verabschieden?", "may", True),
    ("der Planungsausschuss darf die Strategie verabschieden?", "may", False),
    ("der Regierungsrat kann die Strategie verabschieden", "may", True),
    ("der Planungsausschuss kann die Schwerpunktplanung abnehmen?", "may", False),
    ("the Regierungsrat may approve the Strategie?", "may", True),
    ("the Planungsausschuss may approve the Strategie?", "may", False),
    ("RR can approve the Strategie", "may", True),
    ("PA can approve the Strategie", "may", False),
    # verb first (German), does (English)
    ("genehmigt der Regierungsrat die Strategie?", "may", True),
    ("genehmigt der Planungsausschuss die Strategie?", "may", False),
    ("nimmt der Steuerungsausschuss die Schwerpunktplanung ab?", "may", True),
    ("nimmt der Planungsausschuss die Schwerpunktplanung ab?", "may", False),
    ("does the Regierungsrat approve the Strategie?", "may", True),
    ("does PA approve the Strategie?", "may", False),
    ("can the StA implement the Strategie?", "may", True),
    # membership
    ("ist der Staatsschreiber Mitglied im Steuerungsausschuss?", "is_member", True),
    ("ist der Regierungsrat Mitglied im Steuerungsausschuss?", "is_member", False),
    ("ist der Generalsekretär DEK ein Mitglied des Steuerungsausschusses?", "is_member", True),
    ("gehört der Staatsschreiber zum Steuerungsausschuss?", "is_member", True),
    ("gehört der Staatsschreiber zur Konferenz?", "is_member", False),
    ("is the Staatsschreiber a member of the StA?", "is_member", True),
    ("is RR a member of StA", "is_member", False),
    ("does the Staatsschreiber belong to the Planungsausschuss?", "is_member", False),
    # chair
    ("hat der Departementschef DIV den Vorsitz im Steuerungsausschuss?", "is_chair", True),
    ("hat der Staatsschreiber den Vorsitz im Steuerungsausschuss?", "is_chair", False),
    ("ist der Departementschef DIV Vorsitzender des Steuerungsausschusses?", "is_chair", True),
    ("is the Departementschef DIV the chair of the StA?", "is_chair", True),
    ("does the Staatsschreiber chair the StA?", "is_chair", False),
    # services
    ("erbringt das Kompetenzzentrum Leistungen für das Bezirksamt Arbon?", "is_serves", True),
    ("erbringt das Kompetenzzentrum Leistungen für die Gemeinde Frauenfeld?", "is_serves", False),
    ("dient das KDV dem Bezirksamt Arbon?", "is_serves", True),
    ("does the KDV serve the Bezirksamt Arbon?", "is_serves", True),
    ("does the KDV serve the Gemeinde Frauenfeld?", "is_serves", False),
]


@pytest.mark.parametrize(("question", "kind", "allowed"), YES_NO)
def test_yes_no_questions_through_the_api(policy, question, kind, allowed):
    reply = policy.answer(question)
    row = reply.json()
    assert (row["kind"], row["allowed"]) == (kind, allowed)
    assert reply.denied is not allowed


@pytest.mark.parametrize(("question", "kind", "allowed"), YES_NO)
def test_yes_no_questions_through_the_cli(question, kind, allowed, capsys):
    status = main(["query", question])
    out = capsys.readouterr().out.splitlines()
    german = policy_language(question) == "de"
    word = ("ja" if allowed else "nein") if german else ("yes" if allowed else "no")
    assert status == 0 and out[0] == f"{question}: {word}"


def policy_language(question: str) -> str | None:
    return Policy.load().answer(question).query.language


def test_a_membership_answer_is_a_sentence_with_the_names_cases(policy):
    text = policy.answer("ist der Regierungsrat Mitglied im Steuerungsausschuss?").text()
    assert text.splitlines()[1] == "  Der Regierungsrat ist nicht Mitglied des Steuerungsausschusses."
    text = policy.answer("erbringt das Kompetenzzentrum Leistungen für die Gemeinde Frauenfeld?").text()
    assert text.splitlines()[1] == ("  Das Kompetenzzentrum Digitale Verwaltung erbringt keine Leistungen "
                                    "für die Politische Gemeinde Frauenfeld.")
    english = policy.in_language("en").answer("is RR a member of StA").text()
    assert english.splitlines()[1] == "  Regierungsrat is no member of Steuerungsausschuss."
    row = policy.answer("ist der Staatsschreiber Mitglied im StA?").json()
    assert row["actor"]["id"] == "staatsschreiber" and row["body"]["id"] == "steuerungsausschuss"
    assert row["resolved"] == "member(steuerungsausschuss, staatsschreiber)"
    assert row["explanation"]["proofs"]


LISTS = [
    ("wer ist Vorsitzender des Steuerungsausschusses?", "chair", {"departementschef_div"},
     {"staatsschreiber"}),
    ("wer ist die Vorsitzende der Konferenz?", "chair", set(), {"departementschef_div"}),
    ("who's the chair of the StA?", "chair", {"departementschef_div"}, {"staatsschreiber"}),
    ("who's in the Planungsausschuss?", "members", {"dv_dek"}, {"staatsschreiber"}),
    ("wer ist im Steuerungsausschuss?", "members", {"staatsschreiber"}, {"dv_dek"}),
]


@pytest.mark.parametrize(("question", "kind", "inside", "outside"), LISTS)
def test_more_list_forms(policy, question, kind, inside, outside):
    row = policy.answer(question).json()
    ids = {a["id"] for a in row["answers"]}
    assert row["kind"] == kind and inside <= ids and not outside & ids
    if not inside:
        assert not ids


@pytest.mark.parametrize(("question", "count", "at_least", "head"), [
    ("wie viele Mitglieder hat der Steuerungsausschuss?", 11, False, "11 Mitglieder"),
    ("wie viele Mitglieder hat die Konferenz?", 9, True, "mindestens 9 Mitglieder"),
    ("wie viele Mitglieder sind im Planungsausschuss?", 8, False, "8 Mitglieder"),
    ("how many members does the StA have?", 11, False, "11 members"),
    ("how many members has the Kontaktgremium?", 3, False, "3 members"),
    ("how many members are in the Konferenz", 9, True, "at least 9 members"),
])
def test_counting_members(question, count, at_least, head, capsys):
    status = main(["query", question])
    out = capsys.readouterr().out.splitlines()
    assert status == 0 and out[0] == f"{question}: {head}"
    assert len([line for line in out[1:] if line.startswith("  ") and "[" in line]) == count + at_least
    status = main(["query", "--format", "json", question])
    row = json.loads(capsys.readouterr().out)
    assert (row["kind"], row["count"], row["at_least"]) == ("members", count, at_least)


@pytest.mark.parametrize(("question", "date", "answers"), [
    ("was darf das Kompetenzzentrum am 1.3.2021?", datetime.date(2021, 3, 1), 6),
    ("was darf das Kompetenzzentrum am 1.3.2020?", datetime.date(2020, 3, 1), 0),  # not yet established
    ("was darf das Kompetenzzentrum am 1. März 2021?", datetime.date(2021, 3, 1), 6),
    ("what may the KDV do on 2021-03-01?", datetime.date(2021, 3, 1), 6),
    ("what may the KDV do as of 1 March 2020?", datetime.date(2020, 3, 1), 0),
    ("what may the KDV do on March 1, 2021", datetime.date(2021, 3, 1), 6),
    ("was darf das Kompetenzzentrum per 2020-03-01", datetime.date(2020, 3, 1), 0),
])
def test_a_date_in_the_question_asks_as_of_that_date(policy, question, date, answers):
    reply = policy.answer(question)
    assert reply.query.at == date
    row = reply.json()
    assert row["at"] == date.isoformat() and len(row["answers"]) == answers
    if not answers:
        assert row["undetermined"]  # the text does not say whether it exists then
    assert "at" not in policy.answer("was darf das Kompetenzzentrum?").json()


def test_a_dated_yes_no_question_on_both_sides(policy):
    assert policy.answer("darf das Kompetenzzentrum am 1.3.2021 die Strategie umsetzen?").json()["allowed"]
    before = policy.answer("darf das Kompetenzzentrum am 1.3.2020 die Strategie umsetzen?").json()
    assert not before["allowed"] and before["status"] == "undetermined"


@pytest.mark.parametrize(("question", "language", "shown"), [
    ("darf der Regierungsrat am 31.2.2026 die Strategie verabschieden?", "de", "kein Kalenderdatum"),
    ("may RR approve the Strategie on 2026-02-30?", "en", "no date of the calendar"),
    ("darf der Regierungsrat am 1.3.2026 die Strategie am 2.3.2026 verabschieden?", "de", "zwei Daten"),
])
def test_a_date_that_does_not_exist_is_an_error_in_the_questions_language(policy, question, language, shown):
    with pytest.raises(QuestionError) as info:
        policy.answer(question)
    assert info.value.language == language and shown in str(info.value)


@pytest.mark.parametrize(("question", "language", "first", "second"), [
    ("darf der Regierungsrat oder der Planungsausschuss die Strategie verabschieden?", "de",
     "darf der Regierungsrat die Strategie verabschieden?",
     "darf der Planungsausschuss die Strategie verabschieden?"),
    ("wer darf die Strategie genehmigen oder umsetzen?", "de",
     "wer darf die Strategie genehmigen?", "wer darf die Strategie umsetzen?"),
    ("ist der Staatsschreiber Mitglied im StA und im PA?", "de",
     "ist der Staatsschreiber Mitglied im StA?", "ist der Staatsschreiber Mitglied im PA?"),
    ("may the RR or the PA approve the Strategie?", "en",
     "may the RR approve the Strategie?", "may the PA approve the Strategie?"),
    ("may RR or PA approve the Strategie?", "en",
     "may RR approve the Strategie?", "may PA approve the Strategie?"),
    ("members of StA and PA", "en", "members of StA", "members of PA"),
])
def test_und_oder_asks_one_question_at_a_time(policy, question, language, first, second):
    with pytest.raises(JoinedError) as info:
        policy.answer(question)
    err = info.value
    assert err.language == language and err.questions == (first, second)
    assert f"`{first}`" in str(err) and f"`{second}`" in str(err)
    assert ("fragen Sie einzeln" in str(err)) == (language == "de")


def test_a_name_with_und_in_it_is_no_join(policy):
    row = policy.answer("wer ist für das Departement für Bau und Umwelt verantwortlich?").json()
    assert {a["id"] for a in row["answers"]} == {"dv_dbu"}


def test_a_join_through_the_cli_exits_2_with_the_two_questions(capsys):
    status = main(["query", "--format", "json", "darf der RR oder der PA die Strategie verabschieden?"])
    captured = capsys.readouterr()
    assert status == 2
    row = json.loads(captured.out)
    assert row["error"]["type"] == "joined"
    assert row["error"]["questions"] == ["darf der RR die Strategie verabschieden?",
                                         "darf der PA die Strategie verabschieden?"]
    assert captured.err.startswith("Fehler: die Frage `darf der RR oder der PA")


def test_a_typo_in_a_new_form_still_gets_suggestions(policy):
    with pytest.raises(UnknownNameError) as info:
        policy.answer("ist der Staatsschreiber Mitglied im Steuerungsauschuss?")
    assert [e.id for e in info.value.suggestions][:1] == ["steuerungsausschuss"]
    with pytest.raises(UnknownNameError) as info:
        policy.answer("der Regierungsrath darf die Strategie verabschieden?")
    assert [e.id for e in info.value.suggestions][:1] == ["regierungsrat"]
