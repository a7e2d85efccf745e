"""Inside a running app: versions, atomic reload, polling, the audit log, and bounds on bad input."""

import io
import json
import logging
import os
import shutil
import threading
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kdv_policy import (
    Policy,
    PolicyCheckError,
    PolicyError,
    PolicyLoadError,
    PolicySyntaxError,
    QueryError,
    QueryLimits,
)
from kdv_policy.data import parse_data
from kdv_policy.files import MAX_FILE_BYTES, write_atomic
from kdv_policy.policy.audit import AUDIT_LOGGER, JsonLinesHandler
from kdv_policy.policy.store import PolicyStore

REPO_RULES = Path(__file__).resolve().parents[1] / "rules"
"""The policy of this repository (not the copy an installation bundles)."""

RULES = """
%% Who may sign what.
.decl may(actor, action, object)
%% The documents there are.
.decl document(d)
@id(m1) @source("s") may(board, sign, contract).
@id(d1) @source("s") document(lease).
"""


def write(directory: Path, text: str, name: str = "policy.dl") -> Path:
    """Replace a file atomically, as editors and deployments do (a poller never sees it half-written)."""
    directory.mkdir(parents=True, exist_ok=True)
    write_atomic(directory / name, text)
    return directory


@pytest.fixture
def rules(tmp_path) -> Path:
    return write(tmp_path / "rules", RULES)


# -- versions ------------------------------------------------------------------------------------

def test_the_version_is_a_content_hash_and_every_decision_carries_it(rules):
    one, same = Policy.load(rules), Policy.load(rules)
    assert one.version == same.version and len(one.version) == 16
    assert one.may("board", "sign", "contract").version == one.version
    write(rules, RULES + '@id(m2) @source("s") may(board, sign, lease).\n')
    assert Policy.load(rules).version != one.version
    bundled = Policy.load(REPO_RULES)
    assert bundled.at("2021-01-01").version != bundled.version
    assert bundled.with_facts(add=["member(steuerungsausschuss, dv_dek)"]).version != bundled.version


# -- reload ----------------------------------------------------------------------------------------

def test_reload_swaps_in_a_good_version(rules):
    store = PolicyStore(rules)
    old = store.current
    assert not store.current.may("board", "sign", "lease").allowed
    write(rules, RULES + '@id(m2) @source("s") may(board, sign, lease).\n')
    assert store.changed()
    new = store.reload()
    assert store.current is new and new.version != old.version
    assert new.may("board", "sign", "lease").allowed
    assert not old.may("board", "sign", "lease").allowed  # the old version is unchanged


@pytest.mark.parametrize("broken", [
    RULES + "may(board, sign\n",                                     # syntax error
    RULES + '@id(m2) @source("s") may(board, sign).\n',              # arity
    RULES + '@id(m1) @source("s") may(board, sign, lease).\n',       # duplicate id
])
def test_a_broken_file_never_replaces_a_working_policy(rules, broken):
    store = PolicyStore(rules)
    before = store.current
    write(rules, broken)
    with pytest.raises((PolicySyntaxError, PolicyCheckError)):
        store.reload()
    assert store.current is before and store.last_error is not None
    assert store.current.may("board", "sign", "contract").allowed


def test_an_unreadable_file_is_reported_by_name(rules, monkeypatch):
    store = PolicyStore(rules)
    before = store.current
    real = os.open

    def deny(path, *args, **kwargs):  # the tests run as root, for whom chmod 000 denies nothing
        if Path(path).name == "policy.dl":
            raise PermissionError(13, "Permission denied")
        return real(path, *args, **kwargs)

    monkeypatch.setattr(os, "open", deny)
    with pytest.raises(PolicyLoadError, match=r"cannot read rule file `.*policy\.dl`: Permission denied"):
        store.reload()
    assert store.current is before


def test_a_deleted_directory_keeps_the_old_version(rules):
    store = PolicyStore(rules)
    before = store.current
    shutil.rmtree(rules)
    with pytest.raises(PolicyLoadError, match="does not exist"):
        store.reload()
    assert store.current is before


def test_files_changing_during_a_reload_give_one_consistent_version(rules):
    edits = iter([RULES + '@id(m2) @source("s") may(board, sign, lease).\n'])

    def edit_during_first_validation(policy):
        text = next(edits, None)
        if text is not None:
            time.sleep(0.01)  # let the mtime move on coarse clocks
            write(rules, text)

    store = PolicyStore(rules, validate=lambda p: None)
    store._validate = edit_during_first_validation
    policy = store.reload()
    assert policy.may("board", "sign", "lease").allowed  # the state after the edit, not a mix
    assert not store.changed()


def test_a_failing_policy_test_rejects_the_reload(rules):
    def must_allow_contracts(policy):
        if ("board", "sign", "contract") not in policy.relation("may"):
            raise QueryError("board may no longer sign contracts")

    store = PolicyStore(rules, validate=must_allow_contracts)
    write(rules, RULES.replace("contract", "lease"))
    with pytest.raises(QueryError, match="no longer"):
        store.reload()
    assert store.current.may("board", "sign", "contract").allowed


