"""The decision service over the canton's policy, as a real server process asked over HTTP:
AuthZEN evaluation, batch and search, the native endpoints, the OpenAPI document, health,
readiness, metrics and the audit log. Bad input, authentication, limits and reloads are in
test_service_hardening.py; the certification scenario in test_service_authzen.py."""

from __future__ import annotations

import json

import pytest

from kdv_policy import Policy
from service_server import Server

EVALUATION = "/access/v1/evaluation"
EVALUATIONS = "/access/v1/evaluations"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with Server("rules", "--poll", "0", workdir=tmp_path_factory.mktemp("service")) as running:
        yield running


@pytest.fixture(scope="module")
def policy():
    return Policy.load("rules")


def ask(subject, action, resource, **context):
    body = {"subject": subject, "action": {"name": action}, "resource": resource}
    if context:
        body["context"] = context
    return body


def body(type_, id_):
    return {"type": type_, "id": id_}


RR = body("body", "Regierungsrat")
STRATEGIE = body("object", "Strategie")


# -- AuthZEN: evaluation ------------------------------------------------------------------------------


@pytest.mark.parametrize("verb", ["approve", "genehmigen", "verabschieden", "approves", "verabschiedet"])
def test_a_verb_in_german_or_english_permits_what_the_policy_permits(server, verb):
    response = server.post(EVALUATION, ask(RR, verb, STRATEGIE))
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.json()["decision"] is True


def test_evaluation_answers_as_the_api_does(server, policy):
    for actor, action, target in [
        ("Regierungsrat", "approve", "Strategie"),
        ("Steuerungsausschuss", "approve", "Strategie"),
        ("Steuerungsausschuss", "define", "Strategie"),
        ("Kompetenzzentrum", "prepare", "Schwerpunktplanung"),
    ]:
        kind = policy.resolve(actor).kind
        got = server.post(EVALUATION, ask(body(kind, actor), action, body("object", target))).json()
        assert got["decision"] is policy.may(actor, action, target).allowed, (actor, action, target)


def test_a_deny_says_nothing_of_the_policy_without_explain(server):
    got = server.post(EVALUATION, ask(body("body", "Steuerungsausschuss"), "approve", STRATEGIE)).json()
    assert got["decision"] is False
    assert set(got["context"]) == {"decision_id"}


def test_explain_in_the_context_or_the_header_gives_explanation_and_citations(server):
    by_context = server.post(
        EVALUATION, ask(RR, "approve", STRATEGIE, explain=True), headers={"Accept-Language": "en"}
    ).json()
    context = by_context["context"]
    assert context["status"] == "allowed"
    assert context["question"] == "may(regierungsrat, approve, strategie)"
    assert "Der Regierungsrat verabschiedet die Strategie" in context["citations"]
    assert "rr_verabschiedet_strategie" in context["rule_ids"]
    assert context["lang"] == "en" and "may approve" in context["summary"]
    by_header = server.post(
        EVALUATION,
        ask(RR, "approve", STRATEGIE),
        headers={"X-KDV-Explain": "true", "Accept-Language": "de-CH, en;q=0.5"},
    ).json()
    assert by_header["context"]["lang"] == "de"
    assert "darf" in by_header["context"]["summary"]
    assert by_header["context"]["citations"] == context["citations"]


def test_explain_of_a_deny_gives_the_why_not(server):
    got = server.post(
        EVALUATION,
        ask(body("body", "Steuerungsausschuss"), "approve", STRATEGIE, explain=True),
        headers={"Accept-Language": "en"},
    ).json()
    assert got["decision"] is False
    assert got["context"]["status"] == "denied"
    assert "does not hold" in got["context"]["explanation"]


@pytest.mark.parametrize(
    ("subject", "action", "resource", "needle", "suggested"),
    [
        (body("body", "Regierungsrt"), "approve", STRATEGIE, "unknown body `Regierungsrt`", "regierungsrat"),
        (RR, "aprove", STRATEGIE, "unknown action `aprove`", "approve"),
        (RR, "approve", body("object", "Stratgie"), "unknown object `Stratgie`", "strategie"),
        (body("role", "Generalsekretär"), "approve", STRATEGIE, "names a group", "generalsekretaer_dek"),
    ],
)
def test_an_unknown_or_ambiguous_name_is_a_false_with_reason_and_suggestions(
    server, subject, action, resource, needle, suggested
):
    got = server.post(EVALUATION, ask(subject, action, resource)).json()
    assert got["decision"] is False
    assert needle in got["context"]["reason"]
    assert suggested in [s["id"] for s in got["context"]["suggestions"]]


