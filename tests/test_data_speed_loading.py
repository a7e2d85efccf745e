"""Loading data files fast without changing what they mean: every fact a load states has the entry
that states it, origins are computed on first use, and the TOML parser (tomli, compiled) reads
TOML exactly as the standard library's tomllib does (TOML 1.0 below tomli 2.4 and Python 3.15)."""

from __future__ import annotations

import random
import tomllib
from pathlib import Path

import pytest
from benchmarks import generate

from kdv_policy.data import (
    DATA_PREDICATES,
    DataSet,
    Origins,
    load_data,
    load_people,
    parse_data,
    parse_people,
    people_facts,
    to_facts,
)
from kdv_policy.errors import PolicyLoadError
from kdv_policy.language.source import Source

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> tuple[DataSet, DataSet, Path]:
    directory = generate.generate("small", seed=3, out=tmp_path_factory.mktemp("speed") / "policy")
    organisation = load_data(directory)
    assert organisation is not None
    return organisation, load_people(directory, organisation), directory


def bundled() -> tuple[DataSet, DataSet]:
    organisation = load_data(ROOT / "rules")
    assert organisation is not None
    return organisation, load_people(ROOT / "examples" / "people.toml", organisation)


def test_a_load_states_every_data_predicate_in_order(generated):
    for organisation, people in (bundled(), generated[:2]):
        assert list(organisation.facts) == list(DATA_PREDICATES)
        assert list(people.facts) == ["person", "assignment"]


def test_every_entry_states_exactly_the_facts_of_the_load(generated):
    for organisation, people in (bundled(), generated[:2]):
        for dataset, (_, by_entry) in ((organisation, to_facts(organisation.directory)),
                                       (people, people_facts(people.directory))):
            stated = {(predicate, row) for rows in by_entry.values() for predicate, row in rows}
            assert stated == {(predicate, row) for predicate, rows in dataset.facts.items() for row in rows}


def test_every_fact_of_a_large_file_knows_its_line(generated):
    organisation, people, directory = generated
    lines = {name: (directory / name).read_text(encoding="utf-8").splitlines()
             for name in ("organisation.toml", "people.toml")}
    for dataset, name in ((organisation, "organisation.toml"), (people, "people.toml")):
        for predicate, rows in dataset.facts.items():
            for row in rows:
                origin = dataset.origin(predicate, row)
                assert origin is not None, (predicate, row)
                line = lines[name][int(origin.split(":")[-2]) - 1].strip()
                entry = origin.rsplit(": ", 1)[1]
                if predicate == "assignment":
                    assert line == f'role = "{row[1]}"' and ".roles[" in entry
                elif predicate == "phase_started":
                    assert line == f"number = {row[0]}"
                else:
                    assert line == f'id = "{row[0]}"' and entry.endswith(f".{row[0]}")
    assert organisation.origin("unit", ("no_such_unit",)) is None


def test_origins_are_computed_on_first_use():
    text = '[[persons]]\nid = "erika"\nname = "Erika"\n'
    calls: list[str] = []

    def source() -> Source:
        calls.append("source")
        return Source("people.toml", text)

    def entries() -> dict[str, list[tuple[str, tuple]]]:
        calls.append("entries")
        return {"persons.erika": [("person", ("erika",))]}

    origins = Origins(source, entries)
    assert calls == []
    assert origins.get(("person", ("erika",))) == "people.toml:2: persons.erika"
    assert origins.get(("person", ("erika",))) == "people.toml:2: persons.erika"
    assert origins.get(("person", ("max",))) is None
    assert calls == ["entries", "source"]


def test_a_repeated_assignment_is_one_fact_with_two_origins():
    organisation = parse_data(
        '[[unit_kinds]]\nid = "amt"\nname = "Amt"\nadministration = true\n\n'
        '[[functions]]\nid = "leitung"\nname = "Leitung"\n\n'
        '[[units]]\nid = "a"\nkind = "amt"\nname = "Amt A"\n\n'
        '[[roles]]\nid = "leitung_a"\nunit = "a"\nfunction = "leitung"\nname = "Leitung A"\n')
    text = ('[[persons]]\nid = "erika"\nname = "Erika"\n\n'
            '[[persons.roles]]\nrole = "leitung_a"\nfrom = 2020-01-01\n\n'
            '[[persons.roles]]\nrole = "leitung_a"\nfrom = 2020-01-01\n')
    people = parse_people(text, organisation)
    assert len(people.facts["assignment"]) == 1
    origin = people.origin("assignment", people.facts["assignment"][0])
    assert origin == "people.toml:6: persons.erika.roles[0]"
    assert len(people_facts(people.directory)[1]) == 3  # the person and both of its roles


# -- the TOML parser ------------------------------------------------------------------------------

TOML_ERRORS = [  # errors in TOML 1.0 and 1.1 alike, so in every tomli the project admits
    ('x = [1, 2\n', "org.toml:1:1: invalid TOML: unclosed array (at end of document)"),
    ('name = "unterminated\n', "org.toml:1:21: invalid TOML: illegal character '\\n'"),
    ('[units\n', "org.toml:1:7: invalid TOML: expected ']' at the end of a table declaration"),
    ('a = 1\na = 2\n', "org.toml:2:6: invalid TOML: cannot overwrite a value"),
    ('a = 01\n', "org.toml:1:6: invalid TOML: expected newline or end of document after a statement"),
]


@pytest.mark.parametrize(("text", "message"), TOML_ERRORS)
def test_a_toml_syntax_error_names_file_line_and_column(text, message):
    with pytest.raises(PolicyLoadError) as info:
        parse_data(text, "org.toml")
    assert str(info.value) == message
    assert info.value.diagnostics[0].code == "data-syntax"


def _error(loads, error, text: str) -> str | None:
    try:
        loads(text)
    except error as err:
        return str(err)
    return None


def test_tomli_reads_what_the_standard_library_reads_alike():
    """tomli (compiled, for speed) reads every document the standard library's TOML 1.0 reader
    reads, to the same values, and where both refuse one they say the same; from tomli 2.4 it
    also reads TOML 1.1, which the standard library refuses before Python 3.15."""
    import tomli

    texts = [(ROOT / "rules" / "organisation.toml").read_text(encoding="utf-8"),
             (ROOT / "examples" / "people.toml").read_text(encoding="utf-8")]
    for text in texts:
        assert tomli.loads(text) == tomllib.loads(text)
    rng = random.Random(5)
    marks = list('[]{}"\'=.,#\n\\ -:0123456789TZaxé')
    for _ in range(400):
        text = rng.choice(texts)
        at = rng.randrange(len(text))
        text = text[:at] + rng.choice([*marks, ""]) + text[at + 1:]
        by_tomli = _error(tomli.loads, tomli.TOMLDecodeError, text)
        by_tomllib = _error(tomllib.loads, tomllib.TOMLDecodeError, text)
        if by_tomllib is None:
            assert by_tomli is None and tomli.loads(text) == tomllib.loads(text), text
        elif by_tomli is not None:
            assert by_tomli == by_tomllib, text
