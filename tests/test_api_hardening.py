"""The Python API at its boundary: wrong arguments are the project's errors, values keep their
type, and a policy's version is its content alone."""

import contextlib
import datetime
import enum
import inspect
import itertools
import json
import shutil
import subprocess
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import kdv_policy
from kdv_policy import Limits, Policy, PolicyError, QueryError, verify
from kdv_policy.errors import ArgumentError
from kdv_policy.policy.diff import diff
from kdv_policy.policy.names import NameIndex

RULES = """\
.decl u(x)
.decl may(actor, action, object)
.decl member(body, role)
.decl chair(body, role)
.decl serves(provider, unit)
.decl consumer(unit)
.decl responsible(role, unit)
@id(b1) @source("The board signs contracts.")
may(board, sign, contract).
member(board, treasurer).
chair(board, treasurer).
serves(office, branch).
consumer(branch).
responsible(treasurer, branch).
u(a).
"""


def write_policy(directory: Path, rules: str = RULES, name: str = "policy.dl") -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / name).write_text(rules)
    return directory


@pytest.fixture(scope="module")
def small(tmp_path_factory) -> Policy:
    return Policy.load(write_policy(tmp_path_factory.mktemp("small")))


# -- 9. wrong argument types are the project's errors -----------------------------------------

@pytest.mark.parametrize("call", [
    lambda p: p.ask(None),
    lambda p: p.holds(None),
    lambda p: p.explain(None),
    lambda p: p.with_facts(add=[None]),
    lambda p: p.with_facts(remove=[None]),
    lambda p: p.may([], "sign", "contract"),
    lambda p: p.may({}, "sign", "contract"),
    lambda p: p.who_may("sign", ["contract"]),
    lambda p: p.who_serves({"a": 1}),
    lambda p: p.members(b"board"),
    lambda p: p.resolve(None),
    lambda p: p.relation(["u"]),
    lambda p: p.at(3.5),
    lambda p: p.diff(None),
    lambda p: p.entity(object()),
    lambda p: Policy.load(5),
    lambda p: Policy.load(b"rules"),
    lambda p: Policy.load(people=7),
    lambda p: Policy.load(cache_size="big"),
    lambda p: Policy.load(limits={"max_items": 3}),
], ids=["ask", "holds", "explain", "add", "remove", "may-list", "may-dict", "who_may", "who_serves",
        "members", "resolve", "relation", "at", "diff", "entity", "load", "load-bytes", "people",
        "cache_size", "limits"])
def test_a_wrong_argument_type_is_an_argument_error(small, call):
    with pytest.raises(ArgumentError) as info:
        call(small)
    assert isinstance(info.value, PolicyError) and isinstance(info.value, TypeError)


def test_the_message_names_the_argument_and_the_type(small):
    with pytest.raises(ArgumentError, match=r"^the query must be a string, not `None`$"):
        small.ask(None)
    with pytest.raises(ArgumentError, match=r"^the actor must be a string, not a value of type `list`$"):
        small.may([], "sign", "contract")


def test_a_wrong_type_is_refused_also_once_the_hot_path_has_answers(small):
    small.may("board", "sign", "contract")
    small.who_may("sign", "contract")
    small.who_serves("branch")
    for call in (lambda: small.may(["board"], "sign", "contract"), lambda: small.who_may({}, "contract"),
                 lambda: small.who_serves(["branch"])):
        with pytest.raises(ArgumentError):
            call()


def test_a_lone_string_is_not_taken_apart_as_a_list_of_facts(small):
    with pytest.raises(ArgumentError, match="must be a list of facts"):
        small.with_facts(add="u(b)")


def test_an_overlong_name_is_refused_before_it_is_looked_up(small):
    with pytest.raises(QueryError, match="more than the limit of 4,000"):
        small.may("x" * 1_000_000, "sign", "contract")


def test_a_path_the_system_cannot_look_up_is_a_load_error():
    with pytest.raises(PolicyError, match="cannot read"):
        Policy.load("x" * 5000)


def test_verify_and_diff_check_their_arguments(small):
    with pytest.raises(ArgumentError):
        verify(None, small.program, small.model)
    with pytest.raises(ArgumentError):
        diff(small, "rules")
    with pytest.raises(ArgumentError):
        diff(small, small, relations="may")


