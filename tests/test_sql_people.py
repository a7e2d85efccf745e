"""People from a SQL database: SQLite always, and the real PostgreSQL server the suite starts.

The database gives the same answers as the people file it was imported from (a differential
test on the bundled policy and on the sixth-department example), checks its rows as strictly
(each problem named by table, row key and column), loads nothing when a row is bad, and keeps
its credentials out of policy files.
"""

from __future__ import annotations

import datetime
import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, delete, insert, text, update

from kdv_policy import Policy
from kdv_policy.cli.main import main
from kdv_policy.data import load_data
from kdv_policy.data.sql import driver_url, is_url, shown_url
from kdv_policy.data.sql.connect import MIGRATIONS, migrate
from kdv_policy.data.sql.schema import HEAD, assignments, person_aliases, persons
from kdv_policy.data.sql.source import load_people_sql
from kdv_policy.data.sql.transfer import export_people, import_people
from kdv_policy.errors import PolicyError, PolicyLoadError
from kdv_policy.limits import Limits
from kdv_policy.policy.loader import bundled_rules
from pgserver import new_database

ROOT = Path(__file__).resolve().parents[1]
PEOPLE = ROOT / "examples" / "people.toml"
KINDS = ["sqlite", "postgresql"]


@pytest.fixture(params=KINDS)
def database(request, tmp_path) -> str:
    """An empty database, migrated to the newest schema."""
    url = new_database(request.param, tmp_path, request)
    assert migrate(url) == HEAD
    return url


@pytest.fixture
def people_db(database) -> str:
    """A database holding examples/people.toml."""
    import_people(PEOPLE, database, load_data(bundled_rules()))
    return database


def run(url: str, statement) -> None:
    engine = create_engine(driver_url(url))
    try:
        with engine.begin() as connection:
            connection.execute(statement)
    finally:
        engine.dispose()


def loading_error(url: str) -> str:
    with pytest.raises(PolicyLoadError) as raised:
        Policy.load(people=url)
    return str(raised.value)


# -- the schema and its migrations ------------------------------------------------------------------


def test_the_migrations_end_at_the_revision_the_reader_expects():
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    assert ScriptDirectory.from_config(config).get_current_head() == HEAD


def test_migrating_twice_changes_nothing(database):
    assert migrate(database) == HEAD


def test_a_database_without_the_schema_is_named_with_the_command_that_creates_it(request, tmp_path):
    for kind in KINDS:
        url = new_database(kind, tmp_path, request)
        if kind == "sqlite":
            create_engine(url).connect().close()  # an empty file
        message = loading_error(url)
        assert "has no kdv_policy schema" in message
        assert "python -m kdv_policy people migrate URL" in message


def test_a_missing_sqlite_file_is_an_error_and_is_not_created(tmp_path):
    url = f"sqlite:///{tmp_path}/absent.db"
    assert "does not exist" in loading_error(url)
    assert not (tmp_path / "absent.db").exists()


# -- the differential test: TOML, SQLite and PostgreSQL answer alike ----------------------------------


def _questions(policy: Policy) -> list[object]:
    """Every may-question of every person and body about every action and object the policy
    grants, each who-may list, and the derived relations about persons: the answers a
    differential test compares."""
    model = policy.materialise().model
    actors = sorted({row[0] for row in model["person"]}) + sorted({row[0] for row in model["body"]})
    pairs = sorted({(action, obj) for _, action, obj in model["may"]})
    answers: list[object] = []
    for action, obj in pairs:
        answers.append(("who_may", action, obj, tuple(e.id for e in policy.who_may(action, obj).answers)))
        for actor in actors:
            answers.append(("may", actor, action, obj, policy.may(actor, action, obj).allowed))
    persons = {row[0] for row in model["person"]}
    for relation in sorted(model):
        answers.append((relation, sorted(map(str, (r for r in model[relation] if persons & set(r))))))
    return answers


