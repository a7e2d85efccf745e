"""The decision service over a compiled bundle — a real server process asked over HTTP: a bundle
(signed or not) answers as the rules it was built from; a new bundle file replacing the old one
while requests flow is swapped in without one failed request; a corrupt one is refused, the last
good version keeps answering and ``/ready`` says why."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from kdv_policy import Policy
from kdv_policy.cli.main import main
from service_server import ROOT, Server, wait_for_version

EVALUATION = "/access/v1/evaluation"
QUESTIONS = [  # (subject, action, resource)
    ("Regierungsrat", "approve", "Strategie"),
    ("Steuerungsausschuss", "approve", "Strategie"),
    ("Steuerungsausschuss", "define", "Strategie"),
    ("Kompetenzzentrum", "prepare", "Schwerpunktplanung"),
    ("Regierungsrat", "genehmigen", "Budget"),
    ("Planungsausschuss", "approve", "Budget"),
]


def ask(subject: str, action: str, resource: str) -> dict:
    return {
        "subject": {"type": "body", "id": subject},
        "action": {"name": action},
        "resource": {"type": "object", "id": resource},
    }


def build(policy: Path, output: Path, *extra: str) -> None:
    """``python -m kdv_policy build POLICY -o OUTPUT``, as a user runs it."""
    done = subprocess.run(
        [sys.executable, "-m", "kdv_policy", "build", str(policy), "-o", str(output), *extra],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr


@pytest.fixture(scope="module")
def rules_policy() -> Policy:
    return Policy.load(ROOT / "rules")


def test_a_bundle_is_served_and_answers_as_its_rules(tmp_path, rules_policy):
    bundle = tmp_path / "policy.kdvb"
    build(ROOT / "rules", bundle)
    with Server(str(bundle), "--poll", "0", workdir=tmp_path) as running:
        for question in QUESTIONS:
            response = running.post(EVALUATION, ask(*question))
            assert response.status_code == 200
            assert response.json()["decision"] is rules_policy.may(*question).allowed, question
        members = running.client.get("/v1/members", params={"body": "Steuerungsausschuss"}).json()
        assert sorted(a["id"] for a in members["answers"]) == sorted(
            a.id for a in rules_policy.members("Steuerungsausschuss").answers
        )
        assert running.client.get("/ready").json()["version"] == rules_policy.version


def test_a_signed_bundle_is_served_with_its_key_and_refused_unsigned(tmp_path, rules_policy, capsys):
    key = tmp_path / "ci-key.pem"
    assert main(["keygen", str(key)]) == 0
    public = next(p for p in tmp_path.glob("*.pem") if p != key)
    signed, unsigned = tmp_path / "signed.kdvb", tmp_path / "unsigned.kdvb"
    build(ROOT / "rules", signed, "--sign", str(key), "--no-tests")
    shutil.copyfile(signed, tmp_path / "copy.kdvb")
    build(ROOT / "rules", unsigned, "--no-tests")
    capsys.readouterr()
    assert main(["serve", str(unsigned), "--verify-key", str(public), "--port", "1"]) == 2
    err = capsys.readouterr().err
    assert "unsigned.kdvb" in err and "Traceback" not in err
    assert main(["serve", str(signed), "--verify-key", str(tmp_path / "missing.pem")]) == 2
    with Server(str(signed), "--poll", "0", "--verify-key", str(public), workdir=tmp_path) as running:
        response = running.post(EVALUATION, ask(*QUESTIONS[0]))
        assert response.json()["decision"] is True
        assert response.headers["x-kdv-policy-version"] == rules_policy.version


def test_a_new_bundle_replaces_the_old_under_load_and_a_corrupt_one_is_refused(tmp_path):
    source = tmp_path / "policy"
    shutil.copytree(ROOT / "rules", source, ignore=shutil.ignore_patterns("tests"))
    served = tmp_path / "served.kdvb"
    build(source, served)
    with Server(str(served), "--poll", "0.2", workdir=tmp_path) as running:
        first = running.client.get("/ready").json()["version"]
        failures: list[str] = []
        versions: list[str] = []
        stop = threading.Event()

        def load() -> None:
            with httpx.Client(base_url=running.url, timeout=30) as client:
                while not stop.is_set():
                    try:
                        r = client.post(EVALUATION, json=ask(*QUESTIONS[0]))
                        if r.status_code != 200 or r.json()["decision"] is not True:
                            failures.append(f"{r.status_code} {r.text[:200]}")
                        versions.append(r.headers["x-kdv-policy-version"])
                    except httpx.HTTPError as err:
                        failures.append(repr(err))

        threads = [threading.Thread(target=load) for _ in range(4)]
        for t in threads:
            t.start()
        try:
            time.sleep(0.5)
            rules = source / "bodies.dl"
            rules.write_text(rules.read_text(encoding="utf-8") + "\n% a new version\n", encoding="utf-8")
            build(source, tmp_path / "next.kdvb")
            os.replace(tmp_path / "next.kdvb", served)  # as a deployment swaps the file in
            second = wait_for_version(running, lambda v: v != first)
            corrupt = tmp_path / "corrupt.kdvb"
            data = bytearray(served.read_bytes())
            data[len(data) // 2] ^= 0xFF
            corrupt.write_bytes(bytes(data))
            os.replace(corrupt, served)
            deadline = time.monotonic() + 30
            while "last_reload_error" not in running.client.get("/ready").json():
                assert time.monotonic() < deadline, "the corrupt bundle was not reported"
                time.sleep(0.1)
            ready = running.client.get("/ready").json()
            assert "served.kdvb" in ready["last_reload_error"]
            assert ready["version"] == second
            time.sleep(0.5)
        finally:
            stop.set()
            for t in threads:
                t.join()
        assert failures == []
        assert {first, second} <= set(versions)
        assert running.post(EVALUATION, ask(*QUESTIONS[0])).headers["x-kdv-policy-version"] == second
        metrics = running.client.get("/metrics").text
        assert 'kdv_policy_reloads_total{result="ok"} 1.0' in metrics
        assert 'kdv_policy_reloads_total{result="rejected"} 1.0' in metrics



# -- several workers: one set of metrics -----------------------------------------------------------------


def _count(metrics: str, prefix: str) -> float:
    return sum(float(line.rsplit(" ", 1)[1]) for line in metrics.splitlines() if line.startswith(prefix))


def test_the_metrics_of_two_workers_add_up(tmp_path, monkeypatch):
    private = tmp_path / "tmp"
    private.mkdir()
    env = {"TMPDIR": str(private)}
    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR", raising=False)
    with Server("rules", "--poll", "0", "--workers", "2", workdir=tmp_path, env=env) as workers:
        assert len(list(private.glob("kdv-metrics-*"))) == 1  # the run's own directory
        workers_seen: set[str] = set()
        sent = 0
        while len(workers_seen) < 2 or sent < 40:
            assert sent < 1000, "every request went to one worker"
            with httpx.Client(base_url=workers.url, timeout=30) as client:  # a new connection each time
                context = client.post(EVALUATION, json=ask(*QUESTIONS[0])).json()["context"]
            workers_seen.add(context["decision_id"][:12])  # each process numbers its own decisions
            sent += 1
        for _ in range(6):  # whichever worker answers, it reports both workers' counts
            with httpx.Client(base_url=workers.url, timeout=30) as client:
                metrics = client.get("/metrics").text
            assert _count(metrics, 'kdv_decisions_total{api="authzen",outcome="allowed"}') == sent
            requests = 'kdv_http_requests_total{method="POST",route="/access/v1/evaluation"'
            assert _count(metrics, requests) == sent
    assert list(private.iterdir()) == []  # removed when the service stopped
