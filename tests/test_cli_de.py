"""The command line's human output in German (``--lang de``): ``check``, ``interpretations``,
``diff`` and ``trace`` word their reports from the catalog, an error says ``Fehler:`` when the
question was German, and list labels show the verb in the answer's language. JSON stays as it is.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
RULES = ROOT / "rules"


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NO_COLOR": "1"}
    return subprocess.run([sys.executable, "-m", "kdv_policy", *args], capture_output=True, text=True,
                          env=env, timeout=300, cwd=ROOT / "tests")


@pytest.fixture(scope="module")
def changed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled policy in which the Planungsausschuss no longer prepares the Schwerpunktplanung."""
    directory = tmp_path_factory.mktemp("changed") / "rules"
    shutil.copytree(RULES, directory)
    rules = directory / "competences.dl"
    text = rules.read_text(encoding="utf-8")
    old = "competence(planungsausschuss, prepare, schwerpunktplanung)."
    assert text.count(old) == 1
    rules.write_text(text.replace(old, "competence(planungsausschuss, define, schwerpunktplanung)."),
                     encoding="utf-8")
    return directory


def test_interpretations_in_german():
    de = cli("interpretations", "--lang", "de", str(RULES))
    assert de.returncode == 0, de.stderr
    assert "vorsitz_handelt_allein (nicht übernommen)" in de.stdout
    assert "  Begründung: Der Text nennt den Vorsitz" in de.stdout
    assert "  Regeln: vorsitz_vertritt_gremium" in de.stdout
    assert de.stdout.rstrip().endswith("2 deklariert, 0 übernommen (die Antworten folgen allein dem Text)")
    en = cli("interpretations", str(RULES))
    assert "vorsitz_handelt_allein (not adopted)" in en.stdout
    assert en.stdout.rstrip().endswith("2 declared, 0 adopted (answers follow the text alone)")


def test_diff_in_german(changed):
    same = cli("diff", "--lang", "de", str(RULES), str(RULES))
    assert same.returncode == 0 and same.stdout.startswith("keine Entscheidung geändert ("), same.stdout
    de = cli("diff", "--lang", "de", str(RULES), str(changed))
    assert de.returncode == 1, de.stderr
    lines = de.stdout.splitlines()
    assert lines[0].startswith("1 hinzugekommen, 1 weggefallen ("), lines[0]
    # the group heading names the verb in the output's language, the atom stays as it is
    assert "darf: Planungsausschuss / definieren" in lines
    assert "darf: Planungsausschuss / vorbereiten" in lines
    assert not any(line.startswith("darf: ") and line.endswith((" / define", " / prepare")) for line in lines)
    assert "  + may(planungsausschuss, define, schwerpunktplanung)" in lines
    assert "  - may(planungsausschuss, prepare, schwerpunktplanung)" in lines
    en = cli("diff", str(RULES), str(changed))
    assert en.stdout.splitlines()[0].startswith("1 gained, 1 lost (")
    assert "may: Planungsausschuss / prepare" in en.stdout
    assert "may: Planungsausschuss / define" in en.stdout
    as_json = json.loads(cli("diff", "--lang", "de", "--format", "json", str(RULES), str(changed)).stdout)
    assert {c["change"] for c in as_json["changes"]} == {"gained", "lost"}  # keys and values as before
    assert {c["group"] for c in as_json["changes"]} == {"Planungsausschuss / define",
                                                        "Planungsausschuss / prepare"}  # JSON: the ids


def test_diff_explanations_follow_the_output_language(changed):
    de = cli("diff", "--lang", "de", "--explain", str(RULES), str(changed))
    assert "may(planungsausschuss, prepare, schwerpunktplanung) gilt" in de.stdout, de.stdout
    assert "↳ Struktur: ein Gremium darf, wofür es die Kompetenz hat" in de.stdout
    en = cli("diff", "--lang", "en", "--explain", str(RULES), str(changed))
    assert "may(planungsausschuss, prepare, schwerpunktplanung) holds" in en.stdout, en.stdout
    assert "↳ Structure: a body may what it holds the competence for" in en.stdout
    assert "gilt" not in en.stdout and "Struktur" not in en.stdout