@pytest.mark.parametrize("at", [None, "2018-01-01", "2021-06-30"])
def test_toml_sqlite_and_postgresql_give_the_same_answers(request, tmp_path, at):
    organisation = load_data(bundled_rules())
    from_file = Policy.load(people=PEOPLE, at=at)
    expected_model = from_file.materialise().model
    expected = _questions(from_file)
    about_persons = {a[0] for a in expected
                     if len(a) == 2 and a[1] and a[0] not in ("person", "assignment")}
    assert about_persons, "the examples must give persons more than their own rows"
    for kind in KINDS:
        url = new_database(kind, tmp_path, request)
        migrate(url)
        import_people(PEOPLE, url, organisation)
        from_db = Policy.load(people=url, at=at)
        assert from_db.materialise().model == expected_model, kind
        assert _questions(from_db) == expected, kind
        for actor in ("Erika Muster", "Max Beispiel", "Regierungsrat"):
            mine, theirs = (p.may(actor, "approve", "Strategie") for p in (from_db, from_file))
            assert mine.model_dump(exclude={"version", "explanation"}) == \
                theirs.model_dump(exclude={"version", "explanation"}), kind
            assert mine.explanation.summary == theirs.explanation.summary
        assert from_db.data_version.split("-", 1)[1] == from_db.data_version.split("-", 1)[1]