@pytest.mark.parametrize(
    ("subject", "resource", "needle"),
    [
        (body("user", "alice"), STRATEGIE, "`user` is no subject type"),
        (RR, body("record", "record-1"), "`record` is no resource type"),
        (body("role", "Regierungsrat"), STRATEGIE, "unknown role `Regierungsrat`"),
    ],
)
def test_a_type_the_policy_does_not_know_is_a_false_with_reason(server, subject, resource, needle):
    got = server.post(EVALUATION, ask(subject, "approve", resource)).json()
    assert got["decision"] is False and needle in got["context"]["reason"]


def test_as_of_a_date_before_a_body_exists(server, policy):
    dated = policy.at("2019-01-01").may("Kompetenzzentrum", "prepare", "Schwerpunktplanung")
    got = server.post(
        EVALUATION,
        ask(
            body("body", "Kompetenzzentrum"),
            "prepare",
            body("object", "Schwerpunktplanung"),
            as_of="2019-01-01",
        ),
    ).json()
    assert got["decision"] is dated.allowed
    bad = server.post(EVALUATION, ask(RR, "approve", STRATEGIE, as_of="last year"))
    assert bad.status_code == 400 and "context.as_of" in bad.json()["error"]["message"]


def test_request_id_is_echoed_or_made(server):
    echoed = server.post(EVALUATION, ask(RR, "approve", STRATEGIE), headers={"X-Request-ID": "req-42"})
    assert echoed.headers["x-request-id"] == "req-42"
    made = [server.post(EVALUATION, ask(RR, "approve", STRATEGIE)).headers["x-request-id"] for _ in range(3)]
    assert all(made) and len(set(made)) == 3


def test_every_decision_is_in_the_audit_log_under_the_id_the_caller_got(server):
    response = server.post(EVALUATION, ask(RR, "approve", STRATEGIE), headers={"X-Request-ID": "audit-1"})
    decision_id = response.json()["context"]["decision_id"]
    assert response.headers["x-kdv-decision-id"] == decision_id
    records = {r["decision_id"]: r for r in server.audit()}
    record = records[decision_id]
    assert record["request_id"] == "audit-1"
    assert record["allowed"] is True
    assert record["resolved"] == "may(regierungsrat, approve, strategie)"
    assert record["version"] == response.headers["x-kdv-policy-version"]
    assert "rr_verabschiedet_strategie" in record["rule_ids"]
    native = server.client.get("/v1/who_may", params={"action": "approve", "object": "Strategie"}).json()
    assert {r["decision_id"] for r in server.audit()} >= {decision_id, native["decision_id"]}


# -- AuthZEN: evaluations --------------------------------------------------------------------------------


def test_batch_takes_top_level_defaults_and_replaces_them_whole(server):
    got = server.post(
        EVALUATIONS,
        {
            "subject": RR,
            "action": {"name": "approve"},
            "resource": STRATEGIE,
            "evaluations": [
                {},
                {"subject": body("body", "Steuerungsausschuss")},
                {"action": {"name": "definieren"}, "subject": body("body", "Steuerungsausschuss")},
                {"resource": {"type": "object"}},
            ],
        },
    ).json()
    decisions = [e["decision"] for e in got["evaluations"]]
    assert decisions == [True, False, True, False]
    assert "`evaluations[3].resource.id` is missing" in got["evaluations"][3]["context"]["error"]["message"]
    assert "decision" not in got


