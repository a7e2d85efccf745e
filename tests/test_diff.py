"""Decision diff between two policy versions."""

import importlib.util
import json
from pathlib import Path

import pytest

from kdv_policy import Policy

REPO_RULES = Path(__file__).resolve().parents[1] / "rules"
"""The policy of this repository (not the copy an installation bundles)."""

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "sixth_department"
_spec = importlib.util.spec_from_file_location("sixth_department_make", EXAMPLE / "make.py")
_module = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_module)
make = _module.make


@pytest.fixture(scope="module")
def bundled() -> Policy:
    return Policy.load(REPO_RULES)


def test_no_change_is_an_empty_diff(bundled):
    d = bundled.diff(Policy.load(REPO_RULES))
    assert not d and d.changes == () and "no decision changed" in d.render()


def test_a_what_if_shows_gained_and_lost_decisions_with_explanations(bundled):
    changed = bundled.with_facts(add=["competence(planungsausschuss, approve, schwerpunktplanung)"],
                                 remove=["competence(regierungsrat, approve, strategie)"])
    d = bundled.diff(changed)
    gained = {c.atom for c in d.gained}
    lost = {c.atom for c in d.lost}
    assert "may(planungsausschuss, approve, schwerpunktplanung)" in gained
    assert "may(regierungsrat, approve, strategie)" in lost
    (rr,) = [c for c in d.lost if c.atom == "may(regierungsrat, approve, strategie)"]
    assert rr.group == "Regierungsrat / approve"
    assert "rr_verabschiedet_strategie" in rr.explanation.rule_ids  # explained by the old version
    (pa,) = [c for c in d.gained if c.atom == "may(planungsausschuss, approve, schwerpunktplanung)"]
    assert pa.explanation.proofs  # explained by the new version
    assert json.loads(d.model_dump_json())["changes"]


def test_the_sixth_department_flips_exactly_these_decisions(bundled, tmp_path):
    new = Policy.load(make(tmp_path / "rules"))
    d = bundled.diff(new, explain=False)
    assert sorted((c.change, c.atom) for c in d.changes) == [
        ("gained", "consumer(ddg)"),
        ("gained", "member(konferenz, dv_ddg)"),
        ("gained", "member(planungsausschuss, dv_ddg)"),
        ("gained", "member(steuerungsausschuss, generalsekretaer_ddg)"),
        ("gained", "responsible(dv_ddg, ddg)"),
        ("gained", "serves(kompetenzzentrum, ddg)"),
    ]
    text = d.render()
    assert "membership: Steuerungsausschuss\n  + member(steuerungsausschuss, generalsekretaer_ddg)" in text


def test_the_example_diff_output_is_current(bundled, tmp_path, capsys):
    from kdv_policy.cli.main import main

    new = make(tmp_path / "rules")
    assert main(["diff", str(bundled.directory), str(new)]) == 1
    shown = capsys.readouterr().out.splitlines()[1:]  # the first line names the two versions
    assert shown == (EXAMPLE / "diff.txt").read_text(encoding="utf-8").splitlines()


def test_the_change_passes_its_own_tests_and_flags_the_exact_member_lists(tmp_path):
    from kdv_policy.authoring.policytests import run_tests

    report = run_tests(make(tmp_path / "rules"))
    own = [r for r in report.results if r.file.endswith("sechstes_departement.yaml")]
    assert len(own) == 5 and all(r.passed for r in own)
    assert sorted(r.name for r in report.failures) == sorted([
        "Alle Generalsekretäre sind Mitglied",
        "Alle Generalsekretäre sind die Generalsekretäre der fünf Departemente",
        "Die DV sind die Digitalisierungsverantwortlichen der Departemente, SK und Gerichte",
        "Der Planungsausschuss setzt sich aus den DV und der Leitung des Kompetenzzentrums zusammen",
        "Der Steuerungsausschuss setzt sich aus den genannten Rollen zusammen",
        "Die DV sind die Rollen mit der Funktion Digitalisierungsverantwortliche",
        "Die Konferenz setzt sich aus den DV, der Leitung und der Projektleitung des Kompetenzzentrums "
        "zusammen",
        "Die Zusammenarbeit des Kompetenzzentrums",
    ])


def test_render_names_the_verb_in_the_language_asked_for(bundled):
    from kdv_policy.policy.diff import group_of, heading_of

    changed = bundled.with_facts(add=["competence(planungsausschuss, define, schwerpunktplanung)"])
    d = bundled.diff(changed, explain=False)
    (c,) = d.changes
    assert c.group == "Planungsausschuss / define"  # the JSON field: the action's id, as before
    assert group_of(c, "de") == "Planungsausschuss / definieren"
    assert group_of(c, "en") == "Planungsausschuss / define"
    assert heading_of(c, "de") == "darf: Planungsausschuss / definieren"
    german = d.render(lang="de").splitlines()
    assert german[0].startswith("1 hinzugekommen, 0 weggefallen (")
    assert german[2:] == ["darf: Planungsausschuss / definieren",
                          "  + may(planungsausschuss, define, schwerpunktplanung)"]
    assert d.render().splitlines()[2] == "may: Planungsausschuss / define"
    assert bundled.diff(bundled).render(lang="de").startswith("keine Entscheidung geändert (")
    with pytest.raises(Exception, match="lang"):
        d.render(lang="fr")