def test_reload_while_eight_threads_ask(rules):
    store = PolicyStore(rules)
    expected = {store.version: False}
    stop = threading.Event()
    seen: list[tuple[str, bool]] = []
    errors: list[BaseException] = []

    def ask():
        try:
            while not stop.is_set():
                policy = store.current
                seen.append((policy.version, policy.may("board", "sign", "lease").allowed))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=ask) for _ in range(8)]
    for t in threads:
        t.start()
    for i in range(6):
        text = RULES + ('@id(m2) @source("s") may(board, sign, lease).\n' if i % 2 == 0 else "")
        write(rules, text + f"% edit {i}\n")
        policy = store.reload()
        expected[policy.version] = i % 2 == 0
    stop.set()
    for t in threads:
        t.join()
    assert not errors and seen
    assert all(expected[version] == allowed for version, allowed in seen)


def test_polling_reloads_and_logs_a_rejected_change(rules, caplog):
    with PolicyStore(rules, poll_interval=0.02) as store:
        first = store.version
        write(rules, RULES + '@id(m2) @source("s") may(board, sign, lease).\n')
        deadline = time.monotonic() + 10
        while store.version == first and time.monotonic() < deadline:
            time.sleep(0.02)
        assert store.current.may("board", "sign", "lease").allowed
        good = store.version
        with caplog.at_level(logging.ERROR, logger="kdv_policy.policy.store"):
            write(rules, RULES + "may(\n")
            deadline = time.monotonic() + 10
            while not caplog.records and time.monotonic() < deadline:
                time.sleep(0.02)
        assert store.version == good
        assert any("rejected" in r.getMessage() and "keeps answering" in r.getMessage()
                   for r in caplog.records)


# -- audit log ---------------------------------------------------------------------------------------

@pytest.fixture
def audit_stream():
    stream = io.StringIO()
    handler = JsonLinesHandler(stream)
    AUDIT_LOGGER.addHandler(handler)
    AUDIT_LOGGER.setLevel(logging.INFO)
    yield stream
    AUDIT_LOGGER.removeHandler(handler)
    AUDIT_LOGGER.setLevel(logging.NOTSET)


def test_one_audit_record_per_decision(audit_stream):
    policy = Policy.load(REPO_RULES)
    policy.may("RR", "verabschieden", "Strategie")
    policy.may("RR", "verabschieden", "Strategie")  # cached, still a decision
    policy.members("StA")
    policy.ask("chair(B, R)")
    records = [json.loads(line) for line in audit_stream.getvalue().splitlines()]
    assert [r["question"] for r in records] == ["may", "may", "members", "ask"]
    first = records[0]
    assert first["version"] == policy.version and first["allowed"] is True
    assert first["asked"] == ["RR", "verabschieden", "Strategie"]
    assert first["resolved"] == "may(regierungsrat, approve, strategie)"
    assert "rr_verabschiedet_strategie" in first["rule_ids"]
    assert records[2]["answers"] == 11 and records[3]["answers"] == 1
    assert first["time"].endswith("+00:00")


def test_the_audit_log_is_off_by_default_and_costs_no_proof():
    policy = Policy.load(REPO_RULES)
    decision = policy.may("RR", "verabschieden", "Strategie")
    assert not AUDIT_LOGGER.isEnabledFor(logging.INFO)
    assert "explanation" not in decision.__dict__  # the proof was never built


def test_the_json_lines_handler_writes_to_a_file(tmp_path):
    path = tmp_path / "audit.jsonl"
    handler = JsonLinesHandler(path)
    AUDIT_LOGGER.addHandler(handler)
    AUDIT_LOGGER.setLevel(logging.INFO)
    try:
        Policy.load(REPO_RULES).who_may("approve", "Strategie")
    finally:
        AUDIT_LOGGER.removeHandler(handler)
        AUDIT_LOGGER.setLevel(logging.NOTSET)
        handler.close()
    (record,) = [json.loads(line) for line in path.read_text().splitlines()]
    assert record["question"] == "who_may" and record["answers"] >= 1


# -- bounds on bad and hostile input ---------------------------------------------------------------

def test_a_cross_product_stops_at_the_limit_before_running():
    policy = Policy.load(REPO_RULES)
    with pytest.raises(QueryError, match="intermediate rows, more than the limit"):
        policy.ask("unit(A), unit(B), unit(C), unit(D), role(E)")


def test_answer_count_and_query_length_limits():
    policy = Policy.load(REPO_RULES, limits=QueryLimits(max_answers=5, max_length=60))
    with pytest.raises(QueryError, match="more than the limit of 5"):
        policy.ask("unit(U)")
    with pytest.raises(QueryError, match="characters, more than the limit of 60"):
        policy.ask("unit(U), " * 10 + "unit(U)")
    assert len(policy.ask("chair(B, R)")) == 1


