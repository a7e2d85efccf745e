"""A store reading its people from a database reloads when the data change (polling the change
counter on any database, LISTEN/NOTIFY on PostgreSQL), swaps the new version in whole, keeps
the last good version when a row is bad, and records the data each version was built from."""

from __future__ import annotations

import datetime
import time
from collections.abc import Callable

import pytest
from sqlalchemy import create_engine, delete, insert

from kdv_policy.data import load_data
from kdv_policy.data.sql import driver_url
from kdv_policy.data.sql.connect import migrate
from kdv_policy.data.sql.schema import assignments, persons
from kdv_policy.data.sql.transfer import import_people
from kdv_policy.policy.loader import bundled_rules
from kdv_policy.policy.store import PolicyStore
from pgserver import new_database
from test_sql_people import PEOPLE

KINDS = ["sqlite", "postgresql"]


@pytest.fixture(params=KINDS)
def people_db(request, tmp_path) -> str:
    url = new_database(request.param, tmp_path, request)
    migrate(url)
    import_people(PEOPLE, url, load_data(bundled_rules()))
    return url


def write(url: str, *statements) -> None:
    """Statements in one transaction, as an HR system's feed would write them."""
    engine = create_engine(driver_url(url))
    try:
        with engine.begin() as connection:
            for statement in statements:
                connection.execute(statement)
    finally:
        engine.dispose()


def eventually(condition: Callable[[], bool], what: str, within: float = 60.0) -> None:
    """Wait for ``condition`` (a generous bound: this checks that it happens, not how fast)."""
    deadline = time.monotonic() + within
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not happen within {within} seconds")
        time.sleep(0.05)


def persons_of(store: PolicyStore) -> set[str]:
    return {row[0] for row in store.current.materialise().model["person"]}


NEW_PERSON = (insert(persons).values(id="nina_neu", name="Nina Neu"),
              insert(assignments).values(person_id="nina_neu", role="generalsekretaer_dek",
                                         valid_from=datetime.date(2024, 1, 1)))


def no_tests(_policy) -> None:
    """The bundled policy's own test files are not the subject here."""


def test_polling_notices_new_data_and_swaps_in_a_new_version(people_db):
    with PolicyStore(people=people_db, poll_interval=0.05, validate=no_tests) as store:
        first = store.current
        assert not store.changed()
        write(people_db, *NEW_PERSON)
        eventually(lambda: "nina_neu" in persons_of(store), "the reload")
        second = store.current
        assert second.version != first.version
        assert second.data_version != first.data_version
        assert int(second.data_version.split("-")[0]) > int(first.data_version.split("-")[0])
        # the old version is whole and unchanged: a question asked of it is answered by its data
        assert "nina_neu" not in {row[0] for row in first.materialise().model["person"]}
        assert store.last_error is None


def test_a_bad_row_is_rejected_and_the_last_good_version_keeps_answering(people_db):
    with PolicyStore(people=people_db, poll_interval=0.05, validate=no_tests) as store:
        good = store.current
        write(people_db, insert(assignments).values(person_id="erika_muster", role="no_such_role",
                                                    valid_from=datetime.date(2025, 1, 1)))
        eventually(lambda: store.last_error is not None, "the rejection")
        assert store.current is good
        assert "assignments[person_id=erika_muster, role=no_such_role, valid_from=2025-01-01].role" \
               in str(store.last_error)
        assert store.current.may("Regierungsrat", "approve", "Strategie").allowed in (True, False)
        write(people_db, delete(assignments).where(assignments.c.role == "no_such_role"), *NEW_PERSON)
        eventually(lambda: "nina_neu" in persons_of(store), "the reload after the fix")
        assert store.last_error is None


def test_reload_by_hand_sees_the_change(people_db):
    store = PolicyStore(people=people_db, validate=no_tests)
    before = store.current.data_version
    write(people_db, *NEW_PERSON)
    assert store.changed()
    store.reload()
    assert not store.changed()
    assert store.current.data_version != before
    assert "nina_neu" in persons_of(store)


def test_postgresql_announces_a_change_without_waiting_for_a_poll(request, tmp_path):
    url = new_database("postgresql", tmp_path, request)
    migrate(url)
    import_people(PEOPLE, url, load_data(bundled_rules()))
    # the poll would come after an hour: only the notification can bring the change in time
    with PolicyStore(people=url, poll_interval=3600, validate=no_tests) as store:
        time.sleep(0.5)  # the listener connects (a change before it would be seen on connecting too)
        write(url, *NEW_PERSON)
        eventually(lambda: "nina_neu" in persons_of(store), "the reload on NOTIFY")