@pytest.mark.parametrize(
    ("semantic", "expected"),
    [
        ("execute_all", [True, False, True]),
        ("deny_on_first_deny", [True, False]),
        ("permit_on_first_permit", [True]),
    ],
)
def test_batch_semantics(server, semantic, expected):
    got = server.post(
        EVALUATIONS,
        {
            "action": {"name": "approve"},
            "resource": STRATEGIE,
            "options": {"evaluations_semantic": semantic},
            "evaluations": [{"subject": RR}, {"subject": body("body", "Kompetenzzentrum")}, {"subject": RR}],
        },
    ).json()
    assert [e["decision"] for e in got["evaluations"]] == expected


def test_batch_with_an_unknown_semantic_or_too_many_items_is_refused(server):
    assert (
        server.post(
            EVALUATIONS,
            {"evaluations": [ask(RR, "approve", STRATEGIE)], "options": {"evaluations_semantic": "some"}},
        ).status_code
        == 400
    )
    many = server.post(EVALUATIONS, {"evaluations": [ask(RR, "approve", STRATEGIE)] * 1001})
    assert many.status_code == 400 and "max_batch" in many.json()["error"]["message"]


# -- AuthZEN: search -----------------------------------------------------------------------------------


def test_subject_search_is_who_may(server, policy):
    got = server.post(
        "/access/v1/search/subject",
        {"subject": {"type": "body"}, "action": {"name": "approve"}, "resource": body("object", "Budget")},
    ).json()
    assert [r["id"] for r in got["results"]] == list(policy.who_may("approve", "Budget").ids)
    assert all(r["type"] == "body" for r in got["results"])


def test_resource_search_is_what_may_of_one_action(server, policy):
    got = server.post(
        "/access/v1/search/resource",
        {"subject": RR, "action": {"name": "genehmigen"}, "resource": {"type": "object"}},
    ).json()
    expected = sorted({p.object.id for p in policy.what_may("Regierungsrat") if p.action.id == "approve"})
    assert [r["id"] for r in got["results"]] == expected


def test_action_search_is_what_may_on_one_resource(server, policy):
    got = server.post(
        "/access/v1/search/action", {"subject": body("body", "Steuerungsausschuss"), "resource": STRATEGIE}
    ).json()
    expected = sorted(
        {p.action.id for p in policy.what_may("Steuerungsausschuss") if p.object.id == "strategie"}
    )
    assert [r["name"] for r in got["results"]] == expected and expected


def test_search_pages_through_every_result_once(server):
    request = {
        "subject": RR,
        "action": {"name": "approve"},
        "resource": {"type": "object"},
        "page": {"limit": 1},
    }
    first = server.post("/access/v1/search/resource", request).json()
    total = first["page"]["total"]
    assert total > 1 and first["page"]["count"] == 1
    seen = [r["id"] for r in first["results"]]
    token = first["page"]["next_token"]
    while token:
        page = server.post(
            "/access/v1/search/resource", {**request, "page": {"limit": 1, "token": token}}
        ).json()
        seen += [r["id"] for r in page["results"]]
        token = page["page"]["next_token"]
    assert len(seen) == total == len(set(seen))
    changed = {
        **request,
        "action": {"name": "define"},
        "page": {"limit": 1, "token": first["page"]["next_token"]},
    }
    refused = server.post("/access/v1/search/resource", changed)
    assert refused.status_code == 400 and "another request" in refused.json()["error"]["message"]
    forged = server.post("/access/v1/search/resource", {**request, "page": {"token": "not a token"}})
    assert forged.status_code == 400


def test_search_for_an_unknown_name_is_empty_with_the_reason(server):
    got = server.post(
        "/access/v1/search/action", {"subject": body("body", "Regierungsrt"), "resource": STRATEGIE}
    ).json()
    assert got["results"] == [] and "Regierungsrt" in got["context"]["reason"]
    unknown_type = server.post(
        "/access/v1/search/subject",
        {"subject": {"type": "spaceship"}, "action": {"name": "approve"}, "resource": STRATEGIE},
    )
    assert unknown_type.status_code == 200 and unknown_type.json()["results"] == []


