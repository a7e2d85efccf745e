"""The decision service under bad input, authentication, limits and reloads — a real server
process asked over HTTP: a bad request is a 400 (or 401, 408, 413) with a one-sentence JSON error
and never a stack trace; nothing a caller sends takes the service down; a policy changed while
requests flow is swapped in without one failed request, and a broken one never answers."""

from __future__ import annotations

import shutil
import socket
import threading
import time

import httpx
import pytest

from kdv_policy.cli.main import main
from service_server import ROOT, Server, wait_for_version

EVALUATION = "/access/v1/evaluation"
GOOD = {
    "subject": {"type": "body", "id": "Regierungsrat"},
    "action": {"name": "approve"},
    "resource": {"type": "object", "id": "Strategie"},
}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("hardening")
    with Server(
        "rules", "--poll", "0", "--max-body-bytes", "20000", "--timeout", "2", workdir=workdir
    ) as running:
        yield running


BAD_BODIES = [
    ("no content type", b'{"subject": {}}', None),
    ("text/plain", b"{}", "text/plain"),
    ("form", b"subject=alice", "application/x-www-form-urlencoded"),
    ("malformed", b'{"subject": {"type": "body", "id": "x"', "application/json"),
    ("empty", b"", "application/json"),
    ("whitespace", b"   \n ", "application/json"),
    ("array", b"[]", "application/json"),
    ("string", b'"evaluate me"', "application/json"),
    ("null", b"null", "application/json"),
    ("not utf-8", b'{"subject": "\xff\xfe"}', "application/json"),
    ("deep nesting", b"[" * 5000 + b"]" * 5000, "application/json"),
    ("huge integer", b'{"subject": ' + b"9" * 10000 + b"}", "application/json"),
    ("NaN", b'{"subject": NaN}', "application/json"),
    (
        "subject number",
        b'{"subject": 1, "action": {"name": "a"}, "resource": {"type": "o", "id": "s"}}',
        "application/json",
    ),
    (
        "id object",
        b'{"subject": {"type": "body", "id": {}}, "action": {"name": "a"}, '
        b'"resource": {"type": "object", "id": "s"}}',
        "application/json",
    ),
    (
        "properties array",
        b'{"subject": {"type": "body", "id": "x", "properties": []}, "action": {"name": "a"}, '
        b'"resource": {"type": "object", "id": "s"}}',
        "application/json",
    ),
    (
        "context string",
        b'{"subject": {"type": "body", "id": "x"}, "action": {"name": "a"}, '
        b'"resource": {"type": "object", "id": "s"}, "context": "now"}',
        "application/json",
    ),
    (
        "explain string",
        b'{"subject": {"type": "body", "id": "x"}, "action": {"name": "a"}, '
        b'"resource": {"type": "object", "id": "s"}, "context": {"explain": "yes"}}',
        "application/json",
    ),
]


@pytest.mark.parametrize(("what", "content", "content_type"), BAD_BODIES, ids=[b[0] for b in BAD_BODIES])
@pytest.mark.parametrize(
    "path", [EVALUATION, "/access/v1/evaluations", "/access/v1/search/action", "/v1/may"]
)
def test_bad_input_is_a_400_with_a_json_error_and_no_trace(server, path, what, content, content_type):
    headers = {"Content-Type": content_type} if content_type else {}
    response = server.client.post(path, content=content, headers=headers)
    if what == "NaN" and path != EVALUATION:
        assert response.status_code in (200, 400)  # Python's JSON reads NaN; the fields decide
        return
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["status"] == 400 and error["message"] and "\n" not in error["message"]
    assert "Traceback" not in response.text and 'File "' not in response.text
    assert server.client.get("/health").status_code == 200


def test_the_service_keeps_answering_after_bad_input(server):
    for content in (b"\x00" * 100, b"{" * 10000, b'{"subject":' * 1000):
        server.client.post(EVALUATION, content=content, headers={"Content-Type": "application/json"})
    assert server.post(EVALUATION, GOOD).json()["decision"] is True


def test_a_body_over_the_limit_is_refused_declared_or_streamed(server):
    big = {**GOOD, "context": {"padding": "x" * 30000}}
    assert server.post(EVALUATION, big).status_code == 413

    def chunks():
        for _ in range(30):
            yield b"x" * 1000

    streamed = server.client.post(EVALUATION, content=chunks(), headers={"Content-Type": "application/json"})
    assert streamed.status_code == 413
    assert "max_body_bytes" in streamed.json()["error"]["message"]
    assert server.post(EVALUATION, GOOD).status_code == 200


def test_a_body_that_does_not_arrive_in_time_is_refused(server):
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as s:
        s.sendall(
            b"POST /access/v1/evaluation HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b'Content-Length: 100\r\n\r\n{"subject":'
        )
        reply = b""
        while b"arrive" not in reply:
            chunk = s.recv(4096)
            if not chunk:
                break
            reply += chunk
        reply = reply.decode(errors="replace")
    assert reply.startswith("HTTP/1.1 408"), reply
    assert "did not arrive within 2 seconds" in reply


def test_a_method_or_path_not_served_is_a_json_error(server):
    wrong_method = server.client.get(EVALUATION)
    assert wrong_method.status_code == 405 and wrong_method.json()["error"]["status"] == 405
    nowhere = server.client.post("/access/v2/evaluation", json=GOOD)
    assert nowhere.status_code == 404 and "/openapi.json" in nowhere.json()["error"]["message"]


