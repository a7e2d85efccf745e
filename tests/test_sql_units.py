"""The organisation's units in a database: added to those of organisation.toml, checked as the
file's are, every clash named by table, row key and column; units moved from the file into
SQLite or PostgreSQL give the same answers as the file did.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import tomli
from sqlalchemy import create_engine, delete, insert

from kdv_policy import Policy, UnknownNameError
from kdv_policy.cli.main import main
from kdv_policy.data import load_data
from kdv_policy.data.sql import driver_url
from kdv_policy.data.sql.connect import migrate
from kdv_policy.data.sql.schema import unit_aliases, units
from kdv_policy.data.sql.source import load_people_sql
from kdv_policy.data.sql.transfer import export_people, import_people, read_units_file
from kdv_policy.errors import PolicyLoadError
from kdv_policy.policy.loader import bundled_rules
from pgserver import new_database
from test_sql_people import KINDS, PEOPLE, _questions

MOVED = ("obergericht", "verwaltungsgericht", "bezirksamt_arbon", "bezirksamt_muenchwilen",
         "kantonsschule_frauenfeld", "musterbetrieb", "gemeinde_frauenfeld")
"""Units no role and no other unit of the bundled file names, none with abbreviations."""


def _string(text: str) -> str:
    import json

    return json.dumps(text, ensure_ascii=False)


def moved_policy(tmp_path: Path) -> tuple[Path, Path]:
    """The bundled policy with the units :data:`MOVED` and the alias of `gerichte` taken out of
    organisation.toml, and the units file that gives them back."""
    rules = tmp_path / "rules"
    shutil.copytree(bundled_rules(), rules)
    path = rules / "organisation.toml"
    text = path.read_text(encoding="utf-8")
    original = tomli.loads(text)
    blocks = re.split(r"(?m)^(?=\[\[)", text)
    kept = []
    for block in blocks:
        found = re.search(r'(?m)^id = "([a-z0-9_]+)"', block)
        if block.startswith("[[units]]") and found and found.group(1) in MOVED:
            continue
        if block.startswith("[[units]]") and found and found.group(1) == "gerichte":
            block = block.replace('aliases = ["Gerichte"]\n', "")
        kept.append(block)
    path.write_text("".join(kept), encoding="utf-8")
    lines = []
    for unit in original["units"]:
        if unit["id"] not in MOVED:
            continue
        lines.append("[[units]]")
        lines += [f"{key} = {_string(value)}" for key, value in unit.items() if isinstance(value, str)]
        if unit.get("aliases"):
            lines.append("aliases = [" + ", ".join(map(_string, unit["aliases"])) + "]")
        lines.append("")
    lines += ["[[unit_aliases]]", 'unit_id = "gerichte"', 'aliases = ["Gerichte"]', ""]
    units_file = tmp_path / "units.toml"
    units_file.write_text("\n".join(lines), encoding="utf-8")
    return rules, units_file


def run(url: str, *statements) -> None:
    engine = create_engine(driver_url(url))
    try:
        with engine.begin() as connection:
            for statement in statements:
                connection.execute(statement)
    finally:
        engine.dispose()


@pytest.fixture(params=KINDS)
def units_db(request, tmp_path) -> tuple[str, Path]:
    """A database holding examples/people.toml and the units moved out of the policy's file."""
    rules, units_file = moved_policy(tmp_path)
    url = new_database(request.param, tmp_path, request)
    migrate(url)
    import_people(PEOPLE, url, load_data(rules), units=units_file)
    return url, rules


def loading_error(rules: Path, url: str) -> str:
    with pytest.raises(PolicyLoadError) as raised:
        Policy.load(rules, people=url)
    return str(raised.value)


def test_units_moved_into_sqlite_and_postgresql_give_the_same_answers(request, tmp_path):
    rules, units_file = moved_policy(tmp_path)
    organisation = load_data(rules)
    assert not {u.id for u in organisation.directory.units} & set(MOVED)
    expected = Policy.load(people=PEOPLE)
    expected_model = expected.materialise().model
    expected_answers = _questions(expected)
    names = ["Obergericht", "Gerichte", "Bezirksamt Muenchwilen", "Stadt Frauenfeld", "musterbetrieb"]
    with pytest.raises(UnknownNameError):  # the file alone lacks them: the database gives them
        Policy.load(rules, people=PEOPLE).resolve("Stadt Frauenfeld")
    for kind in KINDS:
        url = new_database(kind, tmp_path, request)
        migrate(url)
        import_people(PEOPLE, url, organisation, units=units_file)
        from_db = Policy.load(rules, people=url)
        assert from_db.materialise().model == expected_model, kind
        assert _questions(from_db) == expected_answers, kind
        for name in names:
            assert from_db.resolve(name) == expected.resolve(name), (kind, name)
        for actor in ("Obergericht", "Gemeinde Frauenfeld", "Gerichte"):
            mine, theirs = (p.may(actor, "approve", "Strategie") for p in (from_db, expected))
            assert mine.model_dump(exclude={"version", "explanation"}) == \
                theirs.model_dump(exclude={"version", "explanation"}), (kind, actor)
        read = load_people_sql(url, organisation)
        assert (read.origin("unit", ("obergericht",)) or "").endswith(": units[id=obergericht]")