def test_metadata_names_every_endpoint(server):
    got = server.client.get("/.well-known/authzen-configuration")
    assert got.status_code == 200 and got.headers["content-type"] == "application/json"
    meta = got.json()
    assert meta["policy_decision_point"] == server.url
    for key, path in [
        ("access_evaluation_endpoint", EVALUATION),
        ("access_evaluations_endpoint", EVALUATIONS),
        ("search_subject_endpoint", "/access/v1/search/subject"),
        ("search_resource_endpoint", "/access/v1/search/resource"),
        ("search_action_endpoint", "/access/v1/search/action"),
    ]:
        assert meta[key] == server.url + path


# -- native endpoints ------------------------------------------------------------------------------------


def test_may_with_full_explanation(server, policy):
    got = server.client.get(
        "/v1/may",
        params={"actor": "Regierungsrat", "action": "verabschieden", "object": "Strategie", "lang": "en"},
    )
    assert got.status_code == 200
    data = got.json()
    assert data["allowed"] is True and data["status"] == "allowed"
    assert data["version"] == policy.version == got.headers["x-kdv-policy-version"]
    assert data["explanation"]["proofs"][0]["id"] == "darf_aus_kompetenz"
    assert data["explanation"]["lang"] == "en"
    assert data["decision_id"] == got.headers["x-kdv-decision-id"]


@pytest.mark.parametrize(
    ("path", "params", "call"),
    [
        (
            "who_may",
            {"action": "approve", "object": "Schwerpunktplanung"},
            lambda p: p.who_may("approve", "Schwerpunktplanung"),
        ),
        ("what_may", {"actor": "Steuerungsausschuss"}, lambda p: p.what_may("Steuerungsausschuss")),
        ("members", {"body": "Steuerungsausschuss"}, lambda p: p.members("Steuerungsausschuss")),
        ("chair", {"body": "Steuerungsausschuss"}, lambda p: p.chair("Steuerungsausschuss")),
        ("responsible", {"unit": "DEK"}, lambda p: p.responsible_for("DEK")),
        ("who_serves", {"unit": "DEK"}, lambda p: p.who_serves("DEK")),
        ("delegations", {}, lambda p: p.delegations()),
        ("delegations", {"object": "Strategie"}, lambda p: p.delegations("Strategie")),
    ],
)
def test_list_questions_answer_as_the_api(server, policy, path, params, call):
    for response in (server.client.get(f"/v1/{path}", params=params), server.post(f"/v1/{path}", params)):
        assert response.status_code == 200, response.text
        data = response.json()
        expected = call(policy)
        assert data["answers"] == expected.model_dump(mode="json", exclude={"explanation"})["answers"]
        assert data["question"] == expected.question
        assert "explanation" in data


def test_consumers_and_is_consumer(server, policy):
    listed = server.client.get("/v1/consumers").json()
    ids = [a["id"] for a in listed["answers"]]
    assert ids and all(policy.is_consumer(u).allowed for u in ids)
    one = server.client.get("/v1/is_consumer", params={"unit": ids[0], "explain": "false"}).json()
    assert one["allowed"] is True and "explanation" not in one


def test_holds_query_answer_interpretations_version(server, policy):
    holds = server.client.get(
        "/v1/holds", params={"atom": "chair(steuerungsausschuss, departementschef_div)"}
    )
    assert holds.json()["allowed"] is True
    query = server.client.get("/v1/query", params={"query": "chair(steuerungsausschuss, X)"}).json()
    assert query["answers"] == [{"X": "departementschef_div"}]
    answer = server.post("/v1/answer", {"question": "wer genehmigt die Strategie?"}).json()
    assert answer["kind"] == "who_may" and [a["id"] for a in answer["answers"]] == ["regierungsrat"]
    english = server.client.get(
        "/v1/answer", params={"question": "may the Regierungsrat approve the Strategie?"}
    )
    assert english.json()["allowed"] is True
    interpretations = server.client.get("/v1/interpretations").json()
    assert [i["id"] for i in interpretations["interpretations"]] == [i.id for i in policy.interpretations]
    version = server.client.get("/v1/version").json()
    assert version["version"] == policy.version and version["language"] == policy.language


