"""Answers in the users' language: German by default for the bundled policy, English on request.

The summaries, why-nots, proofs' connecting words, "instead" suggestions, the command line's
human output and the policy-test report come from gettext catalogs
(src/kdv_policy/policy/locale); names take the German forms the organisation directory gives;
the cited sentences and the JSON keys stay as they are.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from kdv_policy import Policy
from kdv_policy.errors import ArgumentError, PolicyLoadError
from kdv_policy.policy import wording

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src" / "kdv_policy"
PO = SRC / "policy" / "locale" / "de" / "LC_MESSAGES" / "kdv_policy.po"
CITED = "nimmt die Schwerpunktplanung ab"  # the sentence as competences.dl cites it


@pytest.fixture(scope="module")
def policy() -> Policy:
    return Policy.load()


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NO_COLOR": "1"}
    return subprocess.run([sys.executable, "-m", "kdv_policy", *args], capture_output=True, text=True,
                          env=env, timeout=120, cwd=ROOT / "tests")


# -- the API ---------------------------------------------------------------------------------


def test_the_bundled_policy_answers_in_german_by_default(policy):
    assert policy.language == "de"
    d = policy.may("Planungsausschuss", "abnehmen", "Schwerpunktplanung")
    assert not d.allowed
    summary = d.explanation.summary
    assert summary.startswith("Der Planungsausschuss darf die Schwerpunktplanung nicht genehmigen.")
    assert "Der Planungsausschuss darf die Schwerpunktplanung vorbereiten." in summary
    assert "Wer die Schwerpunktplanung genehmigen darf: Steuerungsausschuss." in summary
    assert d.explanation.alternatives == ("Der Planungsausschuss darf die Schwerpunktplanung vorbereiten",
                                          "die Schwerpunktplanung genehmigen: Steuerungsausschuss")


def test_a_german_explanation_reads_as_german_prose_with_the_cited_sentences(policy):
    yes = policy.may("Steuerungsausschuss", "abnehmen", "Schwerpunktplanung").explanation
    text = yes.render()
    assert text.startswith("Der Steuerungsausschuss darf die Schwerpunktplanung genehmigen")
    assert "Struktur:" in text and "(kein solcher Fakt)" in text
    assert f"« {CITED}" in text  # the sentence as the text has it
    no = policy.may("Planungsausschuss", "abnehmen", "Schwerpunktplanung").explanation.render()
    assert "gilt nicht:" in no and "Regel darf_aus_kompetenz:" in no
    assert "scheitert an: kein Fakt competence(planungsausschuss, approve, schwerpunktplanung)" in no
    assert "stattdessen: Der Planungsausschuss darf die Schwerpunktplanung vorbereiten" in no
    # the connecting words are German; the rules' own structure notes stay as the rule files write them
    for english in ("does not hold", "fails at", "instead:", "no such fact", "\n    rule "):
        assert english not in no + text


def test_every_denial_sentence_fills_its_values(policy):
    nobody = policy.may("Steuerungsausschuss", "genehmigen", "Strategische Massnahmen").explanation.summary
    assert "Niemand darf die strategischen Massnahmen zur Umsetzung der Strategie genehmigen." in nobody
    task = policy.may("Planungsausschuss", "delegieren", "Strategie").explanation.summary
    assert "Wer die Umsetzung der Strategie delegieren darf: " in task


def test_names_take_their_case_from_the_organisation_directory(policy):
    consumer = policy.is_consumer("Bezirksamt Arbon").explanation.summary
    assert consumer.startswith("Das Bezirksamt Arbon ist Leistungsbezügerin")
    plural = policy.may("Planungsausschuss", "genehmigen", "Laufende Projekte").explanation.summary
    assert "die laufenden Projekte" in plural  # the directory's accusative, adjective declined
    body = policy.entity("steuerungsausschuss")
    assert policy._n(body).case("gen") == "des Steuerungsausschusses"
    assert policy._n(policy.entity("regierungsrat")).case("dat") == "dem Regierungsrat"


def test_lang_en_gives_the_english_answers_unchanged(policy):
    english = Policy.load(lang="en")
    assert english.language == "en"
    summary = english.may("Planungsausschuss", "approve", "Schwerpunktplanung").explanation.summary
    assert summary == ("Planungsausschuss may not approve Schwerpunktplanung. Planungsausschuss may prepare "
                       "it. To approve it is for: Steuerungsausschuss.")
    switched = policy.in_language("en")
    assert switched.may("Planungsausschuss", "approve", "Schwerpunktplanung").explanation.summary == summary
    assert switched.version == policy.version and switched.in_language("en") is switched
    # the German policy is unchanged by the switch, also for an answer it had cached
    assert policy.may("Planungsausschuss", "approve", "Schwerpunktplanung").explanation.lang == "de"


def test_json_keys_are_the_same_in_both_languages(policy):
    def keys(value: object) -> object:
        if isinstance(value, dict):
            return {k: keys(v) for k, v in value.items()}
        if isinstance(value, list):
            return [keys(v) for v in value]
        return None

    for lang in ("de", "en"):
        assert policy.in_language(lang).language == lang
    de = policy.may("Planungsausschuss", "approve", "Schwerpunktplanung").model_dump(mode="json")
    en = policy.in_language("en").may("Planungsausschuss", "approve", "Schwerpunktplanung").model_dump(
        mode="json")
    assert keys(de) == keys(en)
    assert de["explanation"]["summary"] != en["explanation"]["summary"]
    assert {k: v for k, v in de.items() if k != "explanation"} == {k: v for k, v in en.items()
                                                                    if k != "explanation"}


def test_an_unknown_language_is_refused():
    with pytest.raises(ArgumentError, match="`lang` must be one of `de`, `en`, not `fr`"):
        Policy.load(lang="fr")


def test_policy_toml_declares_the_language_and_refuses_an_unknown_one(tmp_path):
    for name in ("governance.dl",):
        (tmp_path / name).write_text("% a policy\n.decl p(x)\np(a).\n", encoding="utf-8")
    (tmp_path / "policy.toml").write_text('[policy]\nlanguage = "en"\n', encoding="utf-8")
    assert Policy.load(tmp_path).language == "en"
    (tmp_path / "policy.toml").write_text('[policy]\nlanguage = "fr"\n', encoding="utf-8")
    with pytest.raises(PolicyLoadError, match="`\\[policy\\] language` must be one of `de`, `en`, not `fr`"):
        Policy.load(tmp_path)
    (tmp_path / "policy.toml").write_text('[policy]\nlangauge = "de"\n', encoding="utf-8")
    with pytest.raises(PolicyLoadError) as err:
        Policy.load(tmp_path)
    assert "language" in err.value.render()
    (tmp_path / "policy.toml").unlink()
    assert Policy.load(tmp_path).language == "en"  # without a declared language: English


def test_case_forms_without_an_article_are_refused(tmp_path):
    from kdv_policy.data.model import OrganisationDirectory

    with pytest.raises(ValueError, match="gives case forms but no `article`"):
        OrganisationDirectory.model_validate({"bodies": [{"id": "rat", "name": "Rat",
                                                          "genitive": "des Rates"}]})
    # a masculine name without its genitive loads; `check` warns (tests/test_vocabulary_check_de.py)
    loaded = OrganisationDirectory.model_validate({"phases": [{"number": 1, "name": "Aufbau"}],
                                                   "bodies": [{"id": "rat", "name": "Rat",
                                                               "article": "der"}]})
    assert loaded.bodies[0].genitive is None


# -- the catalogs ----------------------------------------------------------------------------


def _catalog() -> list:
    with PO.open("rb") as f:
        return [m for m in read_po(f) if m.id]


def _messages() -> dict[str, str]:
    return {m.id: m.string for m in _catalog()}


def test_every_message_the_code_says_is_translated():
    keywords = {"say": (2,), "_say": (1,), "phrase": (2,), "N_": (1,)}
    used = {message for _file, _line, message, _comments, _context in
            extract_from_dir(str(SRC), method_map=[("**.py", "python")], keywords=keywords)
            if isinstance(message, str)}
    assert len(used) > 60
    notes = {c.structure for c in Policy.load().program.clauses if c.structure}  # the rules' notes
    assert len(notes) > 10
    used |= notes
    translated = {k for k, v in _messages().items() if v}
    assert sorted(used - translated) == []
    assert sorted(set(_messages()) - used) == []  # no message the code (or a rule's note) no longer says


def test_structure_notes_and_interpretation_descriptions_read_in_the_answers_language():
    policy = Policy.load()
    german = policy.may("Steuerungsausschuss", "umsetzen", "Strategie").explanation.render()
    assert "↳ Struktur: ein Gremium darf, was ihm ein Delegationsschritt übertragen hat" in german
    english = policy.in_language("en").may("Steuerungsausschuss", "umsetzen",
                                           "Strategie").explanation.render()
    assert "↳ Structure: a body may what a delegation step passed to it" in english
    adopted = Policy.load(interpretations=["vorsitz_handelt_allein"])
    text = adopted.may("Departementschef DIV", "genehmigen", "Schwerpunktplanung").explanation.render()
    assert "↳ Auslegung vorsitz_handelt_allein: Der Vorsitz handelt allein für sein Gremium" in text
    text = adopted.in_language("en").may("Departementschef DIV", "genehmigen",
                                         "Schwerpunktplanung").explanation.render()
    assert "↳ Interpretation vorsitz_handelt_allein: The chair acts alone for its body" in text


def test_every_translation_fills_only_the_placeholders_its_message_gives():
    for m in _catalog():
        message, translation = m.id, m.string
        allowed = wording.placeholders(message)
        allowed |= {v.strip() for c in m.auto_comments if c.startswith("values:")
                    for v in c.removeprefix("values:").split(",")}
        allowed |= {f"{p}_{case}" for p in allowed for case in wording.CASES}
        assert wording.placeholders(translation) <= allowed, message


def test_importing_the_package_does_not_load_babel():
    out = subprocess.run([sys.executable, "-c", "import sys, kdv_policy; print('babel' in sys.modules)"],
                         capture_output=True, text=True, timeout=120)
    assert out.stdout.strip() == "False"


# -- the command line ------------------------------------------------------------------------


def test_explain_speaks_german_and_lang_en_english():
    de = cli("explain", "darf der Planungsausschuss die Schwerpunktplanung abnehmen?")
    assert de.returncode == 0, de.stderr
    assert de.stdout.startswith("Der Planungsausschuss darf die Schwerpunktplanung nicht genehmigen.")
    assert "scheitert an:" in de.stdout and "stattdessen:" in de.stdout
    en = cli("explain", "--lang", "en", "may", "Planungsausschuss", "abnehmen", "Schwerpunktplanung")
    assert en.stdout.startswith("Planungsausschuss may not approve Schwerpunktplanung.")
    assert "fails at:" in en.stdout and "instead:" in en.stdout


def test_query_answers_ja_and_nein():
    no = cli("query", "darf der PA die Strategie verabschieden?").stdout
    assert no.startswith("darf der PA die Strategie verabschieden?: nein\n")
    yes = cli("query", "darf der RR die Strategie verabschieden?").stdout
    assert yes.startswith("darf der RR die Strategie verabschieden?: ja\n"
                          "  Der Regierungsrat darf die Strategie")
    assert "« Der Regierungsrat verabschiedet die Strategie »" in yes
    listed = cli("query", "Mitglieder des StA").stdout
    assert listed.startswith("Mitglieder des StA: 11 Antworten")
    english = cli("query", "--lang", "en", "Mitglieder des StA").stdout
    assert english.startswith("Mitglieder des StA: 11 answers")


def test_a_question_is_answered_in_its_own_language_unless_lang_says_otherwise():
    assert cli("query", "members of StA").stdout.startswith("members of StA: 11 answers")
    assert cli("query", "--lang", "de", "members of StA").stdout.startswith("members of StA: 11 Antworten")
    # a Datalog query has no language of its own: the policy's (German for the bundled one)
    assert cli("query", "member(steuerungsausschuss, R)").stdout.startswith(
        "member(steuerungsausschuss, R): 11 Antworten")


def test_json_output_keeps_its_keys_across_languages():
    de = json.loads(cli("query", "--format", "json", "darf der PA die Schwerpunktplanung abnehmen?").stdout)
    en = json.loads(cli("query", "--format", "json", "--lang", "en",
                        "darf der PA die Schwerpunktplanung abnehmen?").stdout)
    assert de.keys() == en.keys() and de["explanation"].keys() == en["explanation"].keys()
    assert de["allowed"] is en["allowed"] is False
    assert (de["explanation"]["lang"], en["explanation"]["lang"]) == ("de", "en")


def test_lang_is_refused_when_unknown():
    out = cli("query", "--lang", "fr", "may RR approve Strategie")
    assert out.returncode == 2 and "invalid choice: 'fr'" in out.stderr


# -- policy tests ----------------------------------------------------------------------------


def _failing_policy(tmp_path: Path, language: str | None) -> Path:
    (tmp_path / "tests").mkdir()
    (tmp_path / "governance.dl").write_text(textwrap.dedent("""\
        .decl may(actor, action, object)
        .decl member(body, role)
        @id(board_signs) @source("Der Vorstand unterschreibt die Verträge.")
        may(board, sign, contract).
        @id(board_clerk) @source("Der Vorstand hat einen Schreiber.")
        member(board, clerk).
        """), encoding="utf-8")
    (tmp_path / "tests" / "cases.yaml").write_text(textwrap.dedent("""\
        - name: the clerk signs
          may: [clerk, sign, contract]
          expect: allow
        """), encoding="utf-8")
    if language is not None:
        (tmp_path / "policy.toml").write_text(f'[policy]\nlanguage = "{language}"\n', encoding="utf-8")
    return tmp_path


def test_a_policy_test_failure_is_reported_in_german(tmp_path):
    from kdv_policy.authoring.policytests import run_tests

    root = _failing_policy(tmp_path, "de")
    report = run_tests(root)
    text = report.render()
    assert "the clerk signs: erwartet erlaubt, erhalten verweigert" in text
    assert "clerk darf contract nicht sign." in text
    assert "0 bestanden, 1 fehlgeschlagen (1 Fall in 1 Datei)" in text
    english = run_tests(root, lang="en").render()
    assert "the clerk signs: expected allow, got deny" in english
    assert "0 passed, 1 failed (1 case in 1 file)" in english
    out = cli("test", "--lang", "en", str(root))
    assert out.returncode == 1 and "expected allow, got deny" in out.stdout
    assert "erwartet erlaubt" in cli("test", str(root)).stdout