def test_kinds_may_be_one_kind_and_unknown_kinds_are_refused(small):
    assert small.resolve("board", "constant").id == "board"
    with pytest.raises(ArgumentError, match="unknown kind `bodies`"):
        small.resolve("board", ["bodies"])


JUNK = st.one_of(
    st.none(), st.booleans(), st.integers(), st.integers(min_value=10**18, max_value=10**40),
    st.floats(allow_nan=True), st.binary(max_size=20), st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2), st.tuples(st.none(), st.integers()),
    st.builds(object), st.sampled_from([float("inf"), datetime.datetime(2021, 1, 1), 1 + 2j, {1}, ...]),
    st.text(max_size=30), st.text(max_size=10).map(lambda t: t + "\x00" + t),
    st.sampled_from(["x" * 100_000, "(" * 5_000, "\ud800", "u(" + "9" * 30 + ")", "u(X)", "nope(a)"]),
)
"""Anything an app might pass by mistake."""

PLAUSIBLE = st.sampled_from(["board", "sign", "contract", "branch", "treasurer", "u(a)", "u", "body",
                             ("u", ("a",)), ("u", [1]), ["u(a)"], [("u", ("b",))], "de", "en"])
"""Arguments of the right type, so that a check further along is reached too."""

ARGUMENT = st.one_of(JUNK, PLAUSIBLE)


def parameters(function) -> list[inspect.Parameter]:
    return [p for p in inspect.signature(function).parameters.values() if p.name not in ("self", "cls")]


def public_methods() -> list[str]:
    """Every public method of Policy that takes arguments."""
    return sorted(name for name, member in inspect.getmembers(Policy)
                  if not name.startswith("_") and not isinstance(member, property) and parameters(member))


def junk_call(function, data) -> tuple[list, dict]:
    """Arguments for ``function``: each parameter a piece of junk or a plausible value; the optional
    ones sometimes left out, a ``*names`` parameter given zero to two values."""
    args: list = []
    kwargs: dict = {}
    params = parameters(function)
    starred = any(p.kind is p.VAR_POSITIONAL for p in params)
    for p in params:
        if p.kind is p.VAR_POSITIONAL:
            args += data.draw(st.lists(ARGUMENT, max_size=2))
        elif starred and p.kind is p.POSITIONAL_OR_KEYWORD:
            args.append(data.draw(ARGUMENT))  # before `*names`: by position
        elif p.default is not p.empty and data.draw(st.booleans()):
            continue
        else:
            kwargs[p.name] = data.draw(ARGUMENT)  # by name: a left-out optional one may come before
    return args, kwargs


def test_the_property_test_covers_every_public_method():
    assert set(public_methods()) == {
        "load", "at", "with_facts", "relation", "resolve", "entity", "may", "who_may", "what_may",
        "who_serves", "members", "chair", "responsible_for", "is_consumer", "holds", "ask", "explain",
        "diff", "with_interpretations", "delegations", "answer", "in_language", "with_input"}


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(data=st.data())
def test_junk_arguments_only_ever_raise_policy_errors(small, data):
    name = data.draw(st.sampled_from(public_methods()))
    args, kwargs = junk_call(getattr(Policy, name), data)
    target = Policy if name == "load" else small
    with contextlib.suppress(PolicyError):  # anything else fails the test
        getattr(target, name)(*args, **kwargs)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_junk_given_to_the_name_index_only_raises_policy_errors(small, data):
    method = data.draw(st.sampled_from(["resolve", "by_id", "entities", "suggest", "add"]))
    index: NameIndex = small.names if method != "add" else NameIndex()
    args, kwargs = junk_call(getattr(NameIndex, method), data)
    with contextlib.suppress(PolicyError):
        getattr(index, method)(*args, **kwargs)


# -- 10. values keep their type --------------------------------------------------------------

@pytest.fixture(scope="module")
def u(tmp_path_factory) -> Policy:
    return Policy.load(write_policy(tmp_path_factory.mktemp("u"), ".decl u(x)\n.decl v(x)\nv(a).\n"))


@pytest.mark.parametrize("lookalike", [True, 1.0], ids=["True", "1.0"])
def test_removing_a_value_python_calls_equal_does_not_remove_the_integer(u, lookalike):
    one = u.with_facts(add=[("u", (1,))])
    with pytest.raises(ArgumentError, match="which the rule language cannot write"):
        one.with_facts(remove=[("u", (lookalike,))])
    assert one.relation("u") == {(1,)}