def test_a_database_without_units_reads_as_before(request, tmp_path):
    for kind in KINDS:
        url = new_database(kind, tmp_path, request)
        migrate(url)
        import_people(PEOPLE, url, load_data(bundled_rules()))
        people = load_people_sql(url, load_data(bundled_rules()))
        assert "unit" not in people.facts


def _unit(unit_id: str, name: str, kind: str = "gericht", parent: str | None = None) -> dict:
    return {"id": unit_id, "name": name, "kind": kind, "parent": parent}


def test_a_unit_the_file_defines_is_a_clash_named_by_row_and_column(units_db):
    url, rules = units_db
    run(url, insert(units).values(_unit("div", "Noch ein Departement")))
    message = loading_error(rules, url)
    assert "units[id=div].id: id `div` is already used by units.div of the organisation file" in message


def test_a_name_the_file_uses_is_a_clash_named_by_row_and_column(units_db):
    url, rules = units_db
    clash = "Departement für Inneres und Volkswirtschaft"
    run(url, insert(units).values(_unit("zweites_obergericht", clash)))
    message = loading_error(rules, url)
    assert "units[id=zweites_obergericht].name: the name `Departement für Inneres und Volkswirtschaft` " \
           "is already used by units.div" in message


def test_an_alias_that_names_another_entry_is_named_by_its_row(units_db):
    url, rules = units_db
    run(url, insert(unit_aliases).values(unit_id="obergericht", position=5, alias="Regierungsrat"))
    message = loading_error(rules, url)
    assert "unit_aliases[unit_id=obergericht, position=5].alias: the name `Regierungsrat` is already used " \
           "by bodies.regierungsrat; names must resolve to one entry" in message


def test_an_alias_of_no_unit_and_an_unknown_kind_are_named_together(units_db):
    url, rules = units_db
    run(url, insert(unit_aliases).values(unit_id="nirgends", position=0, alias="Nirgendwo"),
        insert(units).values(_unit("gericht_x", "Gericht X", kind="gerichtt")))
    message = loading_error(rules, url)
    assert "unit_aliases[unit_id=nirgends, position=0].unit_id: `unit_id` names the unit `nirgends`" \
        in message
    assert "units[id=gericht_x].kind: `kind` names the unit kind `gerichtt`" in message
    assert "did you mean `gericht`" in message


def test_a_cycle_of_parents_and_a_bad_id_are_named(units_db):
    url, rules = units_db
    run(url, insert(units).values(_unit("kreis_a", "Kreis A", parent="kreis_b")),
        insert(units).values(_unit("kreis_b", "Kreis B", parent="kreis_a")),
        insert(units).values(_unit("Kreis_C", "Kreis C")))
    message = loading_error(rules, url)
    assert "units[id=kreis_a].parent: unit `kreis_a` is its own ancestor" in message
    assert "units[id=Kreis_C].id: `Kreis_C` is not an id" in message


def test_a_person_may_not_take_the_id_of_a_unit_of_the_database(units_db):
    url, rules = units_db
    run(url, delete(units).where(units.c.id == "musterbetrieb"),
        insert(units).values(_unit("erika_muster", "Erika-Muster-Gericht")))
    message = loading_error(rules, url)
    assert "persons[id=erika_muster].id: id `erika_muster` is already used by units.erika_muster" in message


def test_the_units_bound_the_rows_read(units_db):
    from kdv_policy.limits import Limits

    url, rules = units_db
    run(url, *(insert(units).values(_unit(f"kreis_{n}", f"Kreis {n}", kind="amt")) for n in range(3)))
    assert len(MOVED) + 3 > 8 > 7  # the persons and assignments stay below
    with pytest.raises(PolicyLoadError, match=r"the table `units` .* holds 10 rows, more than the limit "
                                              "`max_people_rows` of 8"):
        Policy.load(rules, people=url, limits=Limits(max_people_rows=8))


