"""Interpretations: adopted per policy directory (policy.toml), per Policy and per CLI call;
left out of evaluation unless adopted; every answer that rests on one says so."""

import json
import shutil
from pathlib import Path

import pytest

from kdv_policy import Policy, PolicyError, PolicyLoadError
from kdv_policy.cli.main import main
from kdv_policy.policy.loader import load_program

RULES = Path(__file__).resolve().parents[1] / "rules"

CLUB = """
.decl body(body)
.decl chair(body, role)
.decl competence(body, action, object)
.decl may(actor, action, object)

%% A chair signs for its club.
@de("Der Vorsitz handelt allein.")
@en("The chair acts alone.")
@rationale("Der Text nennt nur den Vorsitz.")
.interpretation chair_alone.

@id(b) @source("Der Verein beschliesst.") body(club).
@id(c) @source("Die Präsidentin führt den Vorsitz.") chair(club, president).
@id(k) @source("Der Verein beschliesst.") competence(club, decide, budget).
@id(from_competence) @structure("a body may what it holds the competence for")
may(B, A, O) :- competence(B, A, O).
@id(chair_may) @interpretation(chair_alone) @source("Die Präsidentin führt den Vorsitz.")
may(R, A, O) :- chair(B, R), may(B, A, O).
"""
TEXT = "Der Verein beschliesst. Die Präsidentin führt den Vorsitz.\n"


@pytest.fixture
def club(tmp_path: Path) -> Path:
    directory = tmp_path / "club"
    directory.mkdir()
    (directory / "club.dl").write_text(CLUB, encoding="utf-8")
    (directory / "source-text.txt").write_text(TEXT, encoding="utf-8")
    return directory


def test_an_interpretation_not_adopted_takes_no_part(club):
    policy = Policy.load(club)
    assert not policy.may("president", "decide", "budget")
    listed = [(i.id, i.adopted, i.rules) for i in policy.interpretations]
    assert listed == [("chair_alone", False, ("chair_may",))]
    assert policy.adopted == ()
    assert all(c.interpretation is None for c in policy.program.clauses)


def test_adopted_by_load_the_answer_names_it(club):
    policy = Policy.load(club, interpretations=["chair_alone"])
    d = policy.may("president", "decide", "budget")
    assert d.allowed and d.interpretations == ("chair_alone",)
    assert d.model_dump()["interpretations"] == ("chair_alone",)
    rendered = d.explanation.render()
    assert "↳ Interpretation chair_alone: The chair acts alone." in rendered
    assert "↳ Structure: a body may what it holds the competence for" in rendered
    node = d.explanation.proofs[0]
    assert (node.basis, node.interpretation) == ("interpretation", "chair_alone")
    assert node.note == "The chair acts alone."
    assert policy.may("club", "decide", "budget").interpretations == ()
    assert policy.version != Policy.load(club).version


def test_list_answers_name_the_interpretation_per_answer_and_in_total(club):
    policy = Policy.load(club, interpretations=["chair_alone"])
    who = policy.who_may("decide", "budget")
    assert who.ids == ("club", "president")
    assert who.interpretations == ("chair_alone",)
    assert who.answer_interpretations == {"president": ("chair_alone",)}
    assert policy.what_may("club").interpretations == ()


def test_policy_toml_adopts_and_load_overrides_it(club):
    (club / "policy.toml").write_text('[interpretations]\nadopt = ["chair_alone"]\n', encoding="utf-8")
    assert Policy.load(club).may("president", "decide", "budget").interpretations == ("chair_alone",)
    assert not Policy.load(club, interpretations=()).may("president", "decide", "budget")
    assert not Policy.load(club).with_interpretations([]).may("president", "decide", "budget")


@pytest.mark.parametrize(("toml", "message"), [
    ('[interpretation]\nadopt = ["chair_alone"]\n', "unknown table `[interpretation]`"),
    ('[interpretations]\nadpot = ["chair_alone"]\n', "unknown key `adpot` in `[interpretations]`"),
    ('[interpretations]\nadopt = "chair_alone"\n', "must be a list of interpretation ids"),
    ('[interpretations]\nadopt = ["chair_alon"]\n', "adopts the interpretation `chair_alon`"),
    ("[interpretations\n", "policy.toml"),
])
def test_a_bad_policy_toml_is_an_error_naming_the_file(club, toml, message):
    (club / "policy.toml").write_text(toml, encoding="utf-8")
    with pytest.raises(PolicyError) as info:
        load_program(club)
    assert message in str(info.value) and "policy.toml" in str(info.value)