def test_adding_a_boolean_is_refused_not_dropped_and_not_an_engine_error(u):
    with pytest.raises(ArgumentError, match=r"value 1 of `u` is the boolean `True`"):
        u.with_facts(add=[("u", (1,)), ("u", (True,))])
    with pytest.raises(ArgumentError, match="boolean"):
        u.with_facts(add=[("u", (True,))])


@pytest.mark.parametrize("bad", [1.5, float("nan"), datetime.datetime(2021, 1, 1), 10**18, b"a", None, ("a",),
                                 "a\x00b", "\ud800"])
def test_values_the_rule_language_cannot_write_are_refused(u, bad):
    with pytest.raises(ArgumentError):
        u.with_facts(add=[("u", (bad,))])
    with pytest.raises(ArgumentError):
        u.holds(("u", (bad,)))


def test_values_of_different_types_stay_apart_through_every_api(u):
    day = datetime.date(2021, 1, 1)
    both = u.with_facts(add=[("u", (1,)), ("u", ("1",)), ("u", (day,)), ("u", ("2021-01-01",))])
    assert both.relation("u") == {(1,), ("1",), (day,), ("2021-01-01",)}
    assert {type(v) for (v,) in both.relation("u")} == {int, str, datetime.date}
    only_int = both.with_facts(remove=[("u", ("1",)), ("u", ("2021-01-01",))])
    assert only_int.relation("u") == {(1,), (day,)}
    assert only_int.holds(("u", (1,))) and not only_int.holds(("u", ("1",)))
    assert only_int.holds("u(1)") and not only_int.holds('u("1")')
    assert only_int.ask("u(X)") == ({"X": 1}, {"X": day})
    assert only_int.entity(1).id == "1"


def test_a_cached_answer_for_1_is_never_the_answer_for_true_or_1_0(u):
    one = u.with_facts(add=[("u", (1,))])
    assert one.holds(("u", (1,))).allowed  # now cached
    for lookalike in (True, 1.0):
        with pytest.raises(ArgumentError):
            one.holds(("u", (lookalike,)))
        with pytest.raises(ArgumentError):
            one.explain(("u", (lookalike,)))


def test_enum_members_count_as_their_plain_value(u):
    class Level(enum.IntEnum):
        ONE = 1

    class Name(enum.StrEnum):
        A = "a"

    changed = u.with_facts(add=[("u", (Level.ONE,)), ("u", (Name.A,))])
    assert changed.relation("u") == {(1,), ("a",)}
    assert {type(v) for (v,) in changed.relation("u")} == {int, str}
    assert changed.holds(("v", (Name.A,)))


def test_the_version_does_not_depend_on_the_order_of_what_if_facts(u):
    a, b = ("u", (1,)), ("u", ("1",))
    assert u.with_facts(add=[a, b]).version == u.with_facts(add=[b, a]).version
    assert u.with_facts(add=[a]).version != u.with_facts(add=[b]).version


# -- 14. the version is the policy's content alone -------------------------------------------

def copy_of(source: Path, target: Path) -> Path:
    shutil.copytree(source, target)
    return target


@pytest.fixture
def org_policy(tmp_path) -> Path:
    directory = write_policy(tmp_path / "original")
    (directory / "sub").mkdir()
    (directory / "sub" / "more.dl").write_text("u(b).\n")
    shutil.copy(Path(__file__).parents[1] / "examples" / "people.toml", tmp_path / "people.toml")
    return directory


def test_the_same_files_in_two_folders_give_the_same_version(org_policy, tmp_path):
    one = copy_of(org_policy, tmp_path / "a" / "one")
    two = copy_of(org_policy, tmp_path / "elsewhere" / "two")
    assert Policy.load(one).version == Policy.load(two).version == Policy.load(org_policy).version


def test_the_version_does_not_depend_on_the_working_directory(org_policy, tmp_path, monkeypatch):
    absolute = Policy.load(org_policy).version
    monkeypatch.chdir(org_policy.parent)
    assert Policy.load("original").version == absolute
    monkeypatch.chdir(org_policy / "sub")
    assert Policy.load("..").version == absolute
    monkeypatch.chdir(org_policy)
    assert Policy.load(".").version == absolute


def test_a_policy_of_one_file_is_versioned_by_its_name_and_bytes(tmp_path):
    one = write_policy(tmp_path / "a") / "policy.dl"
    two = write_policy(tmp_path / "b") / "policy.dl"
    other = write_policy(tmp_path / "c", name="other.dl") / "other.dl"
    assert Policy.load(one).version == Policy.load(two).version != Policy.load(other).version


