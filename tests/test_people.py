"""Roles and persons may act: represents/2, holds_role/2 and the people file (examples/people.toml).

A body's members take part in its decisions; only the role that represents the body (its
chair, the Leitung des Kompetenzzentrums) acts for it alone, and a person acts through the
roles it holds, as of a date only through those assigned on it.
"""

from __future__ import annotations

import datetime
from functools import cache
from pathlib import Path

import pytest

from kdv_policy.data import (
    OPEN_END,
    PEOPLE_FILE,
    PEOPLE_PREDICATES,
    DataSet,
    NameEntry,
    PeopleDirectory,
    load_data,
    load_people,
    parse_people,
)
from kdv_policy.engine.evaluation import Engine
from kdv_policy.errors import PolicyLoadError
from kdv_policy.policy.loader import load_program

ROOT = Path(__file__).resolve().parents[1]
RULES = ROOT / "rules"
SAMPLE = ROOT / "examples" / PEOPLE_FILE

TODAY_IN_THE_SAMPLE = datetime.date(2024, 6, 1)  # between the past and the future assignments


@cache
def program():
    return load_program(RULES).program


@cache
def org() -> DataSet:
    data = load_data(RULES)
    assert data is not None
    return data


@cache
def people() -> DataSet:
    return load_people(SAMPLE, org())


def model(day: datetime.date | None = None, people_facts: dict | None = None):
    """The bundled policy with the sample people, timeless or as of ``day``."""
    facts = {**org().facts, **(people().facts if people_facts is None else people_facts)}
    if day is not None:
        facts["as_of"] = [(day,)]
    return Engine(program(), facts=facts).model


@pytest.fixture(scope="module")
def timeless():
    return model()


@pytest.fixture(scope="module")
def today():
    return model(TODAY_IN_THE_SAMPLE)


def may(m, actor: str) -> set[tuple[str, str]]:
    return {(a, o) for x, a, o in m["may"] if x == actor}


# -- roles ---------------------------------------------------------------------------------------


def test_the_chair_and_the_leitung_represent_their_bodies(timeless):
    assert timeless["represents"] == {("departementschef_div", "steuerungsausschuss"),
                                      ("leitung_kompetenzzentrum", "kompetenzzentrum")}


def test_a_representative_may_what_its_body_may(timeless):
    assert may(timeless, "departementschef_div") == may(timeless, "steuerungsausschuss")
    assert ("define", "strategie") in may(timeless, "departementschef_div")
    assert ("implement", "strategie") in may(timeless, "departementschef_div")  # delegated to the StA
    assert may(timeless, "leitung_kompetenzzentrum") == may(timeless, "kompetenzzentrum")


def test_a_member_does_not_act_alone(timeless):
    members = {r for b, r in timeless["member"] if b == "steuerungsausschuss"}
    assert "generalsekretaer_dek" in members
    for role in members - {"departementschef_div", "leitung_kompetenzzentrum"}:
        assert not may(timeless, role), role
    # the Leitung des Kompetenzzentrums sits in the StA but acts only for the Kompetenzzentrum
    assert not holds_any(timeless, "leitung_kompetenzzentrum", "define", "strategie")
    assert not may(timeless, "projektleitung_kompetenzzentrum")


def holds_any(m, actor: str, action: str, obj: str) -> bool:
    return (actor, action, obj) in m["may"]


# -- persons -------------------------------------------------------------------------------------


def test_the_chair_of_the_steuerungsausschuss_may_define_the_strategy(today):
    assert ("erika_muster", "departementschef_div") in today["holds_role"]
    assert holds_any(today, "erika_muster", "define", "strategie")
    assert holds_any(today, "erika_muster", "approve", "schwerpunktplanung")


def test_a_generalsekretaer_may_not_define_the_strategy(timeless, today):
    for m in (timeless, today):
        assert {r for p, r in m["holds_role"] if p == "max_beispiel"} == {"generalsekretaer_dek"}
        assert not holds_any(m, "max_beispiel", "define", "strategie")
        assert not may(m, "max_beispiel")


def test_a_person_may_what_its_roles_may(today):
    for person, role in today["holds_role"]:
        assert may(today, role) <= may(today, person), (person, role)
    assert may(today, "erika_muster") == may(today, "departementschef_div")
    assert may(today, "hans_mustermann") == may(today, "kompetenzzentrum")
    assert not may(today, "lea_platzhalter")  # a DV sits in bodies, and acts for none alone