def test_the_policy_line_speaks_the_output_language():
    de = cli("query", "--lang", "de", "--rules", str(RULES), "wer darf die Strategie verabschieden?")
    assert de.stderr.startswith("Policy: "), de.stderr
    assert "(Version " in de.stderr.splitlines()[0]
    en = cli("query", "--lang", "en", "--rules", str(RULES), "who may approve Strategie")
    assert en.stderr.startswith("policy: ") and "(version " in en.stderr.splitlines()[0], en.stderr
    # without --lang the line speaks the language of the question, as the answer does
    de = cli("query", "--rules", str(RULES), "wer hat den Vorsitz im Steuerungsausschuss?")
    assert de.stderr.startswith("Policy: ") and "rules (Version " in de.stderr, de.stderr
    en = cli("query", "--rules", str(RULES), "chair of StA")
    assert en.stderr.startswith("policy: ") and "rules (version " in en.stderr, en.stderr
    listed = cli("interpretations", str(RULES))  # the authors' commands default to English
    assert listed.stderr.startswith("policy: "), listed.stderr
    listed = cli("interpretations", "--lang", "de", str(RULES))
    assert listed.stderr.startswith("Policy: "), listed.stderr


def test_trace_in_german():
    de = cli("trace", "--lang", "de", str(RULES))
    assert de.returncode == 0, de.stderr
    assert "       kodiert durch: " in de.stdout and "       getestet durch: " in de.stdout
    assert "(Auslegung vorsitz_handelt_allein) (Auslegung)" in de.stdout
    last = de.stdout.rstrip().splitlines()[-1]
    assert last.endswith("weder noch") and " Sätze: " in last
    en = cli("trace", str(RULES))
    assert en.stdout.rstrip().splitlines()[-1].endswith("neither")


def test_the_error_word_follows_the_questions_language():
    de = cli("query", "darf der Regierungsrath die Strategie verabschieden?")
    assert de.returncode == 2
    assert ("Fehler: unbekannter Akteur `Regierungsrath`; meinten Sie `Regierungsrat` (regierungsrat)?"
            in de.stderr)
    assert "  in der Frage: darf der Regierungsrath die Strategie verabschieden?" in de.stderr
    en = cli("query", "may Regierungsrath approve Strategie")
    assert "error: unknown actor `Regierungsrath`; did you mean `Regierungsrat` (regierungsrat)?" in en.stderr
    forced = cli("query", "--lang", "en", "darf der Regierungsrath die Strategie verabschieden?")
    assert "error: unknown actor `Regierungsrath`" in forced.stderr
    unreadable = cli("query", "wer entscheidet über die Strategie?")
    assert unreadable.stderr.splitlines()[-3].startswith("Fehler: die Frage `wer entscheidet")
    assert "Fehler: unbekanntes Gremium `Steuerungsauschuss`" in cli(
        "query", "wer ist Mitglied im Steuerungsauschuss?").stderr


def test_list_labels_show_the_verb_in_the_answers_language():
    de = cli("query", "was darf der Planungsausschuss?")
    assert "  Schwerpunktplanung vorbereiten   [darf_aus_kompetenz]" in de.stdout
    en = cli("query", "what may the Planungsausschuss do?")
    assert "  prepare Schwerpunktplanung   [darf_aus_kompetenz]" in en.stdout
    delegated = cli("query", "wer hat die Umsetzung der Strategie an wen delegiert?")
    assert ("Regierungsrat → Steuerungsausschuss: Strategie Digitale Verwaltung Thurgau umsetzen "
            "(Umsetzung der Strategie)") in delegated.stdout
    as_json = json.loads(cli("query", "--format", "json", "was darf der Planungsausschuss?").stdout)
    assert {a["action"]["id"] for a in as_json["answers"]} == {"identify", "prepare"}
