"""The organisation directory (rules/organisation.toml) and its loader, kdv_policy.data."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kdv_policy.data import (
    DATA_FILE,
    DataSet,
    NameEntry,
    OrganisationDirectory,
    load_data,
    parse_data,
)
from kdv_policy.data.facts import Forms
from kdv_policy.errors import PolicyError, PolicyLoadError

RULES = Path(__file__).resolve().parents[1] / "rules"

MINIMAL = """
[[unit_kinds]]
id = "departement"
name = "Departement"
administration = true

[[functions]]
id = "generalsekretaer"
name = "Generalsekretär/in"

[[phases]]
number = 1
name = "Erste Phase"

[[units]]
id = "div"
kind = "departement"
name = "Departement für Inneres und Volkswirtschaft"
abbreviations = ["DIV"]

[[roles]]
id = "generalsekretaer_div"
unit = "div"
function = "generalsekretaer"
name = "Generalsekretär DIV"

[[bodies]]
id = "steuerungsausschuss"
name = "Steuerungsausschuss"
abbreviations = ["StA"]
"""


@pytest.fixture(scope="module")
def bundled() -> DataSet:
    data = load_data(RULES)
    assert data is not None
    return data


def load_error(text: str) -> str:
    with pytest.raises(PolicyLoadError) as info:
        parse_data(text, "org.toml")
    return str(info.value)


# -- the bundled directory ----------------------------------------------------------------------


def test_the_bundled_directory_names_the_units_of_the_text(bundled):
    units = {u.id: u for u in bundled.directory.units}
    assert {u: units[u].name for u in ("div", "dfs", "dek", "dbu", "djs")} == {
        "div": "Departement für Inneres und Volkswirtschaft",
        "dfs": "Departement für Finanzen und Soziales",
        "dek": "Departement für Erziehung und Kultur",
        "dbu": "Departement für Bau und Umwelt",
        "djs": "Departement für Justiz und Sicherheit",
    }
    assert units["staatskanzlei"].abbreviations == ("SK",)
    assert units["amt_fuer_informatik"].abbreviations == ("AfI",)
    for town in ("arbon", "frauenfeld", "kreuzlingen", "muenchwilen", "weinfelden"):
        assert units[f"bezirksamt_{town}"].kind == "bezirksamt"
    kinds = {k.id: k.administration for k in bundled.directory.unit_kinds}
    assert {units[u].kind for u in units if not kinds[units[u].kind]} >= {
        "gemeinde", "verband", "selbstaendige_anstalt"}
    assert {"obergericht", "verwaltungsgericht", "kantonsschule_frauenfeld", "personalamt", "vtg", "vtgs",
            "smarter_thurgau", "gemeinde_frauenfeld", "thurgauer_kantonalbank"} <= set(units)
    assert {"unselbstaendige_anstalt", "kantonaler_betrieb"} <= {u.kind for u in units.values()}


def test_the_bundled_roles_and_bodies(bundled):
    roles = {r.name: r for r in bundled.directory.roles}
    for name in ("Departementschef DIV", "Generalsekretär DEK", "Amtschefin Personalamt",
                 "Leitung des Kompetenzzentrums", "Projektleiter/in Kompetenzzentrum", "Staatsschreiber"):
        assert name in roles
    bodies = {b.id: b for b in bundled.directory.bodies}
    assert {b: bodies[b].abbreviations for b in ("regierungsrat", "steuerungsausschuss",
                                                   "planungsausschuss", "kompetenzzentrum")} == {
        "regierungsrat": ("RR",), "steuerungsausschuss": ("StA",), "planungsausschuss": ("PA",),
        "kompetenzzentrum": ("KDV",)}
    assert bodies["kompetenzzentrum"].established == datetime.date(2020, 12, 31)
    assert bodies["kontaktgremium"].phase == 2


def test_the_bundled_facts(bundled):
    facts = bundled.facts
    assert ("amt_fuer_informatik", "dfs") in facts["parent"]
    assert ("div", "departement") in facts["unit_kind"]
    assert ("departementschef_div", "div", "departementschef") in facts["role_of"]
    assert ("leitung_kompetenzzentrum", "kompetenzzentrum", "leitung") in facts["role_of"]
    assert ("kompetenzzentrum", datetime.date(2020, 12, 31)) in facts["established"]
    assert ("kontaktgremium", 2) in facts["in_phase"]
    assert ("gemeinde",) not in facts["administrative_kind"]
    assert facts["phase_started"] == []  # the text dates no phase
    for rows in facts.values():
        for row in rows:
            assert all(type(v) in (str, int, datetime.date) for v in row)


def test_the_name_table(bundled):
    by_id = {(n.id, n.kind): n for n in bundled.names}
    assert by_id[("div", "unit")].abbreviations == ("DIV",)
    assert by_id[("kompetenzzentrum", "body")] == NameEntry(
        "kompetenzzentrum", "body", "Kompetenzzentrum Digitale Verwaltung", ("KDV",),
        ("Kompetenzzentrum", "Umsetzungsorganisation"),
        Forms("das", "das Kompetenzzentrum Digitale Verwaltung", "des Kompetenzzentrums Digitale Verwaltung",
              "dem Kompetenzzentrum Digitale Verwaltung", "das Kompetenzzentrum Digitale Verwaltung"))
    assert "verabschieden" in by_id[("approve", "action")].aliases
    assert "erarbeiten" in by_id[("prepare", "action")].aliases
    assert by_id[("budget_impulsprogramm", "object")].name == "Budget des Impulsprogramms"
    assert {n.kind for n in bundled.names} == {"unit", "role", "body", "action", "object", "function"}
    actions = {n.id for n in bundled.names if n.kind == "action"}
    assert {"approve", "define", "prepare", "request", "implement", "delegate", "lead", "coordinate",
            "serve", "identify"} <= actions


def test_facts_know_where_they_come_from(bundled):
    origin = bundled.origin("parent", ("amt_fuer_informatik", "dfs"))
    assert origin is not None and origin.endswith(": units.amt_fuer_informatik")
    line = int(origin.split(":")[-2])
    text = (RULES / DATA_FILE).read_text(encoding="utf-8").splitlines()
    assert text[line - 1].strip() == 'id = "amt_fuer_informatik"'


def test_no_data_file_means_no_data(tmp_path):
    assert load_data(tmp_path) is None
    assert load_data(tmp_path / "missing") is None


def test_a_minimal_directory(tmp_path):
    (tmp_path / DATA_FILE).write_text(MINIMAL, encoding="utf-8")
    data = load_data(tmp_path)
    assert data.facts["role_of"] == [("generalsekretaer_div", "div", "generalsekretaer")]
    assert data.facts["in_phase"] == [("steuerungsausschuss", 1)]
    assert isinstance(data.directory, OrganisationDirectory)


# -- errors: `file: entry: message` ----------------------------------------------------------------


def test_an_unknown_parent_names_the_file_and_the_entry():
    text = MINIMAL.replace('abbreviations = ["DIV"]', 'abbreviations = ["DIV"]\nparent = "dvi"')
    message = load_error(text)
    assert message == ("org.toml: units.div: `parent` names the unit `dvi`, which is not defined in this "
                       "file; did you mean `div`?")


def test_an_unknown_role_unit_and_function():
    text = MINIMAL.replace('unit = "div"', 'unit = "dek"').replace('function = "generalsekretaer"',
                                                                 'function = "gs"')
    lines = load_error(text).splitlines()
    assert lines == [
        "org.toml: roles.generalsekretaer_div: `unit` names the unit or body `dek`, which is not defined in "
        "this file",
        "org.toml: roles.generalsekretaer_div: `function` names the function `gs`, which is not defined in "
        "this file",
    ]


def test_an_unknown_kind_and_phase():
    text = MINIMAL.replace('kind = "departement"', 'kind = "departemnt"').replace(
        'abbreviations = ["StA"]', 'abbreviations = ["StA"]\nphase = 2')
    message = load_error(text)
    assert "org.toml: units.div: `kind` names the unit kind `departemnt`" in message
    assert "did you mean `departement`?" in message
    assert "org.toml: bodies.steuerungsausschuss: `phase` names the phase `2`" in message


def test_unknown_and_missing_fields():
    message = load_error(MINIMAL.replace('name = "Generalsekretär DIV"', 'nmae = "Generalsekretär DIV"'))
    assert "org.toml: roles.generalsekretaer_div: missing field `name`" in message
    assert "org.toml: roles.generalsekretaer_div: unknown field `nmae`; did you mean `name`?" in message


def test_an_unknown_top_level_table():
    message = load_error(MINIMAL + '\n[[people]]\nid = "x"\n')
    assert message.startswith("org.toml: [[people]]: unknown table; the tables are unit_kinds, ")
    assert load_error(MINIMAL + '\n[[unit]]\nid = "x"\n') == \
        "org.toml: [[unit]]: unknown table; did you mean `[[units]]`?"


def test_an_entry_without_an_id_is_named_by_its_position():
    message = load_error(MINIMAL + '\n[[units]]\nkind = "departement"\nname = "Ohne Id"\n')
    assert message == "org.toml: units[1]: missing field `id`"


def test_ids_must_be_atoms_of_the_rule_language():
    message = load_error(MINIMAL.replace('id = "div"', 'id = "DIV"'))
    assert "org.toml: units.DIV: `id` must be a lowercase id" in message


def test_duplicate_ids_across_tables():
    message = load_error(MINIMAL + '\n[[bodies]]\nid = "div"\nname = "Ein Gremium"\n')
    assert "org.toml: bodies.div: id `div` is already used by units.div" in message


def test_a_parent_cycle():
    text = MINIMAL.replace('abbreviations = ["DIV"]', 'abbreviations = ["DIV"]\nparent = "dfs"') + """