def test_a_join_through_shared_variables_is_within_the_limits():
    policy = Policy.load(REPO_RULES, limits=QueryLimits(max_intermediate=10_000))
    rows = policy.ask("member(steuerungsausschuss, R), role_of(R, U, F), member(B, R)")
    assert {r["R"] for r in rows} == set(policy.members("Steuerungsausschuss").ids)


def test_a_nul_byte_and_deep_nesting_are_syntax_errors_naming_the_file(tmp_path):
    write(tmp_path / "nul", '.decl p(x)\n@id(a) @source("s") p(a).\np(\x00).\n')
    with pytest.raises(PolicySyntaxError) as info:
        Policy.load(tmp_path / "nul")
    assert "policy.dl:3:3: error: NUL byte" in str(info.value)
    write(tmp_path / "deep", ".decl p(x)\np(" + "f(" * 5000 + "a" + ")" * 5000 + ").\n")
    with pytest.raises(PolicySyntaxError, match=r"terms do not nest|expected"):
        Policy.load(tmp_path / "deep")


def test_an_oversized_file_is_refused_before_it_is_read(tmp_path):
    directory = tmp_path / "big"
    directory.mkdir()
    with open(directory / "huge.dl", "wb") as f:
        f.truncate(MAX_FILE_BYTES + 1)
    with pytest.raises(PolicyLoadError, match=r"huge\.dl` has 8\.0 MiB, more than the limit"):
        Policy.load(directory)


def test_names_from_users_are_data_never_paths_or_code(tmp_path):
    policy = Policy.load(REPO_RULES)
    marker = Path("/tmp/kdv_policy_pwned")
    marker.unlink(missing_ok=True)
    for hostile in ["../../etc/passwd", "__import__('os').system('touch /tmp/kdv_policy_pwned')",
                    "{{7*7}}", "'; DROP TABLE x; --"]:
        with pytest.raises(Exception) as info:
            policy.may(hostile, "approve", "Strategie")
        assert type(info.value).__name__ == "UnknownNameError"
    assert not marker.exists()


# -- fuzzing: only the project's own errors come out --------------------------------------------------

_POLICY = Policy.load(REPO_RULES)
query_text = st.one_of(
    st.text(max_size=80),
    st.lists(st.sampled_from(["member", "(", ")", "X", "_", ",", "not ", "may", "unit(U)", " = ", "<",
                              '"x"', "1", "2020-01-01", "steuerungsausschuss", ".", "chair(B, R)"]),
             max_size=20).map("".join),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(query_text)
def test_fuzzed_queries_give_answers_or_the_projects_errors(text):
    try:
        rows = _POLICY.ask(text)
    except PolicyError:
        return
    assert isinstance(rows, tuple)


toml_text = st.one_of(
    st.text(max_size=120),
    st.lists(st.sampled_from(["[[units]]\n", "[[roles]]\n", "[[bodies]]\n", 'id = "x"\n', 'id = "div"\n',
                              'kind = "departement"\n', 'name = "N"\n', 'parent = "nowhere"\n', "id = 1\n",
                              "[units]\n", "x = [1,\n", 'aliases = ["a", "a"]\n', "unit = 'div'\n",
                              'function = "generalsekretaer"\n', "established = 2020-12-31\n", "= =\n"]),
             max_size=25).map("".join),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(toml_text)
def test_fuzzed_data_files_give_data_or_the_projects_errors(text):
    try:
        parse_data(text, "organisation.toml")
    except PolicyLoadError as err:
        assert str(err)


def test_a_yaml_bomb_in_a_policy_test_file_is_refused_before_it_expands(tmp_path):
    from kdv_policy.authoring.policytests import PolicyTestError, run_tests

    rules = write(tmp_path / "rules", RULES)
    (rules / "tests").mkdir()
    first = '- name: a\n  ask: "may(board, sign, X)"\n  expect: &a ["x", "x", "x", "x", "x", "x", "x", "x"]'
    levels = [first]
    for prev, name in zip("abcdefgh", "bcdefghi", strict=True):
        levels.append(f'- name: {name}\n  ask: "may(board, sign, X)"\n  expect: &{name} [' +
                      ", ".join([f"*{prev}"] * 8) + "]")
    (rules / "tests" / "bomb.yaml").write_text("\n".join(levels) + "\n", encoding="utf-8")
    with pytest.raises(PolicyTestError) as info:
        run_tests(rules)
    assert "anchors and aliases" in str(info.value) and len(info.value.render()) < 2000


def test_a_million_facts_are_refused_while_parsing(tmp_path):
    directory = write(tmp_path / "many", ".decl p(x)\n" + "p(1).\n" * 1_000_000)
    with pytest.raises(PolicyLoadError, match=r"more than 50,000 declarations|longer than 1,200,000 tokens"):
        Policy.load(directory)
