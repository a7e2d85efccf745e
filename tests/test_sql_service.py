"""The decision service reading its people from PostgreSQL: a role changed in the database
changes the service's answers after the reload, under a new version."""

from __future__ import annotations

import time

from sqlalchemy import update

from kdv_policy.data import load_data
from kdv_policy.data.sql.connect import migrate
from kdv_policy.data.sql.schema import assignments
from kdv_policy.data.sql.transfer import import_people
from kdv_policy.policy.loader import bundled_rules
from pgserver import new_database
from service_server import Server
from test_sql_people import PEOPLE
from test_sql_reload import write

QUERY = {"query": "holds_role(max_beispiel, R)"}


def roles(response) -> set[str]:
    assert response.status_code == 200, response.text
    return {str(row["R"]) for row in response.json()["answers"]}


def test_a_role_changed_in_postgresql_changes_the_services_answer_after_the_reload(request, tmp_path):
    url = new_database("postgresql", tmp_path, request)
    migrate(url)
    import_people(PEOPLE, url, load_data(bundled_rules()))
    with Server("rules", "--people", url, "--poll", "0.2", workdir=tmp_path) as server:
        before = server.client.get("/v1/query", params=QUERY)
        assert roles(before) == {"generalsekretaer_dek"}
        first = before.headers["x-kdv-policy-version"]
        write(url, update(assignments).where(assignments.c.person_id == "max_beispiel")
              .values(role="departementschef_dek"))
        deadline = time.monotonic() + 90  # a bound on waiting, not a speed target
        while True:
            after = server.client.get("/v1/query", params=QUERY)
            if after.headers["x-kdv-policy-version"] != first or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        assert after.headers["x-kdv-policy-version"] != first, server.log()
        assert roles(after) == {"departementschef_dek"}
        version = server.client.get("/v1/version")
        assert after.headers["x-kdv-policy-version"] in version.text
        assert version.headers["x-kdv-policy-version"] == after.headers["x-kdv-policy-version"]
