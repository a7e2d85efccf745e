"""The decision log in a database: every decision a row, under threads and processes, through an
outage of the real PostgreSQL server and past a full buffer; append-only; asked with ``log``."""

from __future__ import annotations

import datetime
import json
import logging
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from kdv_policy import Policy
from kdv_policy.cli.main import main
from kdv_policy.data.sql import driver_url
from kdv_policy.data.sql.connect import migrate
from kdv_policy.policy.audit import AUDIT_LOGGER
from kdv_policy.policy.decisionlog import (
    DECISIONLOG_LOGGER,
    DecisionLogHandler,
    count_decisions,
    decision_ids,
    decisions_about,
)
from pgserver import PostgresServer, new_database
from test_sql_people import PEOPLE

KINDS = ["sqlite", "postgresql"]
THREADS = 8
PER_THREAD = 60


@pytest.fixture(params=KINDS)
def log_db(request, tmp_path) -> str:
    url = new_database(request.param, tmp_path, request)
    migrate(url)
    return url


@pytest.fixture
def audited():
    """Attach handlers to the audit logger for one test; detach and close them after it."""
    attached: list[logging.Handler] = []
    level = AUDIT_LOGGER.level

    def attach(handler: logging.Handler) -> logging.Handler:
        AUDIT_LOGGER.addHandler(handler)
        AUDIT_LOGGER.setLevel(logging.INFO)
        attached.append(handler)
        return handler

    yield attach
    for handler in attached:
        AUDIT_LOGGER.removeHandler(handler)
        handler.close()
    AUDIT_LOGGER.setLevel(level)


@pytest.fixture(scope="module")
def policy() -> Policy:
    return Policy.load(people=PEOPLE)


QUESTIONS = [("Erika Muster", "approve", "Strategie"), ("Regierungsrat", "approve", "Strategie"),
             ("Steuerungsausschuss", "define", "Strategie")]


def decide(policy: Policy, count: int) -> None:
    for i in range(count):
        actor, action, obj = QUESTIONS[i % len(QUESTIONS)]
        policy.may(actor, action, obj)


