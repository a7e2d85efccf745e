"""Dates as the text gives them: deadlines and undated phases, and one consistent state per date.

* "bis Ende 2020 ... etabliert" is a deadline, not a founding date: before 2020-12-31 what
  rests on the Kompetenzzentrum is undetermined by the text (``bool`` False, deny by default,
  but ``status == "undetermined"`` with the sentence, never a "no").
* The Kontaktgremium is set up "in einer zweiten Phase", which the text does not date: without
  a date the answer says it depends on that phase; as of a date before a known start of the
  phase, the denial cites the phase-2 sentence.
* As of any date from 2015 to 2030 (hypothesis), the answers form one state: every body exists,
  does not exist yet, or is undetermined, exactly one; a member, a chair, a consumer and an
  actor that may act belong to a body that exists; a consumer has a provider and a provider
  serves consumers only; nothing is both undetermined and decided.
"""

from __future__ import annotations

import datetime
import json
import re
from functools import cache
from pathlib import Path

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from kdv_policy import Policy
from kdv_policy.cli.main import main

ROOT = Path(__file__).resolve().parents[1]
RULES = ROOT / "rules"
SOURCE_TEXT = (RULES / "source-text.txt").read_text(encoding="utf-8")

DEADLINE_SENTENCE = ("Als Umsetzungsorganisation wird bis Ende 2020 ein Kompetenzzentrum Digitale Verwaltung "
                     "als administrativ dem Departement für Inneres und Volkswirtschaft (DIV) unterstellte "
                     "Abteilung etabliert.")
PHASE_SENTENCE = "Dieses wird nach einem Dialog gemeinsam mit den Partnern in einer zweiten Phase umgesetzt."
REGIERUNGSRAT_SENTENCE = "Der Regierungsrat verabschiedet die Strategie"
POLICY_LINE = re.compile(r"^policy: .*\n?", re.MULTILINE)


@cache
def bundled() -> Policy:
    return Policy.load(RULES, lang="en")  # these tests assert the English wording


@cache
def as_of(day: datetime.date) -> Policy:
    return bundled().at(day)


# -- (f) a deadline is not a founding date -------------------------------------------------------


def test_before_the_deadline_the_text_does_not_decide_whether_the_kdv_leads():
    decision = as_of(datetime.date(2020, 12, 30)).may("Kompetenzzentrum", "leiten", "Impulsprogramm")
    assert not decision  # fails closed: an authorisation check denies
    assert decision.status == "undetermined" and decision.determined is False
    assert [q.citation for q in decision.open_questions] == [DEADLINE_SENTENCE]
    assert decision.open_questions[0].subject.id == "kompetenzzentrum"
    summary = decision.explanation.summary
    assert "does not decide" in summary and "2020-12-30" in summary and DEADLINE_SENTENCE in summary
    assert "Nobody may" not in summary and "may not" not in summary
    dumped = json.loads(decision.model_dump_json())
    assert dumped["status"] == "undetermined" and dumped["allowed"] is False
    assert dumped["open_questions"][0]["citation"] == DEADLINE_SENTENCE


def test_from_the_deadline_the_kdv_leads_the_impulsprogramm():
    decision = as_of(datetime.date(2020, 12, 31)).may("Kompetenzzentrum", "leiten", "Impulsprogramm")
    assert decision and decision.status == "allowed" and decision.open_questions == ()


def test_a_competence_the_kdv_never_has_is_denied_also_before_the_deadline():
    decision = as_of(datetime.date(2020, 12, 30)).may("Kompetenzzentrum", "verabschieden", "Strategie")
    assert decision.status == "denied" and decision.determined


def test_cli_prints_undetermined_not_no(capsys):
    status = main(["query", "--lang", "en", "--rules", str(RULES), "--at", "2020-12-30", "may",
                   "Kompetenzzentrum", "leiten",
                   "Impulsprogramm"])
    out = capsys.readouterr().out
    assert status == 0
    assert out.splitlines()[0].endswith(": undetermined by the text")
    assert DEADLINE_SENTENCE in out
    status = main(["query", "--lang", "en", "--rules", str(RULES), "--format", "json", "--at",
                   "2020-12-30", "may",
                   "Kompetenzzentrum", "leiten", "Impulsprogramm"])
    row = json.loads(capsys.readouterr().out)
    assert (row["allowed"], row["status"], row["determined"]) == (False, "undetermined", False)
    assert row["open_questions"][0]["citation"] == DEADLINE_SENTENCE


def test_fail_on_deny_fails_closed_on_an_undetermined_answer(capsys):
    status = main(["query", "--lang", "en", "--rules", str(RULES), "--fail-on-deny", "--at",
                   "2020-12-30", "may",
                   "Kompetenzzentrum", "leiten", "Impulsprogramm"])
    capsys.readouterr()
    assert status == 1


# -- (e) the Kontaktgremium waits for the second phase -------------------------------------------


def test_timeless_answer_says_it_depends_on_the_second_phase():
    decision = bundled().may("Kontaktgremium", "abstimmen", "Gemeinsame Vorhaben")
    assert decision and decision.status == "allowed" and decision.determined
    assert [q.citation for q in decision.open_questions] == [PHASE_SENTENCE]
    assert "later phase" in decision.explanation.summary and PHASE_SENTENCE in decision.explanation.summary


