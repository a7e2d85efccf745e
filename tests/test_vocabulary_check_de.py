"""``check`` reports what of the data German questions and answers cannot use: an action without
a German verb or without inflected forms, a body, unit or object without its article, a
masculine or neuter name without its genitive, a case form without its article's case; each a
warning with its code, the ``file:line`` of the data entry and a help, in English or German.
Roles and persons may give their grammatical forms too: validated the same way, used by answers.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from kdv_policy import Policy
from kdv_policy.data.model import PeopleDirectory
from kdv_policy.language.source import Source
from kdv_policy.policy.vocabulary import vocabulary_diagnostics

ROOT = Path(__file__).resolve().parents[1]
RULES = ROOT / "rules"


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NO_COLOR": "1"}
    return subprocess.run([sys.executable, "-m", "kdv_policy", *args], capture_output=True, text=True,
                          env=env, timeout=120, cwd=ROOT / "tests")


def _line(text: str, needle: str, after: str | None = None) -> int:
    lines = text.splitlines()
    start = 0 if after is None else next(i for i, line in enumerate(lines) if after in line)
    return next(i for i, line in enumerate(lines) if i >= start and needle in line) + 1


@pytest.fixture(scope="module")
def broken(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled policy with one problem of each kind in its organisation directory."""
    directory = tmp_path_factory.mktemp("vocabulary") / "rules"
    shutil.copytree(RULES, directory)
    data = directory / "organisation.toml"
    text = data.read_text(encoding="utf-8")
    for old, new in (
        ('forms = ["definiert", "defines", "defined"]\n', ""),                    # verb-forms
        ('name = "identifizieren"', 'name = "Identifikation"'),                  # verb-name
        ('genitive = "des Planungsausschusses"\n', ""),                          # name-genitive
        ('genitive = "des Departements für Bau und Umwelt"',
         'genitive = "der Departements für Bau und Umwelt"'),                    # name-case
        ('name = "Schwerpunktplanung"\narticle = "die"\n', 'name = "Schwerpunktplanung"\n'),  # name-article
    ):
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    data.write_text(text, encoding="utf-8")
    return directory


def test_the_bundled_policy_has_every_verb_and_name_the_vocabulary_needs():
    run = cli("check", str(RULES))
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout.strip().endswith("0 errors, 0 warnings")


def test_check_warns_at_the_data_entry_with_a_code_and_a_help(broken):
    run = cli("check", "--format", "json", str(broken))
    assert run.returncode == 0, run.stderr  # warnings only: the policy still loads
    found = {d["code"]: d for d in map(json.loads, run.stdout.splitlines())}
    text = (broken / "organisation.toml").read_text(encoding="utf-8")
    expected = {
        "verb-forms": _line(text, 'id = "define"'),
        "verb-name": _line(text, 'name = "Identifikation"'),
        "name-genitive": _line(text, 'article = "der"', after='id = "planungsausschuss"'),
        "name-case": _line(text, 'genitive = "der Departements für Bau und Umwelt"'),
        "name-article": _line(text, 'id = "schwerpunktplanung"'),
    }
    for code, line in expected.items():
        d = found[code]
        assert d["severity"] == "warning" and d["path"].endswith("organisation.toml"), d
        assert d["line"] == line, (code, d)
        assert d["help"], d
    assert "`define`" in found["verb-forms"]["message"] and "forms = [" in found["verb-forms"]["help"]
    assert "`Identifikation`" in found["verb-name"]["message"]
    assert found["name-genitive"]["help"].endswith('`genitive = "des Planungsausschusses"`')
    assert "does not start with `des`" in found["name-case"]["message"]
    assert "`schwerpunktplanung` has no German `article`" in found["name-article"]["message"]
    assert Policy.load(broken).may("Steuerungsausschuss", "genehmigen", "Schwerpunktplanung").allowed