def test_one_changed_byte_changes_the_version(org_policy, tmp_path):
    changed = copy_of(org_policy, tmp_path / "changed")
    text = (changed / "sub" / "more.dl").read_text()
    (changed / "sub" / "more.dl").write_text(text.replace("u(b)", "u(c)"))
    assert Policy.load(changed).version != Policy.load(org_policy).version


def test_renaming_a_rule_file_changes_the_version(org_policy, tmp_path):
    renamed = copy_of(org_policy, tmp_path / "renamed")
    (renamed / "sub" / "more.dl").rename(renamed / "sub" / "other.dl")
    moved = copy_of(org_policy, tmp_path / "moved")
    (moved / "sub" / "more.dl").rename(moved / "more.dl")
    versions = {Policy.load(d).version for d in (org_policy, renamed, moved)}
    assert len(versions) == 3


def test_a_people_file_outside_the_directory_counts_by_content_not_by_where_it_lies(tmp_path):
    rules = Path(__file__).parents[1] / "rules"
    people = Path(__file__).parents[1] / "examples" / "people.toml"
    elsewhere = tmp_path / "x" / "y" / "staff.toml"
    elsewhere.parent.mkdir(parents=True)
    shutil.copy(people, elsewhere)
    assert Policy.load(rules, people=people).version == Policy.load(rules, people=elsewhere).version
    elsewhere.write_bytes(people.read_bytes() + b"\n")
    assert Policy.load(rules, people=people).version != Policy.load(rules, people=elsewhere).version


def test_the_data_files_and_the_date_are_part_of_the_version(tmp_path):
    rules = copy_of(Path(__file__).parents[1] / "rules", tmp_path / "rules")
    before = Policy.load(rules)
    assert before.at("2021-01-01").version != before.version
    assert before.at("2021-01-01").version == Policy.load(rules, at="2021-01-01").version != \
        Policy.load(rules, at="2021-01-02").version
    data = rules / "organisation.toml"
    data.write_bytes(data.read_bytes() + b"\n# a comment\n")
    assert Policy.load(rules).version != before.version


def test_diff_against_git_gives_the_same_old_version_on_every_run(org_policy, tmp_path, monkeypatch, capsys):
    from kdv_policy.cli.main import main

    repo = tmp_path / "repo"
    copy_of(org_policy, repo / "rules")

    def git(*args: str) -> None:
        subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.org", *args], cwd=repo,
                       check=True, capture_output=True)

    git("init", "-q")
    git("add", ".")
    git("commit", "-qm", "rules")
    monkeypatch.chdir(repo)
    versions = []
    for _ in range(2):
        main(["diff", "--format", "json", "git:HEAD", "rules"])
        versions.append(json.loads(capsys.readouterr().out)["old_version"])
    assert versions[0] == versions[1] == Policy.load(org_policy).version


EXPORTED_FUNCTIONS = ["parse_program", "parse_query", "check", "analyse", "format_module", "format_query",
                      "load_program", "verify"]


def test_every_exported_function_is_covered_by_the_junk_test():

    functions = {name for name in kdv_policy.__all__
                 if inspect.isfunction(getattr(kdv_policy, name)) and name != "bundled_rules"}
    assert functions == set(EXPORTED_FUNCTIONS)


@pytest.mark.parametrize("name", EXPORTED_FUNCTIONS)
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_junk_given_to_an_exported_function_only_raises_policy_errors(name, data, tmp_path):

    function = getattr(kdv_policy, name)
    required = [p for p in inspect.signature(function).parameters.values()
                if p.default is inspect.Parameter.empty and p.kind is p.POSITIONAL_OR_KEYWORD]
    args = [data.draw(JUNK, label=p.name) for p in required]
    # in an empty folder, a junk string is never a path into the checkout; an error other than a
    # PolicyError fails the test
    with contextlib.chdir(tmp_path), contextlib.suppress(PolicyError):
        function(*args)


def test_what_if_changes_are_bounded_even_from_an_endless_iterator(small):
    endless = itertools.repeat("u(a)")
    bounded = Policy.load(small.directory, limits=Limits(max_items=100))
    with pytest.raises(QueryError, match="more than the limit `max_items` of 100 facts"):
        bounded.with_facts(add=endless)