def test_native_as_of_language_and_interpretations(server, policy):
    dated = server.client.get(
        "/v1/may",
        params={
            "actor": "Kompetenzzentrum",
            "action": "prepare",
            "object": "Schwerpunktplanung",
            "at": "2019-01-01",
        },
    ).json()
    expected = policy.at("2019-01-01").may("Kompetenzzentrum", "prepare", "Schwerpunktplanung")
    assert dated["status"] == expected.status
    german = server.client.get(
        "/v1/may",
        params={"actor": "RR", "action": "approve", "object": "Strategie"},
        headers={"Accept-Language": "de"},
    ).json()
    assert german["explanation"]["lang"] == "de"
    text_only = server.client.get(
        "/v1/may",
        params={"actor": "Regierungsrat", "action": "approve", "object": "Strategie", "text_only": "true"},
    )
    assert text_only.status_code == 200
    unknown = server.client.get(
        "/v1/may",
        params={
            "actor": "Regierungsrat",
            "action": "approve",
            "object": "Strategie",
            "interpretation": "no_such_reading",
        },
    )
    assert unknown.status_code == 400 and "no_such_reading" in unknown.json()["error"]["message"]


@pytest.mark.parametrize(
    ("path", "params", "status", "kind"),
    [
        ("may", {"actor": "Regierungsrt", "action": "approve", "object": "Strategie"}, 404, "unknown-name"),
        (
            "may",
            {"actor": "Generalsekretär", "action": "approve", "object": "Strategie"},
            409,
            "ambiguous-name",
        ),
        ("answer", {"question": "what is the meaning of life"}, 400, "unknown-form"),
        ("query", {"query": "member(X, Y"}, 400, "syntax"),
        ("query", {"query": "nonexistent(X)"}, 400, "query"),
        ("may", {"actor": "Regierungsrat", "action": "approve"}, 400, None),
        (
            "may",
            {"actor": "Regierungsrat", "action": "approve", "object": "Strategie", "at": "soon"},
            400,
            None,
        ),
        (
            "may",
            {"actor": "Regierungsrat", "action": "approve", "object": "Strategie", "lang": "fr"},
            400,
            None,
        ),
    ],
)
def test_native_errors_name_what_is_wrong(server, path, params, status, kind):
    got = server.client.get(f"/v1/{path}", params=params)
    assert got.status_code == status, got.text
    error = got.json()["error"]
    assert error["status"] == status and error["message"]
    if kind is not None:
        assert error["type"] == kind
    if kind == "unknown-name":
        assert error["suggestions"][0]["id"] == "regierungsrat"
    assert "Traceback" not in got.text


def test_a_query_over_the_query_limits_is_refused(tmp_path):
    with Server("rules", "--poll", "0", "--query-limit", "max_answers=2", workdir=tmp_path) as small:
        got = small.client.get("/v1/query", params={"query": "member(X, Y)"})
        assert got.status_code == 400 and "more than the limit of 2" in got.json()["error"]["message"]
        assert small.client.get("/v1/query", params={"query": "chair(X, Y)"}).status_code == 200


# -- operations ------------------------------------------------------------------------------------------


def test_health_ready_and_version_header_everywhere(server, policy):
    for path in ("/health", "/ready", "/openapi.json", "/metrics", "/v1/version", "/nowhere"):
        assert server.client.get(path).headers["x-kdv-policy-version"] == policy.version, path
    assert server.client.get("/ready").json() == {"status": "ready", "version": policy.version}


def test_openapi_describes_every_endpoint(server):
    document = server.client.get("/openapi.json").json()
    assert document["openapi"].startswith("3.")
    paths = set(document["paths"])
    expected = {
        "/access/v1/evaluation",
        "/access/v1/evaluations",
        "/access/v1/search/subject",
        "/access/v1/search/resource",
        "/access/v1/search/action",
        "/.well-known/authzen-configuration",
        "/health",
        "/ready",
        "/metrics",
        "/openapi.json",
    }
    from kdv_policy.service.native import QUESTIONS

    expected |= {f"/v1/{q.name}" for q in QUESTIONS}
    assert paths == expected
    for path in expected - {
        "/health",
        "/ready",
        "/metrics",
        "/openapi.json",
        "/.well-known/authzen-configuration",
    }:
        method = "post" if path.startswith("/access") else "get"
        assert server.client.request(method.upper(), path).status_code != 404, path