def test_check_speaks_german_on_request(broken):
    run = cli("check", "--lang", "de", str(broken))
    assert run.returncode == 0, run.stderr
    out = run.stdout
    assert "Warnung: die Aktion `define` nennt keine gebeugten `forms`" in out
    assert "= hilfe: ergänzen Sie die Formen" in out
    assert "[verb-forms]" in out and "[name-genitive]" in out
    assert out.strip().endswith("geprüft: 0 Fehler, 5 Warnungen")
    english = cli("check", str(broken)).stdout
    assert english.strip().endswith("0 errors, 5 warnings") and "Warnung" not in english


def test_check_without_warnings_in_german():
    run = cli("check", "--lang", "de", str(RULES))
    assert run.returncode == 0
    assert run.stdout.strip() == f"9 Dateien von {RULES} geprüft: 0 Fehler, 0 Warnungen"


def test_a_persons_forms_are_validated_and_used_by_answers(tmp_path):
    people = tmp_path / "people.toml"
    people.write_text(
        '[[persons]]\nid = "erika_muster"\nname = "Erika Muster"\narticle = "die"\n'
        'nominative = "die Staatsschreiberin Erika Muster"\ngenitive = "der Staatsschreiberin Erika Muster"\n'
        'dative = "der Staatsschreiberin Erika Muster"\naccusative = "die Staatsschreiberin Erika Muster"\n'
        '[[persons.roles]]\nrole = "staatsschreiber"\nfrom = 2020-01-01\n\n'
        '[[persons]]\nid = "hans_beispiel"\nname = "Hans Beispiel"\ngenitive = "Hans Beispiels"\n\n'
        '[[persons]]\nid = "max_fehler"\nname = "Max Fehler"\narticle = "der"\n'
        'accusative = "die Max Fehler"\n',
        encoding="utf-8")
    policy = Policy.load(people=people, at="2021-01-01")
    summary = policy.may("Erika Muster", "genehmigen", "Schwerpunktplanung").explanation.summary
    assert summary.startswith(
        "Die Staatsschreiberin Erika Muster darf die Schwerpunktplanung nicht genehmigen.")
    text = people.read_text(encoding="utf-8")
    import tomli

    directory = PeopleDirectory.model_validate(tomli.loads(text), context={"roles": ["staatsschreiber"]})
    found = vocabulary_diagnostics(directory, Source("people.toml", text))
    assert [(d.code, d.span.line if d.span else None) for d in found] == [
        ("name-genitive", _line(text, 'article = "der"')),
        ("name-case", _line(text, 'accusative = "die Max Fehler"'))]
    german = vocabulary_diagnostics(directory, Source("people.toml", text), "de")
    assert german[1].message == ("der `accusative` von `max_fehler` ist `die Max Fehler` "
                                 "und beginnt nicht mit `den`")


def test_roles_may_give_their_forms(tmp_path):
    directory = tmp_path / "rules"
    shutil.copytree(RULES, directory)
    data = directory / "organisation.toml"
    text = data.read_text(encoding="utf-8")
    forms = ('name = "Staatsschreiber"\narticle = "der"\ngenitive = "des Staatsschreibers"\n'
             'dative = "dem Staatsschreiber"\naccusative = "den Staatsschreiber"\n')
    assert text.count(forms) == 1  # the bundled directory gives them
    summary = Policy.load(directory).may("Staatsschreiber", "genehmigen",
                                         "Schwerpunktplanung").explanation.summary
    assert summary.startswith("Der Staatsschreiber darf die Schwerpunktplanung nicht genehmigen.")
    assert cli("check", str(directory)).stdout.strip().endswith("0 errors, 0 warnings")
    # without them the name stands bare: the article comes from the data, not from code
    data.write_text(text.replace(forms, 'name = "Staatsschreiber"\n'), encoding="utf-8")
    summary = Policy.load(directory).may("Staatsschreiber", "genehmigen",
                                         "Schwerpunktplanung").explanation.summary
    assert summary.startswith("Staatsschreiber darf die Schwerpunktplanung nicht genehmigen.")