def test_a_bad_units_file_imports_nothing(units_db, tmp_path):
    url, rules = units_db
    before = load_people_sql(url, load_data(rules)).data_version
    bad = tmp_path / "bad-units.toml"
    bad.write_text('[[units]]\nid = "div"\nname = "X"\nkind = "amt"\n', encoding="utf-8")
    with pytest.raises(PolicyLoadError, match=r"bad-units.toml: units\[id=div\].id: id `div` is already"):
        import_people(PEOPLE, url, load_data(rules), units=bad)
    bad.write_text('[[units]]\nid = "x"\nname = "X"\nkind = "amt"\ncolour = "blau"\n', encoding="utf-8")
    with pytest.raises(PolicyLoadError, match="unknown field `colour`"):
        read_units_file(bad)
    assert load_people_sql(url, load_data(rules)).data_version == before


def test_export_and_import_of_the_units_round_trip_on_the_command_line(units_db, tmp_path, capsys):
    url, rules = units_db
    people_out, units_out = tmp_path / "out-people.toml", tmp_path / "out-units.toml"
    assert export_people(url, people_out, load_data(rules), units=units_out) == (6, 7)
    exported = tomli.loads(units_out.read_text(encoding="utf-8"))
    assert {u["id"] for u in exported["units"]} == set(MOVED)
    assert exported["unit_aliases"] == [{"unit_id": "gerichte", "aliases": ["Gerichte"]}]
    again = f"sqlite:///{tmp_path}/again.db"
    assert main(["people", "migrate", again]) == 0
    assert main(["people", "import", str(people_out), again, "--units", str(units_out),
                 "--rules", str(rules)]) == 0
    assert main(["people", "check", again, "--rules", str(rules)]) == 0
    assert "7 units" in capsys.readouterr().out
    assert Policy.load(rules, people=again).materialise().model == \
        Policy.load(rules, people=url).materialise().model
    assert main(["people", "export", again, str(tmp_path / "p.toml"), "--units", str(tmp_path / "u.toml"),
                 "--rules", str(rules)]) == 0
    assert tomli.loads((tmp_path / "u.toml").read_text(encoding="utf-8")) == exported


def test_the_people_commands_speak_german(tmp_path, capsys):
    url = f"sqlite:///{tmp_path}/people.db"
    assert main(["people", "migrate", url, "--lang", "de"]) == 0
    assert "steht auf der Schema-Revision" in capsys.readouterr().out
    assert main(["people", "import", str(PEOPLE), url, "--lang", "de"]) == 0
    assert "6 Personen und 7 Zuweisungen aus" in capsys.readouterr().out
    assert main(["people", "check", url, "--lang", "de"]) == 0
    assert "6 Personen, 7 Zuweisungen, Datenversion" in capsys.readouterr().out
    assert main(["people", "export", url, str(tmp_path / "out.toml"), "--lang", "de"]) == 0
    assert "exportiert" in capsys.readouterr().out
    assert main(["people", "check", f"sqlite:///{tmp_path}/absent.db", "--lang", "de"]) == 2
    assert "Fehler: die SQLite-Datenbank" in capsys.readouterr().err
    empty = f"sqlite:///{tmp_path}/empty.db"
    create_engine(empty).connect().close()
    assert main(["people", "check", empty, "--lang", "de"]) == 2
    assert "hat kein kdv_policy-Schema" in capsys.readouterr().err
    assert main(["people", "check", url, "--lang", "de", "--limit", "max_people_rows=2"]) == 2
    err = capsys.readouterr().err
    assert "enthält 6 Zeilen, mehr als die Grenze `max_people_rows` von 2" in err
    assert "erhöhen Sie sie mit" in err
    assert main(["people", "check", url, "--limit", "max_people_rows=2"]) == 2
    assert "holds 6 rows, more than the limit" in capsys.readouterr().err


def test_an_import_without_units_must_fit_the_units_the_database_keeps(units_db, tmp_path):
    url, rules = units_db
    before = load_people_sql(url, load_data(rules)).data_version
    clashing = tmp_path / "clashing.toml"
    clashing.write_text('[[persons]]\nid = "obergericht"\nname = "Ober Gericht"\n', encoding="utf-8")
    with pytest.raises(PolicyLoadError, match=r"persons\[id=obergericht\].id: id `obergericht` is already"):
        import_people(clashing, url, load_data(rules))
    assert load_people_sql(url, load_data(rules)).data_version == before  # nothing was changed