[[units]]
id = "dfs"
kind = "departement"
name = "Departement für Finanzen und Soziales"
parent = "div"
"""
    message = load_error(text)
    assert "org.toml: units.div: unit `div` is its own ancestor" in message
    assert "org.toml: units.dfs: unit `dfs` is its own ancestor" in message


def test_a_name_used_twice():
    message = load_error(MINIMAL + '\n[[bodies]]\nid = "pa"\nname = "Planungsausschuss"\naliases = ["div"]\n')
    assert "org.toml: bodies.pa: the name `div` is already used by units.div" in message


def test_wrong_value_types():
    message = load_error(MINIMAL.replace("administration = true", 'administration = "ja"'))
    assert message.startswith("org.toml: unit_kinds.departement: `administration`: ")


def test_a_toml_syntax_error_gives_line_and_column():
    message = load_error(MINIMAL.replace('name = "Steuerungsausschuss"', "name = Steuerungsausschuss"))
    line = MINIMAL.splitlines().index('name = "Steuerungsausschuss"') + 1
    assert message.startswith(f"org.toml:{line}:8: invalid TOML: ")


def test_errors_carry_diagnostics_that_point_at_the_entry():
    with pytest.raises(PolicyError) as info:
        parse_data(MINIMAL.replace('function = "generalsekretaer"', 'function = "gs"'), "org.toml")
    diag = info.value.diagnostics[0]
    assert diag.code == "data-invalid"
    assert diag.span.line == MINIMAL.splitlines().index('id = "generalsekretaer_div"') + 1
    assert 'id = "generalsekretaer_div"' in info.value.render()


def test_a_file_that_is_not_utf8(tmp_path):
    (tmp_path / DATA_FILE).write_bytes(b'[[units]]\nname = "Gemeinde M\xfcnchwilen"\n')
    with pytest.raises(PolicyLoadError, match="not valid UTF-8"):
        load_data(tmp_path)


# -- a property: any directory of valid entries loads, and its facts mirror it ------------------


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["departement", "gemeinde"]), st.booleans()), min_size=1,
                max_size=10))
def test_facts_mirror_the_entries(entries):
    text = """
