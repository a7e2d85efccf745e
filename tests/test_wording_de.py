"""German output that used to slip through in English or in a rough form: prose dates, the roles'
articles and cases, the word order of what an actor may, and one catalog without duplicates."""

from __future__ import annotations

import datetime
import json
import os
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from kdv_policy import Policy
from kdv_policy.policy import wording

ROOT = Path(__file__).resolve().parents[1]
RULES = ROOT / "rules"
PO = ROOT / "src" / "kdv_policy" / "policy" / "locale" / "de" / "LC_MESSAGES" / "kdv_policy.po"


@pytest.fixture(scope="module")
def policy() -> Policy:
    return Policy.load(RULES)


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NO_COLOR": "1"}
    return subprocess.run([sys.executable, "-m", "kdv_policy", *args], capture_output=True, text=True,
                          env=env, timeout=300, cwd=ROOT / "tests")


# -- dates ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("lang", "spoken"), [
    ("de", "1. März 2020"), ("en", "2020-03-01")])
def test_a_date_is_spoken_as_prose_in_german_and_iso_in_english(lang, spoken):
    assert wording.spoken_date(lang, datetime.date(2020, 3, 1)) == spoken
    assert wording.spoken_date("de", datetime.date(2021, 12, 31)) == "31. Dezember 2021"


def test_german_summaries_write_the_date_in_words(policy):
    text = policy.at("2020-03-01").may("Kontaktgremium", "genehmigen", "Strategie").explanation.summary
    assert "handelt am 1. März 2020 nicht" in text, text
    assert "2020-03-01" not in text
    undecided = policy.at("2020-06-30").may("Kompetenzzentrum", "umsetzen", "Strategie").explanation.summary
    assert "Der Text entscheidet für den 30. Juni 2020 nicht" in undecided, undecided
    assert "am 30. Juni 2020 besteht" in undecided


def test_english_summaries_keep_the_iso_date(policy):
    english = policy.in_language("en").at("2020-03-01")
    text = english.may("Kontaktgremium", "approve", "Strategie").explanation.summary
    assert "does not act on 2020-03-01" in text, text
    assert "März" not in text


def test_json_keeps_the_iso_date_and_the_prose_follows_the_language():
    de = cli("query", "--format", "json", "--rules", str(RULES),
             "darf das Kompetenzzentrum am 2020-06-30 die Strategie umsetzen?")
    row = json.loads(de.stdout.splitlines()[0])
    assert row["at"] == "2020-06-30"
    assert "30. Juni 2020" in row["explanation"]["summary"]
    en = cli("query", "--format", "json", "--rules", str(RULES),
             "may Kompetenzzentrum implement Strategie on 2020-06-30")
    row = json.loads(en.stdout.splitlines()[0])
    assert row["at"] == "2020-06-30"
    assert "on 2020-06-30" in row["explanation"]["summary"]


# -- the roles' articles and cases ------------------------------------------------------------------


def test_every_role_of_the_bundled_directory_gives_its_article_and_cases():
    import tomli

    roles = tomli.loads((RULES / "organisation.toml").read_text(encoding="utf-8"))["roles"]
    assert len(roles) > 20
    for role in roles:
        assert role.get("article") in ("der", "die", "das"), role["id"]
        for case in ("genitive", "dative", "accusative"):
            assert role.get(case), (role["id"], case)


def test_check_reports_no_vocabulary_warning_for_the_bundled_policy():
    for lang in ("de", "en"):
        out = cli("check", "--format", "json", "--lang", lang, str(RULES))
        assert out.returncode == 0, out.stderr
        diagnostics = [json.loads(line) for line in out.stdout.splitlines() if line.strip()]
        assert [d["code"] for d in diagnostics] == []


def test_answers_name_a_role_with_its_article(policy):
    text = policy.may("Staatsschreiber", "genehmigen", "Strategie").explanation.summary
    assert text.startswith("Der Staatsschreiber darf die Strategie Digitale Verwaltung Thurgau nicht "
                           "genehmigen."), text
    member = policy.answer("ist der Staatsschreiber Mitglied im Steuerungsausschuss?").text()
    assert "Der Staatsschreiber ist Mitglied des Steuerungsausschusses." in member, member
    gendered = policy.answer("ist der DV DEK Mitglied im Planungsausschuss?").text()
    assert ("Der oder die Digitalisierungsverantwortliche DEK ist Mitglied des Planungsausschusses."
            in gendered), gendered
    english = policy.in_language("en").may("Staatsschreiber", "approve", "Strategie").explanation.summary
    assert english.startswith("Staatsschreiber may not approve Strategie Digitale Verwaltung Thurgau."), \
        english


# -- what an actor may: the German word order ---------------------------------------------------------


def test_what_may_names_the_object_before_the_german_verb():
    de = cli("query", "--format", "json", "--rules", str(RULES), "was darf die Konferenz?")
    row = json.loads(de.stdout.splitlines()[0])
    first = row["answers"][0]
    assert set(first) == {"id", "name", "action", "object"}  # the keys as before
    assert (first["id"], first["name"]) == ("coordinate laufende_projekte", "Laufende Projekte koordinieren")
    en = cli("query", "--format", "json", "--rules", str(RULES), "what may Konferenz")
    first = json.loads(en.stdout.splitlines()[0])["answers"][0]
    assert (first["id"], first["name"]) == ("coordinate laufende_projekte", "coordinate Laufende Projekte")


def test_what_may_lists_the_undetermined_in_the_german_word_order(policy):
    reply = policy.at("2020-06-30").answer("was darf das Kompetenzzentrum?")
    text = reply.text()
    line = next(x for x in text.splitlines() if x.strip().startswith("vom Text nicht entschieden:"))
    assert "Strategie Digitale Verwaltung Thurgau umsetzen" in line
    assert "umsetzen Strategie" not in line
    undetermined = reply.json()["undetermined"]
    wanted = {"id": "implement strategie", "name": "Strategie Digitale Verwaltung Thurgau umsetzen"}
    assert wanted in undetermined
    english = policy.in_language("en").at("2020-06-30").answer("what may Kompetenzzentrum")
    line = next(x for x in english.text().splitlines() if x.strip().startswith("undetermined by the text:"))
    assert "implement Strategie Digitale Verwaltung Thurgau" in line


# -- the catalog --------------------------------------------------------------------------------------


def _msgids(text: str) -> list[str]:
    """Every ``msgid`` of a .po file as written (continuation lines joined), duplicates kept."""
    ids = []
    for found in re.finditer(r'^msgid ((?:".*"\n)+)', text, re.M):
        ids.append("".join(re.findall(r'^"(.*)"$', found.group(1), re.M)))
    return ids


def test_the_catalog_has_no_duplicate_message_ids():
    ids = _msgids(PO.read_text(encoding="utf-8"))
    assert len(ids) > 200
    assert sorted(i for i, n in Counter(ids).items() if n > 1) == []


def test_the_duplicate_check_finds_a_duplicate():
    text = 'msgid ""\nmsgstr ""\n\nmsgid "a"\nmsgstr "A"\n\nmsgid ""\n"a"\nmsgstr "B"\n'
    assert _msgids(text) == ["", "a", "a"]
