"""Loading a policy directory and asking it ad-hoc queries through the public API."""

import datetime
from pathlib import Path

import pytest

from kdv_policy import Policy, PolicyCheckError, PolicyLoadError, PolicySyntaxError, QueryError

RULES = """
%% Who delegates to whom.
.decl delegates(from, to)
%% Who reaches whom through delegation.
.decl reaches(from, to)
%% Values of every type.
.decl value(v)

@id(d1) @source("s") delegates(regierungsrat, steuerungsausschuss).
@id(d2) @source("s") delegates(steuerungsausschuss, planungsausschuss).
@id(d3) @source("s") delegates(planungsausschuss, regierungsrat).
@id(r1) @source("s") reaches(X, Y) :- delegates(X, Y).
@id(r2) @source("s") reaches(X, Z) :- delegates(X, Y), reaches(Y, Z).
@id(v1) @source("s") value("True").
@id(v2) @source("s") value("??").
@id(v3) @source("s") value(1).
@id(v4) @source("s") value("1").
@id(v5) @source("s") value(2020-12-31).
@id(v6) @source("s") value("Münchwilen").
"""


def write_policy(directory: Path, text: str = RULES, name: str = "policy.dl") -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / name).write_text(text, encoding="utf-8")
    return directory


@pytest.fixture
def policy(tmp_path) -> Policy:
    return Policy.load(write_policy(tmp_path / "rules"))


def test_recursion_over_a_delegation_cycle_answers(policy):
    answers = policy.ask("reaches(regierungsrat, X)")
    assert [a["X"] for a in answers] == ["planungsausschuss", "regierungsrat", "steuerungsausschuss"]


def test_values_come_back_as_written(policy):
    values = {a["V"] for a in policy.ask("value(V)")}
    assert values == {"True", "??", 1, "1", datetime.date(2020, 12, 31), "Münchwilen"}
    assert policy.ask('value("1")') == ({},) and policy.ask("value(2)") == ()


def test_comparisons_in_queries(policy):
    assert policy.ask("value(V), V > 2020-01-01, V < 2021-01-01") == ({"V": datetime.date(2020, 12, 31)},)


def test_a_query_containing_python_is_rejected_and_nothing_runs(policy):
    marker = Path("/tmp/kdv_policy_pwned")
    marker.unlink(missing_ok=True)
    with pytest.raises(PolicySyntaxError):
        policy.ask("__import__('os').system('touch /tmp/kdv_policy_pwned')")
    assert not marker.exists()


def test_query_errors_name_the_problem(policy):
    with pytest.raises(QueryError) as info:
        policy.ask("reach(X, Y)")
    assert "did you mean `reaches/2`?" in info.value.render()


def test_loading_is_all_or_nothing(tmp_path, policy):
    broken = write_policy(tmp_path / "broken", RULES + "\nreaches(X, Y) :- delegates(X, Y), typo(Y).\n")
    with pytest.raises(PolicyCheckError):
        Policy.load(broken)
    # the policy loaded before answers as it did
    assert len(policy.ask("reaches(X, Y)")) == 9


def test_one_directory_is_one_program_in_path_order(tmp_path):
    rules = tmp_path / "rules"
    write_policy(rules, ".decl a(x)\n.decl b(x)\n", "00_decl.dl")
    write_policy(rules / "sub", '@id(b1) @source("s") b(1).\n', "b.dl")
    write_policy(rules, '@id(a1) @source("s") a(X) :- b(X).\n', "10_rules.dl")
    (rules / "notes.txt").write_text("not a rule file")
    assert Policy.load(rules).ask("a(X)") == ({"X": 1},)


def test_two_policies_in_one_process_do_not_mix(tmp_path):
    one = Policy.load(write_policy(tmp_path / "one", '.decl p(x)\n@id(a) @source("s") p(one).\n'))
    two = Policy.load(write_policy(tmp_path / "two", '.decl p(x)\n@id(a) @source("s") p(two).\n'))
    assert one.ask("p(X)") == ({"X": "one"},) and two.ask("p(X)") == ({"X": "two"},)


def test_missing_directory_and_empty_directory(tmp_path):
    with pytest.raises(PolicyLoadError, match="does not exist"):
        Policy.load(tmp_path / "nowhere")
    (tmp_path / "empty").mkdir()
    with pytest.raises(PolicyLoadError, match=r"no `\*\.dl` rule files"):
        Policy.load(tmp_path / "empty")