[[unit_kinds]]
id = "departement"
name = "Departement"
administration = true

[[unit_kinds]]
id = "gemeinde"
name = "Gemeinde"
administration = false
"""
    expected_parents = []
    for i, (kind, has_parent) in enumerate(entries):
        text += f'\n[[units]]\nid = "u{i}"\nkind = "{kind}"\nname = "Einheit {i}"\n'
        if has_parent and i:
            text += f'parent = "u{i - 1}"\n'
            expected_parents.append((f"u{i}", f"u{i - 1}"))
    data = parse_data(text)
    assert data.facts["unit"] == [(f"u{i}",) for i in range(len(entries))]
    assert data.facts["parent"] == expected_parents
    assert data.facts["administrative_kind"] == [("departement",)]
    assert [n.id for n in data.names] == [f"u{i}" for i in range(len(entries))]


def test_a_table_written_as_a_single_table():
    assert load_error('[units]\nid = "x"\n') == \
        "org.toml: [[units]]: `units` must be an array of tables: write `[[units]]` above each entry"


def test_lists_and_dates_must_have_their_toml_types():
    message = load_error(MINIMAL.replace('abbreviations = ["DIV"]', 'abbreviations = "DIV"').replace(
        'name = "Erste Phase"', 'name = "Erste Phase"\nstarted = "bald"'))
    assert "org.toml: units.div: `abbreviations` must be a list of strings" in message
    assert "org.toml: phases.1: `started` must be a TOML date written without quotes" in message


def test_the_package_gives_every_name_it_lists_from_its_module():
    import importlib

    import kdv_policy.data as package

    assert sorted(package._MODULES) == sorted(package.__all__)
    for name, module in package._MODULES.items():
        assert getattr(package, name) is getattr(importlib.import_module(f"kdv_policy.data.{module}"), name)
    with pytest.raises(AttributeError, match=r"no attribute 'nothing'"):
        package.nothing  # noqa: B018