def test_cors_is_off_unless_configured(server, tmp_path):
    plain = server.client.options(
        EVALUATION, headers={"Origin": "https://portal.example", "Access-Control-Request-Method": "POST"}
    )
    assert "access-control-allow-origin" not in plain.headers
    with Server("rules", "--poll", "0", "--cors-origin", "https://portal.example", workdir=tmp_path) as cors:
        allowed = cors.client.options(
            EVALUATION, headers={"Origin": "https://portal.example", "Access-Control-Request-Method": "POST"}
        )
        assert allowed.status_code == 200
        assert allowed.headers["access-control-allow-origin"] == "https://portal.example"
        other = cors.client.options(
            EVALUATION, headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"}
        )
        assert "access-control-allow-origin" not in other.headers
        simple = cors.post(EVALUATION, GOOD, headers={"Origin": "https://portal.example"})
        assert simple.headers["access-control-allow-origin"] == "https://portal.example"


def test_a_bearer_token_guards_every_endpoint_but_health_and_readiness(tmp_path):
    token_file = tmp_path / "token"
    token_file.write_text("s3cret-token-for-tests\n")
    with Server(
        "rules",
        "--poll",
        "0",
        "--token-file",
        str(token_file),
        workdir=tmp_path,
        token="s3cret-token-for-tests",
    ) as guarded:
        anonymous = httpx.Client(base_url=guarded.url)
        for path in (
            EVALUATION,
            "/v1/may",
            "/metrics",
            "/openapi.json",
            "/.well-known/authzen-configuration",
        ):
            response = anonymous.post(path, json=GOOD) if path == EVALUATION else anonymous.get(path)
            assert response.status_code == 401, path
            assert response.headers["www-authenticate"].startswith("Bearer")
            assert response.json()["error"]["status"] == 401
        for wrong in (
            "Bearer s3cret-token-for-test",
            "Bearer s3cret-token-for-tests2",
            "Basic s3cret",
            "s3cret-token-for-tests",
            "Bearer",
        ):
            assert anonymous.post(EVALUATION, json=GOOD, headers={"Authorization": wrong}).status_code == 401
        assert anonymous.get("/health").status_code == 200 and anonymous.get("/ready").status_code == 200
        assert guarded.post(EVALUATION, GOOD).json()["decision"] is True
        anonymous.close()


def test_serve_refuses_a_policy_that_does_not_load(tmp_path, capsys):
    (tmp_path / "broken.dl").write_text("this is no rule\n")
    assert main(["serve", str(tmp_path), "--port", "1"]) == 2
    err = capsys.readouterr().err
    assert "broken.dl" in err and "Traceback" not in err
    assert main(["serve", "rules", "--token-file", str(tmp_path / "missing")]) == 2
    assert main(["serve", "rules", "--ssl-certfile", str(tmp_path / "broken.dl")]) == 2


def test_several_workers_answer_alike(tmp_path):
    with Server("rules", "--poll", "0", "--workers", "2", workdir=tmp_path) as workers:
        versions = set()
        for _ in range(20):
            response = workers.post(EVALUATION, GOOD)
            assert response.json()["decision"] is True
            versions.add(response.headers["x-kdv-policy-version"])
        assert len(versions) == 1


def test_reload_under_load_loses_no_request_and_never_serves_a_broken_policy(tmp_path):
    policy = tmp_path / "policy"
    shutil.copytree(ROOT / "rules", policy, ignore=shutil.ignore_patterns("tests"))
    with Server(str(policy), "--poll", "0.2", workdir=tmp_path) as running:
        first = running.post(EVALUATION, GOOD).headers["x-kdv-policy-version"]
        failures: list[str] = []
        versions: list[str] = []
        stop = threading.Event()

        def load() -> None:
            with httpx.Client(base_url=running.url, timeout=30) as client:
                n = 0
                while not stop.is_set():
                    n += 1
                    try:
                        if n % 3 == 0:
                            r = client.get(
                                "/v1/members", params={"body": "Steuerungsausschuss", "explain": "false"}
                            )
                            ok = r.status_code == 200 and r.json()["answers"]
                        else:
                            r = client.post(EVALUATION, json=GOOD)
                            ok = r.status_code == 200 and r.json()["decision"] is True
                        if not ok:
                            failures.append(f"{r.status_code} {r.text[:200]}")
                        versions.append(r.headers["x-kdv-policy-version"])
                    except httpx.HTTPError as err:
                        failures.append(repr(err))

        threads = [threading.Thread(target=load) for _ in range(4)]
        for t in threads:
            t.start()
        try:
            time.sleep(0.5)
            rules = policy / "bodies.dl"
            rules.write_text(
                rules.read_text(encoding="utf-8") + "\n% a comment: a new version\n", encoding="utf-8"
            )
            second = wait_for_version(running, lambda v: v != first)
            (policy / "zz_broken.dl").write_text("member(regierungsrat\n", encoding="utf-8")
            deadline = time.monotonic() + 30
            while (
                "last_reload_error" not in running.client.get("/ready").json() and time.monotonic() < deadline
            ):
                time.sleep(0.1)
            ready = running.client.get("/ready").json()
            assert "zz_broken.dl" in ready["last_reload_error"]
            assert ready["version"] == second
            (policy / "zz_broken.dl").unlink()
            rules.write_text(rules.read_text(encoding="utf-8") + "% and another\n", encoding="utf-8")
            third = wait_for_version(running, lambda v: v not in (first, second))
            time.sleep(0.5)
        finally:
            stop.set()
            for t in threads:
                t.join()
        assert failures == []
        assert {first, second, third} <= set(versions)
        assert len(versions) > 50
        metrics = running.client.get("/metrics").text
        assert 'kdv_policy_reloads_total{result="ok"} 2.0' in metrics
        assert 'kdv_policy_reloads_total{result="rejected"} 1.0' in metrics

