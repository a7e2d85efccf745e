"""The AuthZEN Authorization API 1.0 certification scenario, request by request, against
``python -m kdv_policy serve examples/authzen-fixture`` over HTTPS: every level — Basic, Batch and
Search (Core and Properties) and Discovery — with the transport requirements on every response.

The requests and what the scenario expects of them are data: tests/authzen/scenario.yaml."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from service_server import ROOT, Server, self_signed

SCENARIO = yaml.safe_load((Path(__file__).parent / "authzen" / "scenario.yaml").read_text(encoding="utf-8"))
LEVELS = {
    "basic-core",
    "basic-properties",
    "batch-core",
    "batch-properties",
    "search-core",
    "search-properties",
    "discovery",
}


@pytest.fixture(scope="module")
def pdp(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("authzen")
    with Server(
        str(ROOT / "examples" / "authzen-fixture"), "--poll", "0", workdir=workdir, tls=self_signed(workdir)
    ) as running:
        yield running


@pytest.fixture(scope="module")
def answered() -> dict[str, Any]:
    """The results of the cases run so far, by id (a pagination token, `same_as`)."""
    return {}


def test_the_scenario_covers_every_level_and_test_of_the_matrix():
    assert {case["level"] for case in SCENARIO} == LEVELS
    matrix = {
        "c-2-2-1",
        "c-2-2-2",
        "c-2-2-3",
        "c-2-2-8",
        "c-2-2-9",
        "c-2-4",
        "c-2-5",
        "c-2-6",
        "c-2-2-4",
        "c-2-2-5",
        "c-2-2-6",
        "c-2-2-7",
        "c-3-2-1",
        "c-3-2-2",
        "c-3-2-5",
        "c-3-2-6",
        "c-3-4",
        "c-3-2-3",
        "c-3-2-4",
        "c-3-2-7",
        "c-4-2-1",
        "c-4-2-2",
        "c-4-2-3",
        "c-4-3-1",
        "c-4-3-2",
        "c-4-3-3",
        "c-4-4-1",
        "c-4-4-2",
        "c-4-5",
        "c-4-6",
        "c-4-7",
        "c-4-2-4",
        "c-4-3-4",
        "c-4-4-3",
        "c-6",
    }
    ids = [case["id"].split()[0] for case in SCENARIO]
    assert all(any(i == t or i.startswith(t + "-") for i in ids) for t in matrix)


def _send(pdp: Server, case: dict[str, Any], answered: dict[str, Any]):
    headers = dict(case.get("headers", {}))
    if case.get("method") == "GET":
        return pdp.client.get(case["endpoint"], headers=headers)
    if "raw" in case:
        headers["Content-Type"] = case["content_type"]
        return pdp.client.post(case["endpoint"], content=case["raw"].encode(), headers=headers)
    body = case["body"]
    if "token_of" in case:
        token = answered[case["token_of"]].get("page", {}).get("next_token", "")
        assert token, f"{case['token_of']} asked for one result a page of several: its page must go on"
        body = {**body, "page": {**body["page"], "token": token}}
    return pdp.client.post(case["endpoint"], json=body, headers=headers)


@pytest.mark.parametrize("case", SCENARIO, ids=[f"{c['level']}:{c['id']}" for c in SCENARIO])
def test_scenario(pdp, answered, case):
    expect = case["expect"]
    for _ in range(case.get("repeat", 1)):
        response = _send(pdp, case, answered)
        assert response.status_code == expect["status"], response.text
        assert "Traceback" not in response.text
        if "echo_request_id" in expect:
            assert response.headers["x-request-id"] == expect["echo_request_id"]
        if expect["status"] != 200:
            continue
        assert response.headers["content-type"] == "application/json"  # c-5-2
        data = response.json()
        answered[case["id"]] = data
        _check(data, expect, answered, pdp)


def _check(data: dict[str, Any], expect: dict[str, Any], answered: dict[str, Any], pdp: Server) -> None:
    if "decision" in expect or (
        expect.get("evaluations") is None
        and "results_include" not in expect
        and not expect.get("results_empty")
        and not expect.get("page")
        and not expect.get("metadata")
    ):
        assert isinstance(data["decision"], bool)  # c-2-3-1
        assert isinstance(data.get("context", {}), dict)  # c-2-3-2
        if "decision" in expect:
            assert data["decision"] is expect["decision"]
    if "evaluations" in expect:  # c-3-3: length, order, a boolean decision each
        got = data["evaluations"]
        assert len(got) == len(expect["evaluations"])
        for item, wanted in zip(got, expect["evaluations"], strict=True):
            assert isinstance(item["decision"], bool)
            assert isinstance(item.get("context", {}), dict)
            if wanted is not None:
                assert item["decision"] is wanted
        if "failed_item_context" in expect:
            assert "error" in got[expect["failed_item_context"]]["context"]
    if "results_include" in expect or expect.get("results_empty") or expect.get("page"):
        results = data["results"]
        assert isinstance(results, list)
        keys = ["name" if "name" in r else "id" for r in results]
        assert all(("type" in r and "id" in r) or "name" in r for r in results)
        found = [r[k] for r, k in zip(results, keys, strict=True)]
        for wanted in expect.get("results_include", ()):
            assert wanted in found
        if "results_type" in expect:
            assert all(r["type"] == expect["results_type"] for r in results)
        if expect.get("results_empty"):
            assert results == []
        if "same_as" in expect:
            assert results == answered[expect["same_as"]]["results"]
        page = data.get("page")
        if page is not None or expect.get("page_required"):  # c-4-5
            assert isinstance(page, dict) and isinstance(page["next_token"], str)
    if expect.get("metadata"):  # c-6-5
        assert data["policy_decision_point"] == pdp.url
        for key in (
            "access_evaluation_endpoint",
            "access_evaluations_endpoint",
            "search_subject_endpoint",
            "search_resource_endpoint",
            "search_action_endpoint",
        ):
            url = urlsplit(data[key])
            assert url.scheme == "https" and not url.query and not url.fragment
            assert pdp.client.post(url.path, json={}).status_code == 400  # a real endpoint


def test_pagination_walks_the_fixture_page_by_page(pdp):
    request = {
        "subject": {"type": "user"},
        "action": {"name": "read"},
        "resource": {"type": "record", "id": "record-1"},
        "page": {"limit": 1},
    }
    seen = []
    token = None
    while True:
        body = request if token is None else {**request, "page": {"limit": 1, "token": token}}
        page = pdp.post("/access/v1/search/subject", body).json()
        seen += [r["id"] for r in page["results"]]
        token = page["page"]["next_token"]
        if not token:
            break
    assert seen == ["alice", "bob"]


def test_a_fixture_decision_explains_itself_from_the_request(pdp):
    got = pdp.post(
        "/access/v1/evaluation",
        {
            "subject": {"type": "user", "id": "alice"},
            "action": {"name": "delete", "properties": {"soft": True}},
            "resource": {"type": "record", "id": "record-1"},
            "context": {"explain": True},
        },
    ).json()
    assert got["decision"] is True
    assert "soft_delete" in got["context"]["rule_ids"]
    assert "from the request" in got["context"]["explanation"]


def test_a_date_asked_of_a_policy_without_dates_is_a_false_with_the_reason(pdp):
    got = pdp.post(
        "/access/v1/evaluation",
        {
            "subject": {"type": "user", "id": "alice"},
            "action": {"name": "read"},
            "resource": {"type": "record", "id": "record-1"},
            "context": {"as_of": "2025-01-01"},
        },
    )
    assert got.status_code == 200
    assert got.json()["decision"] is False and "as_of" in got.json()["context"]["reason"]
    search = pdp.post(
        "/access/v1/search/action",
        {
            "subject": {"type": "user", "id": "alice"},
            "resource": {"type": "record", "id": "record-1"},
            "context": {"as_of": "2025-01-01"},
        },
    )
    assert search.status_code == 200 and search.json()["results"] == []


CONTEXT_POLICY = """\
%% A subject, with its type.
.decl subject(id, type)
%% A resource, with its type.
.decl resource(id, type)
%% An action name.
.decl action(name)
%% A key of the request's context, with its value.
.input context_property(key, value)
%% The decision.
.decl may(subject, action, resource)