def test_the_sixth_department_reads_its_people_from_either_database(request, tmp_path):
    spec = importlib.util.spec_from_file_location("sixth_make", ROOT / "examples/sixth_department/make.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["sixth_make"] = module
    spec.loader.exec_module(module)
    rules = module.make(tmp_path / "ddg" / "rules")
    organisation = load_data(rules)
    expected = Policy.load(rules, people=PEOPLE)
    for kind in KINDS:
        url = new_database(kind, tmp_path, request)
        migrate(url)
        import_people(PEOPLE, url, organisation)
        from_db = Policy.load(rules, people=url)
        assert from_db.materialise().model == expected.materialise().model, kind
        assert _questions(from_db) == _questions(expected), kind


def test_the_same_rows_give_the_same_policy_version_on_either_database(request, tmp_path):
    organisation = load_data(bundled_rules())
    versions, hashes = set(), set()
    for kind in KINDS:
        url = new_database(kind, tmp_path, request)
        migrate(url)
        import_people(PEOPLE, url, organisation)
        policy = Policy.load(people=url)
        versions.add(policy.version)
        hashes.add(policy.data_version.split("-", 1)[1])
    assert len(versions) == 1 and len(hashes) == 1
    assert versions != {Policy.load().version}  # the people count


def test_export_writes_a_people_file_that_loads_to_the_same_answers(people_db, tmp_path):
    out = tmp_path / "exported.toml"
    assert export_people(people_db, out, load_data(bundled_rules())) == (6, 7)
    again = Policy.load(people=out)
    assert again.materialise().model == Policy.load(people=PEOPLE).materialise().model


def test_an_import_replaces_the_people_and_a_failing_one_changes_nothing(people_db, tmp_path):
    organisation = load_data(bundled_rules())
    one = tmp_path / "one.toml"
    one.write_text('[[persons]]\nid = "nina_neu"\nname = "Nina Neu"\n'
                   '[[persons.roles]]\nrole = "departementschef_div"\nfrom = 2024-01-01\n')
    assert import_people(one, people_db, organisation) == (1, 1)
    names = [e.id for e in Policy.load(people=people_db).who_may("approve", "Strategie").answers]
    assert Policy.load(people=people_db).data_version != ""
    bad = tmp_path / "bad.toml"
    bad.write_text('[[persons]]\nid = "a"\nname = "A"\n[[persons]]\nid = "a"\nname = "B"\n')
    with pytest.raises(PolicyLoadError, match="person `a` is defined twice"):
        import_people(bad, people_db, organisation)
    loaded = load_people_sql(people_db, organisation)
    assert [p.id for p in loaded.directory.persons] == ["nina_neu"]
    assert names == [e.id for e in Policy.load(people=people_db).who_may("approve", "Strategie").answers]


# -- bad rows: each named by table, key and column; nothing half-loads ------------------------------


def test_an_unknown_role_is_named_by_its_row_and_column(people_db):
    run(people_db, insert(assignments).values(person_id="erika_muster", role="departementschef_dxv",
                                              valid_from=datetime.date(2024, 1, 1)))
    message = loading_error(people_db)
    assert ("assignments[person_id=erika_muster, role=departementschef_dxv, valid_from=2024-01-01].role: "
            "`role` names the role `departementschef_dxv`, which is not defined") in message
    assert "did you mean `departementschef_div`" in message
    assert shown_url(people_db).split("/")[-1] in message


def test_reversed_dates_are_named_by_the_until_column(people_db):
    run(people_db, update(assignments).where(assignments.c.person_id == "karl_exempel")
        .values(valid_until=datetime.date(2010, 1, 1)))
    message = loading_error(people_db)
    assert "assignments[person_id=karl_exempel, role=departementschef_div, valid_from=2016-06-01]" \
           ".valid_until: `until` (2010-01-01) is before `from` (2016-06-01)" in message


def test_overlapping_assignments_to_one_role_are_refused(people_db):
    run(people_db, insert(assignments).values(person_id="erika_muster", role="departementschef_div",
                                              valid_from=datetime.date(2021, 1, 1)))
    message = loading_error(people_db)
    assert "assignments[person_id=erika_muster, role=departementschef_div, valid_from=2021-01-01]" \
           ".valid_from: the assignment to `departementschef_div` from 2021-01-01 overlaps the one from " \
           "2020-06-01 (until open-ended)" in message


def test_a_bad_id_and_a_blank_name_are_named_by_their_rows(people_db):
    run(people_db, insert(persons).values(id="Bad Id", name="x"))
    run(people_db, insert(persons).values(id="leer", name=" "))
    message = loading_error(people_db)
    assert "persons[id=Bad Id].id: `Bad Id` is not an id" in message
    assert "persons[id=leer].name:" in message


def test_a_person_may_not_take_an_id_of_the_organisation(people_db):
    run(people_db, insert(persons).values(id="regierungsrat", name="Rex"))
    message = loading_error(people_db)
    assert "persons[id=regierungsrat].id: id `regierungsrat` is already used by bodies.regierungsrat" \
           in message


def test_a_duplicate_person_cannot_enter_the_database(people_db):
    with pytest.raises(Exception, match=r"(?i)unique|duplicate"):
        run(people_db, insert(persons).values(id="erika_muster", name="Erika Zwei"))
    assert len(load_people_sql(people_db, load_data(bundled_rules())).directory.persons) == 6


def test_a_blank_alias_is_named_by_its_row(people_db):
    run(people_db, insert(person_aliases).values(person_id="max_beispiel", position=0, alias=""))
    assert "person_aliases[person_id=max_beispiel, position=0].alias:" in loading_error(people_db)


def test_every_table_is_bounded_before_it_is_read(people_db):
    with pytest.raises(PolicyLoadError) as raised:
        Policy.load(people=people_db, limits=Limits(max_people_rows=5))
    assert "holds 6 rows, more than the limit `max_people_rows` of 5" in str(raised.value)
    Policy.load(people=people_db, limits=Limits(max_people_rows=7))


# -- where the URL comes from: the API, the command line, policy.toml, the environment -----------------


def _policy_dir(tmp_path: Path, config: str) -> Path:
    import shutil

    rules = tmp_path / "rules"
    shutil.copytree(bundled_rules(), rules)
    (rules / "policy.toml").write_text(config, encoding="utf-8")
    return rules


def test_policy_toml_names_a_sqlite_file_relative_to_the_policy(tmp_path):
    rules = _policy_dir(tmp_path, '[policy]\nlanguage = "de"\n\n[people]\nurl = "sqlite:///people.db"\n')
    url = f"sqlite:///{rules}/people.db"
    migrate(url)
    import_people(PEOPLE, url, load_data(rules))
    policy = Policy.load(rules)
    assert "erika_muster" in {row[0] for row in policy.materialise().model["person"]}
    assert policy.data_version.startswith(str(load_people_sql(url, load_data(rules)).counter))


def test_policy_toml_takes_the_url_from_the_environment(people_db, tmp_path, monkeypatch):
    rules = _policy_dir(tmp_path, '[people]\nurl_env = "KDV_TEST_PEOPLE_URL"\n')
    monkeypatch.delenv("KDV_TEST_PEOPLE_URL", raising=False)
    with pytest.raises(PolicyLoadError, match="environment variable `KDV_TEST_PEOPLE_URL`"):
        Policy.load(rules)
    monkeypatch.setenv("KDV_TEST_PEOPLE_URL", people_db)
    assert len(Policy.load(rules).materialise().model["person"]) == 6


def test_a_password_in_policy_toml_is_refused(tmp_path):
    rules = _policy_dir(tmp_path, '[people]\nurl = "postgresql://kdv:secret@db/kdv"\n')
    with pytest.raises(PolicyLoadError) as raised:
        Policy.load(rules)
    assert "holds a password; credentials never stand in a policy file" in str(raised.value)
    assert "secret" not in str(raised.value)


def test_urls_are_told_from_paths_and_passwords_never_shown():
    assert is_url("sqlite:///x.db") and is_url("postgresql://u@h/d") and is_url("env:KDV_URL")
    assert not is_url("examples/people.toml") and not is_url(Path("people.toml"))
    assert shown_url("postgresql://kdv:s3cret@db:5432/kdv") == "postgresql://kdv:***@db:5432/kdv"
    assert driver_url("postgresql://u@h/d") == "postgresql+psycopg://u@h/d"


def test_a_database_that_does_not_answer_is_a_load_error(postgres_server):
    url = postgres_server.database_url("no_such_database")
    message = loading_error(url)
    assert "cannot read the people database" in message and "no_such_database" in message


def test_the_command_line_migrates_imports_checks_exports_and_asks(request, tmp_path, capsys):
    for kind in KINDS:
        url = new_database(kind, tmp_path, request)
        assert main(["people", "migrate", url]) == 0
        assert main(["people", "import", str(PEOPLE), url]) == 0
        assert main(["people", "check", url]) == 0
        out = tmp_path / f"{kind}.toml"
        assert main(["people", "export", url, str(out)]) == 0
        assert Policy.load(people=out).materialise().model == Policy.load(people=PEOPLE).materialise().model
        capsys.readouterr()
        assert main(["query", "--people", url, "may", "Erika Muster", "definieren", "Strategie"]) == 0
        from_db = capsys.readouterr().out
        assert main(["query", "--people", str(PEOPLE), "may", "Erika Muster", "definieren", "Strategie"]) == 0
        assert capsys.readouterr().out == from_db
    bad = tmp_path / "bad.toml"
    bad.write_text('[[persons]]\nid = "a"\nname = "A"\n[[persons.roles]]\nrole = "nope"\nfrom = 2020-01-01\n')
    assert main(["people", "import", str(bad), url]) == 2
    assert "`role` names the role `nope`" in capsys.readouterr().err
    assert main(["people", "check", f"sqlite:///{tmp_path}/absent.db"]) == 2


def test_importing_kdv_policy_loads_no_database_library():
    code = ("import sys, kdv_policy; "
            "print(sorted(m for m in ('sqlalchemy', 'alembic', 'psycopg') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_a_policy_error_is_what_every_database_problem_raises(tmp_path):
    with pytest.raises(PolicyError):
        Policy.load(people="nosuchdialect://x/y")


def test_the_change_counter_counts_every_write(people_db):
    organisation = load_data(bundled_rules())
    before = load_people_sql(people_db, organisation).counter
    run(people_db, update(persons).where(persons.c.id == "max_beispiel").values(name="Max Beispiel-Neu"))
    after = load_people_sql(people_db, organisation)
    assert after.counter > before
    run(people_db, delete(person_aliases).where(text("1 = 0")))
    assert load_people_sql(people_db, organisation).counter >= after.counter