def test_without_as_of_a_person_holds_every_role_ever_assigned(timeless):
    assert timeless["holds_role"] == {(p, r) for p, r, _, _ in timeless["assignment"]}
    assert ("karl_exempel", "departementschef_div") in timeless["holds_role"]  # past
    assert ("nora_probe", "leitung_kompetenzzentrum") in timeless["holds_role"]  # future
    assert holds_any(timeless, "karl_exempel", "define", "strategie")


@pytest.mark.parametrize(("day", "chair"), [
    (datetime.date(2016, 5, 31), set()),
    (datetime.date(2016, 6, 1), {"karl_exempel"}),  # `from` is included
    (datetime.date(2020, 5, 31), {"karl_exempel"}),  # `until` is included
    (datetime.date(2020, 6, 1), {"erika_muster"}),
    (datetime.date(2099, 1, 1), {"erika_muster"}),  # open-ended
])
def test_as_of_a_date_only_the_assignments_valid_on_it_count(day, chair):
    m = model(day)
    assert {p for p, r in m["holds_role"] if r == "departementschef_div"} == chair
    persons = {"karl_exempel", "erika_muster"}
    assert {p for p, a, o in m["may"] if (a, o) == ("define", "strategie") and p in persons} == chair


def test_past_and_future_assignments(today):
    assert not holds_any(today, "karl_exempel", "define", "strategie")
    assert ("nora_probe", "projektleitung_kompetenzzentrum") in today["holds_role"]
    assert ("nora_probe", "leitung_kompetenzzentrum") not in today["holds_role"]
    assert not may(today, "nora_probe")
    later = model(datetime.date(2030, 1, 1))
    assert {r for p, r in later["holds_role"] if p == "nora_probe"} == {"leitung_kompetenzzentrum"}
    assert may(later, "nora_probe") == may(later, "kompetenzzentrum") != set()
    assert not {r for p, r in later["holds_role"] if p == "hans_mustermann"}


def test_a_person_acts_for_a_body_only_while_the_body_acts():
    m = model(datetime.date(2020, 6, 30), people_facts={
        "person": [("test_person",)],
        "assignment": [("test_person", "leitung_kompetenzzentrum", datetime.date(2020, 1, 1), OPEN_END)]})
    assert ("test_person", "leitung_kompetenzzentrum") in m["holds_role"]
    assert not may(m, "test_person")  # the Kompetenzzentrum is not yet established


def test_without_a_people_file_there_are_no_persons():
    m = Engine(program(), facts=org().facts).model
    assert not m["person"] and not m["holds_role"]
    assert holds_any(m, "departementschef_div", "define", "strategie")


# -- the people file -------------------------------------------------------------------------------


def test_the_sample_people_file():
    data = people()
    assert isinstance(data.directory, PeopleDirectory)
    assert set(data.facts) == set(PEOPLE_PREDICATES)
    assert ("erika_muster",) in data.facts["person"]
    assert ("erika_muster", "departementschef_div", datetime.date(2020, 6, 1), OPEN_END) in \
        data.facts["assignment"]
    past = ("karl_exempel", "departementschef_div", datetime.date(2016, 6, 1), datetime.date(2020, 5, 31))
    assert past in data.facts["assignment"]
    assert NameEntry("erika_muster", "person", "Erika Muster", (), ("E. Muster",)) in data.names
    assert {n.kind for n in data.names} == {"person"}
    roles = {r for _, r, _, _ in data.facts["assignment"]}
    assert {"departementschef_div", "generalsekretaer_dek", "leitung_kompetenzzentrum"} <= roles
    ends = [u for _, _, _, u in data.facts["assignment"]]
    assert any(u < TODAY_IN_THE_SAMPLE for u in ends)  # a past assignment
    assert any(f > TODAY_IN_THE_SAMPLE for _, _, f, _ in data.facts["assignment"])  # a future one


def test_people_facts_know_where_they_come_from():
    origin = people().origin("assignment", ("karl_exempel", "departementschef_div", datetime.date(2016, 6, 1),
                                            datetime.date(2020, 5, 31)))
    assert origin is not None and origin.endswith(": persons.karl_exempel.roles[0]")
    line = int(origin.split(":")[-2])
    lines = SAMPLE.read_text(encoding="utf-8").splitlines()
    assert lines[line - 1].strip() == 'role = "departementschef_div"'
    assert people().origin("person", ("erika_muster",)).endswith(": persons.erika_muster")


def test_every_people_predicate_is_declared_with_its_arity():
    declarations = program().declarations
    assert {p: declarations[p].arity for p in PEOPLE_PREDICATES} == PEOPLE_PREDICATES


def test_a_directory_holding_a_people_file(tmp_path):
    (tmp_path / PEOPLE_FILE).write_text(SAMPLE.read_text(encoding="utf-8"), encoding="utf-8")
    assert load_people(tmp_path, org()).facts == people().facts