def test_timeless_answer_of_a_first_phase_body_depends_on_nothing():
    decision = bundled().may("Regierungsrat", "verabschieden", "Strategie")
    assert decision and decision.open_questions == ()


def test_undated_second_phase_leaves_every_date_undetermined():
    decision = as_of(datetime.date(2030, 1, 1)).may("Kontaktgremium", "abstimmen", "Gemeinsame Vorhaben")
    assert decision.status == "undetermined"
    assert [q.citation for q in decision.open_questions] == [PHASE_SENTENCE]


def test_dated_denial_cites_the_phase_two_sentence():
    policy = bundled().with_facts(add=["phase_started(2, 2025-01-01)"])
    denied = policy.at("2024-12-31").may("Kontaktgremium", "abstimmen", "Gemeinsame Vorhaben")
    assert denied.status == "denied"
    explanation = denied.explanation
    assert PHASE_SENTENCE in explanation.summary
    assert REGIERUNGSRAT_SENTENCE not in explanation.summary
    blocked = [a.blocked_by for a in explanation.why_not.attempts if a.blocked_by is not None]
    assert blocked and blocked[0].atom == "inactive(kontaktgremium)"
    assert blocked[0].citation == PHASE_SENTENCE
    assert PHASE_SENTENCE in explanation.render()
    allowed = policy.at("2025-01-01").may("Kontaktgremium", "abstimmen", "Gemeinsame Vorhaben")
    assert allowed.status == "allowed"


# -- (g) one state per date -----------------------------------------------------------------------


def test_leitung_kdv_is_no_certain_member_before_the_kdv_exists():
    members = as_of(datetime.date(2019, 1, 1)).members("Steuerungsausschuss")
    assert "leitung_kompetenzzentrum" not in members.ids
    assert [e.id for e in members.undetermined] == ["leitung_kompetenzzentrum"]
    assert [(q.subject.id, q.answers, q.citation) for q in members.open_questions] == [
        ("kompetenzzentrum", ("leitung_kompetenzzentrum",), DEADLINE_SENTENCE)]
    assert "leitung_kompetenzzentrum" in as_of(datetime.date(2021, 1, 1)).members("Steuerungsausschuss").ids


def test_no_consumer_without_a_provider_in_mid_2019():
    policy = as_of(datetime.date(2019, 6, 30))
    assert policy.is_consumer("Bezirksamt Arbon").status == "undetermined"
    serves = policy.who_serves("Bezirksamt Arbon")
    assert serves.ids == () and serves.undetermined[0].id == "kompetenzzentrum"


DATES = st.dates(min_value=datetime.date(2015, 1, 1), max_value=datetime.date(2030, 12, 31))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(day=DATES)
@example(day=datetime.date(2019, 1, 1))
@example(day=datetime.date(2019, 6, 30))
@example(day=datetime.date(2020, 12, 30))
@example(day=datetime.date(2020, 12, 31))
def test_the_answers_as_of_any_date_form_one_state(day):
    policy = as_of(day)
    model = policy.model
    bodies = {b for (b,) in model["body"]}
    exists = {b for b, d in model["exists_on"] if d == day}
    absent = {b for b, d in model["absent_on"] if d == day}
    undetermined = {b for b, d in model["undetermined_on"] if d == day}
    # every body exists, does not exist yet, or the text does not decide it: exactly one
    assert exists | absent | undetermined == bodies
    assert not (exists & absent) and not (exists & undetermined) and not (absent & undetermined)
    unit_of = {r: u for r, u, _f in model["role_of"]}

    def present(role: str) -> bool:
        """A role of a body exists only when the body does; other roles are timeless."""
        return unit_of.get(role) not in bodies or unit_of[role] in exists

    for body in sorted(bodies):
        members, chair = policy.members(body), policy.chair(body)
        assert not set(members.ids) & {e.id for e in members.undetermined}
        for role in members.ids + chair.ids:
            assert body in exists, f"{role} sits in {body}, which does not exist on {day}"
            assert present(role), f"{role} sits in {body} on {day}, but its body does not exist"
        for q in members.open_questions:
            assert q.citation and q.citation in SOURCE_TEXT
        what = policy.what_may(body)
        if what.ids:
            assert body in exists, f"{body} may act on {day} but does not exist"
    units = sorted({u for (u,) in model["unit"]})
    providers = set()
    for unit in units:
        consumer, served = policy.is_consumer(unit), policy.who_serves(unit)
        assert consumer.determined or not consumer.allowed  # nothing undetermined is decided
        if consumer.status == "undetermined":
            cited = [q.citation for q in consumer.open_questions]
            assert cited and all(c and c in SOURCE_TEXT for c in cited)
        assert bool(consumer) == bool(served.ids), f"{unit}: {consumer.status}, served by {served.ids}"
        assert (consumer.status == "undetermined") == bool(served.undetermined)
        providers.update(served.ids)
    assert providers <= exists
    kdv = policy.may("Kompetenzzentrum", "leiten", "Impulsprogramm")
    if day >= datetime.date(2020, 12, 31):
        assert kdv.status == "allowed"
    else:
        assert kdv.status == "undetermined" and not kdv  # never a "no"