def test_metrics_count_requests_decisions_and_latency(server):
    server.post(EVALUATION, ask(RR, "approve", STRATEGIE))
    text = server.client.get("/metrics").text
    assert 'kdv_http_requests_total{method="POST",route="/access/v1/evaluation",status="200"}' in text
    assert 'kdv_decisions_total{api="authzen",outcome="allowed"}' in text
    assert "kdv_http_request_duration_seconds_bucket" in text
    assert "kdv_policy_version_info{version=" in text
    assert "kdv_policy_reloads_total" in text or "kdv_policy_reloads" in text


def test_the_responses_are_json_with_the_spec_content_type(server):
    for response in (
        server.post(EVALUATION, ask(RR, "approve", STRATEGIE)),
        server.post(EVALUATIONS, {"evaluations": [ask(RR, "approve", STRATEGIE)]}),
        server.client.get("/v1/members", params={"body": "StA"}),
    ):
        assert response.headers["content-type"] == "application/json"
        json.loads(response.content)


def test_importing_the_package_does_not_load_the_service():
    import subprocess
    import sys

    code = ("import sys, kdv_policy, kdv_policy.cli.main; "
            "print(sorted(m for m in ('starlette', 'uvicorn', 'prometheus_client', 'httpx', 'anyio', "
            "'kdv_policy.service') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def curl_examples() -> list[str]:
    import re
    from pathlib import Path

    text = (Path(__file__).resolve().parents[1] / "docs" / "service.md").read_text(encoding="utf-8")
    commands = []
    for block in re.findall(r"```sh\n(.*?)```", text, re.S):
        for command in block.replace("\\\n", " ").splitlines():
            if command.startswith("curl "):
                commands.append(command)
    return commands


@pytest.mark.parametrize("command", curl_examples())
def test_the_curl_examples_of_the_docs_answer(server, command):
    """Every curl example of docs/service.md, sent as curl would send it, is answered with 200."""
    import shlex
    from urllib.parse import parse_qsl, urlsplit

    words = shlex.split(command)[1:]
    headers: dict[str, str] = {}
    data = None
    get = False
    params: list[tuple[str, str]] = []
    url = None
    while words:
        word = words.pop(0)
        if word == "-s":
            continue
        if word == "-G":
            get = True
        elif word == "-H":
            name, _, value = words.pop(0).partition(":")
            headers[name.strip()] = value.strip()
        elif word == "-d":
            data = words.pop(0)
        elif word == "--data-urlencode":
            params.append(tuple(words.pop(0).split("=", 1)))  # type: ignore[arg-type]
        else:
            url = word
    assert url is not None and url.startswith("localhost:8181/")
    parts = urlsplit("http://" + url)
    params += parse_qsl(parts.query)
    if data is not None and not get:
        response = server.client.post(parts.path, content=data.encode(), headers=headers, params=params)
    else:
        if data is not None:
            params += parse_qsl(data)
        response = server.client.get(parts.path, headers=headers, params=params)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"


def test_the_background_audit_writer_keeps_every_record_in_order_when_its_queue_is_full(tmp_path):
    import logging

    from kdv_policy.policy.audit import AUDIT_LOGGER, JsonLinesHandler, emit_record

    path = tmp_path / "audit.jsonl"
    handler = JsonLinesHandler(path, background=True, queue_size=2)
    AUDIT_LOGGER.addHandler(handler)
    AUDIT_LOGGER.setLevel(logging.INFO)
    try:
        for n in range(2000):
            emit_record({"decision_id": n, "asked": {"n": n}}, "%s", (n,))
        handler.flush()
        written = [json.loads(line)["decision_id"] for line in path.read_text().splitlines()]
        assert written == list(range(2000))  # flushed: all of them, in order
        assert handler.waited > 0  # the queue of two was full, and that was counted
        emit_record({"decision_id": "last"}, "%s", ("last",))
    finally:
        AUDIT_LOGGER.removeHandler(handler)
        AUDIT_LOGGER.setLevel(logging.NOTSET)
        handler.close()
    assert json.loads(path.read_text().splitlines()[-1])["decision_id"] == "last"  # close writes the rest