@id(alice) @structure("alice is a user")
subject(alice, user).
@id(doc) @structure("doc-1 is a document")
resource("doc-1", document).
@id(read) @structure("read is an action")
action(read).
@id(inside) @structure("users read documents from the internal network")
may(S, read, R) :- subject(S, user), resource(R, document), context_property(network, internal).
"""


def test_a_policy_reading_the_context_takes_it_as_request_facts(tmp_path):
    policy = tmp_path / "policy"
    policy.mkdir()
    (policy / "context.dl").write_text(CONTEXT_POLICY, encoding="utf-8")
    ask = {
        "subject": {"type": "user", "id": "alice"},
        "action": {"name": "read"},
        "resource": {"type": "document", "id": "doc-1"},
    }
    with Server(str(policy), "--poll", "0", workdir=tmp_path) as running:
        inside = running.post("/access/v1/evaluation", {**ask, "context": {"network": "internal"}}).json()
        outside = running.post("/access/v1/evaluation", {**ask, "context": {"network": "public"}}).json()
        bare = running.post("/access/v1/evaluation", ask).json()
        assert (inside["decision"], outside["decision"], bare["decision"]) == (True, False, False)
        found = running.post(
            "/access/v1/search/subject",
            {
                "subject": {"type": "user"},
                "action": {"name": "read"},
                "resource": {"type": "document", "id": "doc-1"},
                "context": {"network": "internal", "explain": True},
            },
        ).json()
        assert [r["id"] for r in found["results"]] == ["alice"]