def test_every_decision_of_eight_threads_is_a_row(log_db, audited, policy, tmp_path):
    handler = audited(DecisionLogHandler(log_db, spill=tmp_path / "spill.jsonl"))
    threads = [threading.Thread(target=decide, args=(policy, PER_THREAD)) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert handler.flush(timeout=120)
    ids = list(decision_ids(log_db))
    assert len(ids) == THREADS * PER_THREAD == len(set(ids))
    assert handler.stats()["spilled"] == 0 and not (tmp_path / "spill.jsonl").exists()


def test_a_row_holds_the_question_the_answer_and_the_versions(log_db, audited, tmp_path):
    adopted = Policy.load(people=PEOPLE)
    interpretations = [i.id for i in adopted.interpretations][:1]
    policy = adopted.with_interpretations(interpretations)
    handler = audited(DecisionLogHandler(log_db, spill=tmp_path / "spill.jsonl"))
    decision = policy.may("Regierungsrat", "approve", "Strategie")
    answers = policy.who_may("approve", "Strategie")
    assert handler.flush(timeout=60)
    today = datetime.datetime.now(datetime.UTC).date()
    rows = decisions_about(log_db, "regierungsrat", today, today)
    assert [r["question"] for r in rows] == ["may", "who_may"][: len(rows)] and rows[0]["question"] == "may"
    first = rows[0]
    assert first["resolved"] == decision.question
    assert first["answer"] == {"allowed": decision.allowed}
    assert first["arguments"] == ["Regierungsrat", "approve", "Strategie"]
    assert first["policy_version"] == policy.version
    assert first["data_version"] == policy.data_version and first["data_version"].startswith("file-")
    assert first["interpretations"] == list(decision.interpretations)
    listed = decisions_about(log_db, "strategie", today, today)
    assert listed[-1]["answer"] == {"answers": len(answers.answers), "ids": [e.id for e in answers.answers]}
    assert decisions_about(log_db, "regierungsrat", today - datetime.timedelta(days=3),
                           today - datetime.timedelta(days=1)) == []


def test_the_log_is_append_only(log_db, audited, policy, tmp_path):
    handler = audited(DecisionLogHandler(log_db, spill=tmp_path / "spill.jsonl"))
    decide(policy, 3)
    assert handler.flush(timeout=60)
    engine = create_engine(driver_url(log_db))
    try:
        for statement in ("UPDATE decisions SET answer = '{}'", "DELETE FROM decisions"):
            with pytest.raises(Exception, match="append-only"), engine.begin() as connection:
                connection.execute(text(statement))
    finally:
        engine.dispose()
    assert count_decisions(log_db) == 3


WORKER = """
import logging, sys
from kdv_policy import Policy
from kdv_policy.policy.audit import AUDIT_LOGGER
from kdv_policy.policy.decisionlog import DecisionLogHandler
handler = DecisionLogHandler(sys.argv[1], spill=sys.argv[2])
AUDIT_LOGGER.addHandler(handler)
AUDIT_LOGGER.setLevel(logging.INFO)
policy = Policy.load(people=sys.argv[3])
for i in range(int(sys.argv[4])):
    policy.may("Regierungsrat", "approve", "Strategie")
assert handler.flush(timeout=120), handler.stats()
handler.close()
"""


def test_every_decision_of_several_processes_is_a_row(log_db, tmp_path):
    script = tmp_path / "worker.py"
    script.write_text(WORKER)
    workers = [subprocess.Popen([sys.executable, str(script), log_db, str(tmp_path / f"spill{i}.jsonl"),
                                 str(PEOPLE), "80"]) for i in range(3)]
    assert [w.wait(timeout=300) for w in workers] == [0, 0, 0]
    assert count_decisions(log_db) == 240
    assert not list(tmp_path.glob("spill*"))


@pytest.fixture
def own_server():
    """A PostgreSQL server of the test's own, to stop and start."""
    server = PostgresServer()
    server.start()
    try:
        yield server
    finally:
        server.remove()


def test_an_outage_of_postgresql_is_buffered_and_every_row_arrives(own_server, audited, policy, tmp_path,
                                                                   caplog):
    url = own_server.create_database()
    migrate(url)
    handler = audited(DecisionLogHandler(url, spill=tmp_path / "spill.jsonl", retry_interval=0.1))
    decide(policy, 10)
    assert handler.flush(timeout=60)
    own_server.stop()
    with caplog.at_level(logging.WARNING, logger=DECISIONLOG_LOGGER.name):
        decide(policy, 50)  # answered while the database is down: nothing waits for it
        assert not handler.flush(timeout=0.5)
        held = handler.stats()
        assert held["written"] == 10 and held["spilled"] == 0  # the 50 are held, none written, none lost
        own_server.start()
        assert handler.flush(timeout=120)
    assert count_decisions(url) == 60
    assert handler.stats()["failures"] >= 1 and handler.stats()["spilled"] == 0
    messages = [r.getMessage() for r in caplog.records if r.name == DECISIONLOG_LOGGER.name]
    assert any("does not answer" in m for m in messages) and any("answers again" in m for m in messages)


def test_a_full_buffer_spills_to_a_file_says_so_and_is_read_back(own_server, audited, policy, tmp_path,
                                                                  caplog):
    url = own_server.create_database()
    migrate(url)
    spill = tmp_path / "spill.jsonl"
    handler = audited(DecisionLogHandler(url, spill=spill, buffer_size=10, batch_size=5, retry_interval=0.1))
    own_server.stop()
    with caplog.at_level(logging.WARNING, logger=DECISIONLOG_LOGGER.name):
        decide(policy, 40)
        spilled = handler.stats()["spilled"]
        assert spilled >= 40 - 10 - 5  # at most the buffer and one batch in the writer's hands
        assert len(spill.read_text().splitlines()) == spilled
        assert any("spill file" in r.getMessage() for r in caplog.records)
        own_server.start()
        assert handler.flush(timeout=120)
        deadline = datetime.datetime.now() + datetime.timedelta(seconds=120)
        while spill.exists() and datetime.datetime.now() < deadline:
            handler.flush(timeout=1)
    assert not spill.exists()
    ids = list(decision_ids(url))
    assert len(ids) == 40 == len(set(ids))


def test_closing_during_an_outage_spills_what_was_not_written(own_server, policy, tmp_path, caplog):
    url = own_server.create_database()
    migrate(url)
    spill = tmp_path / "spill.jsonl"
    handler = DecisionLogHandler(url, spill=spill, retry_interval=0.1)
    AUDIT_LOGGER.addHandler(handler)
    AUDIT_LOGGER.setLevel(logging.INFO)
    try:
        own_server.stop()
        decide(policy, 12)
    finally:
        AUDIT_LOGGER.removeHandler(handler)
        handler.close(timeout=1)
    lines = [json.loads(line) for line in spill.read_text().splitlines()]
    assert len(lines) == 12 == len({line["decision_id"] for line in lines})
    own_server.start()
    reopened = DecisionLogHandler(url, spill=spill, retry_interval=0.1)  # reads the spill back on start
    try:
        deadline = datetime.datetime.now() + datetime.timedelta(seconds=120)
        while spill.exists() and datetime.datetime.now() < deadline:
            reopened.flush(timeout=1)
    finally:
        reopened.close()
    assert count_decisions(url) == 12


def test_the_log_command_answers_what_was_decided_about_x(log_db, audited, policy, tmp_path, capsys):
    handler = audited(DecisionLogHandler(log_db, spill=tmp_path / "spill.jsonl"))
    policy.may("Erika Muster", "approve", "Strategie")
    policy.may("Regierungsrat", "approve", "Budget")
    assert handler.flush(timeout=60)
    today = datetime.datetime.now(datetime.UTC).date().isoformat()
    assert main(["log", log_db, "--about", "erika_muster", "--from", today, "--to", today]) == 0
    out = capsys.readouterr().out
    assert out.startswith("1 decision about `erika_muster`")
    assert "may(erika_muster, approve, strategie) → denied" in out
    assert main(["log", log_db, "--about", "Regierungsrat", "--from", today, "--to", today, "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["resolved"] for r in rows] == ["may(regierungsrat, approve, budget)"]
    assert rows[0]["data_version"] == policy.data_version
    assert main(["log", log_db, "--about", "erika_muster", "--from", "2001-01-01", "--to", "2001-12-31",
                 "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == []
    assert main(["log", log_db, "--from", "2026-13-01"]) == 2
    assert "is not a date" in capsys.readouterr().err
    assert main(["log", f"sqlite:///{Path(tmp_path) / 'absent.db'}"]) == 2


def test_the_log_command_speaks_german(log_db, audited, policy, tmp_path, capsys):
    handler = audited(DecisionLogHandler(log_db, spill=tmp_path / "spill.jsonl"))
    policy.may("Erika Muster", "approve", "Strategie")
    assert handler.flush(timeout=60)
    today = datetime.datetime.now(datetime.UTC).date().isoformat()
    assert main(["log", log_db, "--about", "erika_muster", "--from", today, "--to", today,
                 "--lang", "de"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("1 Entscheid über `erika_muster`")
    assert "→ verweigert" in out and "Entscheid " in out and "Richtlinie " in out
    assert main(["log", log_db, "--from", "2026-13-01", "--lang", "de"]) == 2
    assert "Fehler: --from `2026-13-01` ist kein Datum; schreiben Sie es als JJJJ-MM-TT" in \
        capsys.readouterr().err
    assert main(["log", f"sqlite:///{Path(tmp_path) / 'absent.db'}", "--lang", "de"]) == 2
    err = capsys.readouterr().err
    assert "Fehler: die SQLite-Datenbank" in err and "existiert nicht" in err