def test_a_misspelt_id_in_policy_toml_gets_did_you_mean(club, capsys):
    (club / "policy.toml").write_text('[interpretations]\nadopt = ["chair_alon"]\n', encoding="utf-8")
    assert main(["check", str(club)]) == 1
    assert "did you mean `chair_alone`?" in capsys.readouterr().out


def test_an_unknown_id_for_load_is_refused(club):
    with pytest.raises(PolicyLoadError, match="did you mean `chair_alone`"):
        Policy.load(club, interpretations=["chair_alon"])


def test_bundled_default_answers_rest_on_no_interpretation():
    policy = Policy.load()
    assert policy.adopted == ()
    assert not policy.may("Departementschef DIV", "abnehmen", "Schwerpunktplanung")
    assert not any(p.object.id == "schwerpunktplanung" for p in policy.what_may("Departementschef DIV"))
    chair = Policy.load(interpretations=["vorsitz_handelt_allein"])
    d = chair.may("Departementschef DIV", "abnehmen", "Schwerpunktplanung")
    assert d.allowed and d.interpretations == ("vorsitz_handelt_allein",)


def test_cli_interpretation_flags(club, capsys):
    assert main(["query", "--rules", str(club), "may", "president", "decide", "budget"]) == 0
    assert ": no" in capsys.readouterr().out
    assert main(["query", "--rules", str(club), "--interpretation", "chair_alone", "--format", "json",
                 "may", "president", "decide", "budget"]) == 0
    row = json.loads(capsys.readouterr().out)
    assert row["allowed"] is True and row["interpretations"] == ["chair_alone"]
    assert row["explanation"]["proofs"][0]["basis"] == "interpretation"
    (club / "policy.toml").write_text('[interpretations]\nadopt = ["chair_alone"]\n', encoding="utf-8")
    for off in (["--text-only"], ["--no-interpretation", "chair_alone"]):
        assert main(["query", "--rules", str(club), *off, "may", "president", "decide", "budget"]) == 0
        assert ": no" in capsys.readouterr().out


def test_cli_unknown_interpretation_exits_2(club, capsys):
    assert main(["query", "--rules", str(club), "--interpretation", "chair_alon",
                 "may", "president", "decide", "budget"]) == 2
    assert "did you mean `chair_alone`?" in capsys.readouterr().err


def test_cli_interpretations_command(club, capsys):
    assert main(["interpretations", str(club)]) == 0
    out = capsys.readouterr().out
    assert "chair_alone (not adopted)" in out and "en: The chair acts alone." in out
    assert main(["interpretations", str(club), "--interpretation", "chair_alone", "--format", "json"]) == 0
    listed = json.loads(capsys.readouterr().out)["interpretations"]
    assert [(i["id"], i["adopted"], i["rules"]) for i in listed] == [("chair_alone", True, ["chair_may"])]


def test_policy_tests_adopt_interpretations_per_case(club, capsys):
    tests = club / "tests"
    tests.mkdir()
    (tests / "club.yaml").write_text(
        "- may: [president, decide, budget]\n  expect: deny\n"
        "- may: [president, decide, budget]\n  interpretations: [chair_alone]\n  expect: allow\n"
        "  because: [chair_may]\n", encoding="utf-8")
    assert main(["test", str(club)]) == 0
    assert "2 passed" in capsys.readouterr().out
    assert main(["test", str(club), "--interpretation", "chair_alone"]) == 1  # the first case now fails


def test_misquote_blocks_loading_too(club):
    shutil.copy(club / "club.dl", club / "club.dl.bak")
    (club / "club.dl").write_text(CLUB.replace("Der Verein beschliesst.", "Der Verein beschließt.", 1),
                                  encoding="utf-8")
    with pytest.raises(Exception, match="misquote"):
        Policy.load(club)


def test_a_delegator_acting_on_an_interpretation_is_not_explained_as_a_delegate():
    text = Policy.load(RULES)
    assert not text.may("Regierungsrat", "umsetzen", "Strategie")
    adopted = Policy.load(RULES, interpretations=["delegator_behaelt_delegiertes"], lang="en")
    decision = adopted.may("Regierungsrat", "umsetzen", "Strategie")
    assert decision.allowed and decision.interpretations == ("delegator_behaelt_delegiertes",)
    explanation = decision.explanation
    assert explanation.chain == ()  # it acts on the reading, not through a delegation to it
    assert "by delegation" not in explanation.summary
    assert "(by interpretation: delegator_behaelt_delegiertes)" in explanation.summary
    # the delegate's own answer rests on the text alone
    assert adopted.may("Steuerungsausschuss", "umsetzen", "Strategie").interpretations == ()
