"""Every fact and rule has one basis (text, structure or interpretation), and every `@source`
quote is a verbatim part of the policy's governance text."""

from pathlib import Path

import pytest
from hypothesis import given, settings

from kdv_policy import PolicyCheckError, analyse, parse_program
from kdv_policy.cli.main import main
from kdv_policy.language.printer import format_module
from kdv_policy.language.syntax import Interpretation
from kdv_policy.policy.loader import load_program
from strategies import interpretations

RULES = Path(__file__).resolve().parents[1] / "rules"

INTERPRETATION = """
%% The chair acts for its body.
@de("Der Vorsitz handelt allein.")
@en("The chair acts alone.")
@rationale("Der Text nennt nur den Vorsitz.")
.interpretation vorsitz.
"""
HEADER = ".decl p(x)\n.decl q(x)\n" + INTERPRETATION


def diagnostics(text: str, source_text: str | None = None):
    found = analyse([parse_program(text, "p.dl")], source_text=source_text).diagnostics
    return [d for d in found if d.code != "unused-predicate"]


def codes(text: str, source_text: str | None = None) -> list[str]:
    return [d.code for d in diagnostics(text, source_text)]


def test_interpretation_declaration_parses_with_its_descriptions():
    module = parse_program(HEADER, "p.dl")
    interp = module.interpretations[0]
    assert isinstance(interp, Interpretation)
    assert interp.name == "vorsitz" and interp.doc == "The chair acts for its body."
    assert (interp.text("de"), interp.text("en")) == ("Der Vorsitz handelt allein.", "The chair acts alone.")
    assert parse_program(format_module(module), "p.dl") == module


@settings(max_examples=50, deadline=None)
@given(interpretations)
def test_interpretation_declarations_round_trip(interp):
    from kdv_policy.language.syntax import Module
    module = Module("<test>", (interp,))
    assert parse_program(format_module(module), "<test>") == module


def test_each_basis_is_accepted():
    text = HEADER + """
        @id(a) @source("s") @source("t") p(a).
        @id(b) @structure("q composes p") q(X) :- p(X).
        @id(c) @interpretation(vorsitz) @source("s") p(c).
        @id(d) @interpretation(vorsitz) q(d).
    """
    assert codes(text) == []
    clauses = {c.id: c for c in parse_program(text, "p.dl").clauses}
    assert [clauses[i].basis for i in "abcd"] == ["text", "structure", "interpretation", "interpretation"]
    assert clauses["a"].citations == ("s", "t")


def test_a_clause_without_basis_is_a_missing_citation():
    assert codes(HEADER + "@id(c) @interpretation(vorsitz) p(c).\n@id(a) p(a).") == ["missing-citation"]


@pytest.mark.parametrize("other", ['@source("s")', "@interpretation(vorsitz)"])
def test_structure_with_another_basis_is_an_error(other):
    used = "@id(c) @interpretation(vorsitz) p(c).\n"
    found = diagnostics(HEADER + used + f'@id(a) @structure("x") {other} p(a).')
    assert [d.code for d in found] == ["conflicting-basis"]
    assert found[0].is_error and (found[0].span.line, found[0].span.col) == (10, 8)


def test_an_unknown_interpretation_is_an_error_with_did_you_mean():
    used = "@id(c) @interpretation(vorsitz) p(c).\n"
    found = diagnostics(HEADER + used + "@id(a) @interpretation(vorsiz) p(a).")
    assert [d.code for d in found] == ["unknown-interpretation"]
    assert "`vorsiz`" in found[0].message and "@interpretation(vorsitz)" in found[0].help


def test_an_interpretation_needs_de_en_and_rationale():
    text = '.decl p(x)\n@en("x")\n.interpretation bare.\n@id(a) @interpretation(bare) p(a).'
    found = diagnostics(text)
    assert [d.code for d in found] == ["incomplete-interpretation"] * 2
    assert {"`@de`" in d.message or "`@rationale`" in d.message for d in found} == {True}


def test_an_unused_interpretation_is_a_warning():
    found = diagnostics(HEADER + '@id(a) @source("s") p(a).')
    assert [(d.code, d.is_error) for d in found] == [("unused-interpretation", False)]


def test_a_duplicate_interpretation_is_an_error():
    found = codes(HEADER + INTERPRETATION + "@id(a) @interpretation(vorsitz) p(a).")
    assert found == ["duplicate-interpretation"]


def test_annotations_stay_on_their_kind_of_item():
    assert codes(HEADER + '@id(a) @interpretation(vorsitz) @de("x") p(a).') == ["annotation-argument"]
    assert codes('.decl p(x)\n@de("d") @en("e") @rationale("r") @id(x)\n.interpretation i.\n'
                 "@id(a) @interpretation(i) p(a).") == ["annotation-argument"]


TEXT = ("Titel\nDer Regierungsrat verabschiedet die Strategie, gibt das  Budget\tfrei und delegiert. "
        "Zweiter Satz.")


def test_a_verbatim_quote_passes_with_whitespace_collapsed():
    assert codes('.decl p(x)\n@id(a) @source("gibt das Budget frei") p(a).', TEXT) == []
    assert codes('.decl p(x)\n@id(a) @source("die Strategie, gibt das") p(a).', TEXT) == []


def test_a_misquote_is_an_error_naming_the_nearest_sentence():
    text = '.decl p(x)\n\n@id(a)\n@source("Der Regierungsrat genehmight die Strategie") p(a).'
    found = diagnostics(text, TEXT)
    assert [d.code for d in found] == ["misquote"]
    assert found[0].is_error and (found[0].span.line, found[0].span.col) == (4, 1)
    nearest = "« Der Regierungsrat verabschiedet die Strategie, gibt das Budget frei und delegiert. »"
    assert nearest in found[0].help


def misquoted_policy(tmp_path: Path) -> Path:
    """A copy of the bundled policy with one misspelt quote."""
    policy = tmp_path / "policy"
    policy.mkdir()
    for path in RULES.iterdir():
        if path.is_file():
            (policy / path.name).write_bytes(path.read_bytes())
    competences = policy / "competences.dl"
    text = competences.read_text(encoding="utf-8")
    assert '@source("Der Regierungsrat verabschiedet die Strategie")' in text
    competences.write_text(text.replace('@source("Der Regierungsrat verabschiedet die Strategie")',
                                        '@source("Der Regierungsrat genehmight die Strategie")', 1),
                           encoding="utf-8")
    return policy


def test_check_rejects_a_misquoted_source(tmp_path, capsys, monkeypatch):
    policy = misquoted_policy(tmp_path)
    monkeypatch.chdir(tmp_path)
    assert main(["check", "policy"]) == 1
    out = capsys.readouterr().out
    assert "error: `@source` quote `Der Regierungsrat genehmight die Strategie` is not a verbatim part " \
           "of source-text.txt [misquote]" in out
    assert "Der Regierungsrat verabschiedet die Strategie, gibt das Budget frei" in out
    with pytest.raises(PolicyCheckError, match="misquote"):
        load_program(policy)


def test_without_source_text_quotes_are_not_compared(tmp_path):
    policy = misquoted_policy(tmp_path)
    (policy / "source-text.txt").unlink()
    assert load_program(policy).program is not None