def test_a_missing_people_file_is_an_error(tmp_path):
    with pytest.raises(PolicyLoadError, match="does not exist"):
        load_people(tmp_path / "people.toml", org())


# -- errors ------------------------------------------------------------------------------------------


PERSON = """
[[persons]]
id = "erika_muster"
name = "Erika Muster"

[[persons.roles]]
role = "departementschef_div"
from = 2020-06-01
"""


def people_error(text: str, organisation: DataSet | None = None) -> PolicyLoadError:
    with pytest.raises(PolicyLoadError) as info:
        parse_people(text, org() if organisation is None else organisation, "people.toml")
    return info.value


def test_an_unknown_role_names_the_file_the_entry_and_a_suggestion():
    text = PERSON.replace('"departementschef_div"', '"departementschef_dvi"')
    error = people_error(text)
    assert str(error) == ("people.toml: persons.erika_muster.roles[0]: `role` names the role "
                          "`departementschef_dvi`, which is not defined in the organisation directory; "
                          "did you mean `departementschef_div`, `departementschef_djs` or "
                          "`departementschef_dfs`?")
    diag = error.diagnostics[0]
    assert diag.span.line == text.splitlines().index('role = "departementschef_dvi"') + 1
    assert 'role = "departementschef_dvi"' in error.render()


def test_an_unknown_role_in_the_sample_file_is_reported(tmp_path):
    path = tmp_path / "people.toml"
    text = SAMPLE.read_text(encoding="utf-8").replace('"generalsekretaer_dek"', '"generalsekretaer"')
    path.write_text(text, encoding="utf-8")
    with pytest.raises(PolicyLoadError) as info:
        load_people(path, org())
    message = str(info.value)
    file, entry, problem = message.split(": ", 2)
    assert Path(file).name == "people.toml" and Path(file).resolve() == path.resolve()
    assert entry == "persons.max_beispiel.roles[0]"
    assert problem.startswith("`role` names the role `generalsekretaer`, which is not defined")
    assert "did you mean `generalsekretaer_" in message


def test_without_an_organisation_directory_no_role_can_be_named():
    message = str(people_error(PERSON, organisation=DataSet(Path("x"), PeopleDirectory(), {}, [])))
    assert "`role` names the role `departementschef_div`, which is not defined" in message
    with pytest.raises(PolicyLoadError, match="no organisation directory was given"):
        parse_people(PERSON, None)


def test_every_problem_at_once():
    text = PERSON + """
[[persons]]
id = "erika_muster"
name = "Erika Muster (zweite)"

[[persons]]
id = "div"
name = "Dora Iva"

[[persons.roles]]
role = "dv_div"
from = 2021-01-01
until = 2020-12-31
"""
    assert str(people_error(text)).splitlines() == [
        "people.toml: persons.erika_muster: person `erika_muster` is defined twice",
        "people.toml: persons.div: id `div` is already used by units.div of the organisation directory",
        "people.toml: persons.div.roles[0]: `until` (2020-12-31) is before `from` (2021-01-01)",
    ]


def test_field_errors_name_the_nested_entry():
    message = str(people_error(PERSON.replace("from = 2020-06-01", 'form = 2020-06-01')))
    assert message.splitlines() == [
        "people.toml: persons.erika_muster.roles[0]: missing field `from`",
        "people.toml: persons.erika_muster.roles[0]: unknown field `form`; did you mean `from`?",
    ]
    message = str(people_error(PERSON.replace("from = 2020-06-01", 'from = "ab Juni"')))
    assert message == ("people.toml: persons.erika_muster.roles[0]: `from` must be a TOML date written "
                       "without quotes, e.g. `from = 2020-12-31`")
    message = str(people_error(PERSON.replace('id = "erika_muster"', 'id = "Erika Muster"')))
    assert "people.toml: persons.Erika Muster: `id` must be a lowercase id" in message
    message = str(people_error('[[persons]]\nid = "x"\nname = "X"\nroles = { role = "dv_div" }\n'))
    assert message == ("people.toml: persons.x: `roles` must be an array of tables: "
                       "write `[[persons.roles]]` above each entry")


def test_unknown_tables_and_toml_syntax():
    assert str(people_error('[[person]]\nid = "x"\n')) == \
        "people.toml: [[person]]: unknown table; did you mean `[[persons]]`?"
    assert str(people_error('[[people]]\nid = "x"\n')) == \
        "people.toml: [[people]]: unknown table; the tables are persons"
    assert str(people_error("[[persons]]\nid = x\n")).startswith("people.toml:2:6: invalid TOML: ")
