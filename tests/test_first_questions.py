"""A hot question asked for the first time with ids is answered from tables prepared with the
name index (``Policy._fast_tables``), building its result from one dict of values, without the
dataclass's ``__init__``. Those answers, their explanations and their fields must equal the
general path's, question by question; names that are not ids, and policies that weigh readings,
take the general path."""

from __future__ import annotations

import dataclasses
import datetime
import logging
from pathlib import Path

import pytest
from benchmarks import generate
from hypothesis import given
from hypothesis import strategies as st

from kdv_policy import Policy
from kdv_policy.policy.api import _row_key, _sorted_rows
from kdv_policy.policy.audit import AUDIT_LOGGER
from kdv_policy.policy.names import UnknownNameError


@pytest.fixture(scope="module")
def canton(tmp_path_factory) -> Path:
    return generate.generate("small", seed=3, out=tmp_path_factory.mktemp("canton") / "policy")


def _general(directory: Path) -> Policy:
    """A policy whose hot questions always take the general path."""
    policy = Policy.load(directory).materialise()
    policy._fast = None
    return policy


def _fields(result) -> dict:
    """The values of a result's fields, as ``__init__`` sets them."""
    return {f.name: getattr(result, f.name) for f in dataclasses.fields(result)}


def _same(one, two) -> None:
    assert type(one) is type(two)
    assert one == two
    assert _fields(one) == _fields(two)
    assert one.model_dump() == two.model_dump()
    assert one.model_dump_json() == two.model_dump_json()
    assert one.explanation.render() == two.explanation.render()
    assert one.explanation == two.explanation


def test_first_answers_equal_the_general_paths(canton):
    fast = Policy.load(canton).materialise()
    general = _general(canton)
    assert fast._fast is not None and fast._fast.may is not None
    actors = [*sorted({r[0] for r in fast.model["may"]})[:12], "p0001", "u0001", "nobody"]
    pairs = [*sorted({(r[1], r[2]) for r in fast.model["may"]})[:8], ("approve", "x_missing")]
    asked = 0
    for actor in actors:
        for action, obj in pairs:
            try:
                want = general.may(actor, action, obj)
            except UnknownNameError as err:
                with pytest.raises(UnknownNameError, match=str(err).split(";")[0][:30]):
                    fast.may(actor, action, obj)
                continue
            _same(fast.may(actor, action, obj), want)
            asked += 1
    assert asked > 50
    for action, obj in pairs[:-1]:
        _same(fast.who_may(action, obj), general.who_may(action, obj))
    for unit in [*sorted({r[1] for r in fast.model["serves"]}), "u0001", "u0019"]:
        _same(fast.who_serves(unit), general.who_serves(unit))
    assert fast.cache_info().misses == general.cache_info().misses


def test_nobody_may_and_no_provider_have_their_why_nots(canton):
    fast = Policy.load(canton).materialise()
    general = _general(canton)
    actions = sorted({r[1] for r in fast.model["may"]})
    objects = sorted({r[2] for r in fast.model["may"]})
    empty = next((a, o) for a in actions for o in objects
                 if not any(r[1] == a and r[2] == o for r in fast.model["may"]))
    _same(fast.who_may(*empty), general.who_may(*empty))
    units = sorted({r[0] for r in fast.model["unit"]}) if "unit" in fast.model else []
    served = {r[1] for r in fast.model["serves"]}
    lonely = next(u for u in units if u not in served)
    _same(fast.who_serves(lonely), general.who_serves(lonely))


def test_first_answers_are_cached_counted_and_audited(canton):
    policy = Policy.load(canton).materialise()
    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append  # type: ignore[method-assign]
    row = sorted(policy.model["may"])[0]
    AUDIT_LOGGER.addHandler(handler)
    old_level = AUDIT_LOGGER.level
    AUDIT_LOGGER.setLevel(logging.INFO)
    try:
        first = policy.may(*row)
        assert policy.may(*row) is first
    finally:
        AUDIT_LOGGER.removeHandler(handler)
        AUDIT_LOGGER.setLevel(old_level)
    assert first.allowed and len(records) == 2
    info = policy.cache_info()
    assert (info.hits, info.misses, info.size) == (1, 1, 1)


def test_names_and_wrong_arguments_take_the_general_path(canton):
    policy = Policy.load(canton).materialise()
    row = sorted(policy.model["may"])[0]
    by_name = policy.may(policy.entity(row[0]).name, row[1], row[2])
    assert by_name.allowed and by_name.actor.id == row[0]
    with pytest.raises(Exception, match="must be a string"):
        policy.may(1, row[1], row[2])  # type: ignore[arg-type]
    with pytest.raises(Exception, match="must be a string"):
        policy.who_may([row[1]], row[2])  # type: ignore[arg-type]


def test_the_name_index_is_built_by_materialise(canton):
    policy = Policy.load(canton)
    assert policy._name_table is None
    policy.materialise()
    assert policy._name_table is not None


values = st.one_of(st.integers(-5, 5), st.dates(datetime.date(2020, 1, 1), datetime.date(2020, 1, 5)),
                   st.sampled_from(["a", "b", "B", "ä"]))


@given(st.sets(st.tuples(values, values, values), max_size=30))
def test_rows_sort_as_the_key_sorts_them(rows):
    """The index's short cut (a plain sort, the key only when types meet) orders rows as the key does."""
    assert _sorted_rows(rows) == sorted(rows, key=_row_key)


def test_first_answers_share_no_state_a_copy_could_change(canton):
    """Results of first askings share the callable that explains them (they are frozen); a copy
    with changes, and reading an explanation, leave the other results as they were."""
    fast = Policy.load(canton).materialise()
    general = _general(canton)
    rows = sorted(fast.model["may"])[:2]
    one, two = (fast.may(*row) for row in rows)
    assert one.__dict__["_explain_from"] is two.__dict__["_explain_from"]  # shared, not made per result
    assert one.__dict__.keys() == {*_fields(one), "_explain_from"}
    changed = one.model_copy(update={"version": "other"})
    assert changed.version == "other" and one.version == fast.version and changed != one
    assert changed.model_copy(update={"version": one.version}) == one
    with pytest.raises(dataclasses.FrozenInstanceError):
        one.version = "other"  # type: ignore[misc]
    assert one.explanation.render() == general.may(*rows[0]).explanation.render()
    assert two.explanation.render() == general.may(*rows[1]).explanation.render()
    assert one.explanation is one.explanation and one.explanation is not two.explanation
    action, obj = rows[0][1], rows[0][2]
    listed = fast.who_may(action, obj)
    assert listed.ids == tuple(a.id for a in listed.answers) == general.who_may(action, obj).ids
    assert listed.model_dump() == general.who_may(action, obj).model_dump()


def test_first_answers_keep_the_cache_bounded_and_first_in_first_out(canton):
    """Hot and other questions share one bound and one order of eviction."""
    policy = Policy.load(canton, cache_size=3).materialise()
    rows = sorted(policy.model["may"])
    units = sorted({r[1] for r in policy.model["serves"]})
    first = policy.may(*rows[0])
    policy.who_serves(units[0])
    policy.members(sorted({r[0] for r in policy.model["member"]})[0])
    assert policy.cache_info().size == 3
    policy.who_may(rows[1][1], rows[1][2])  # the fourth: the first answer goes
    assert policy.cache_info().size == 3
    assert policy.may(*rows[0]) is not first and policy.may(*rows[0]) == first
    for row in rows[:20]:
        policy.may(*row)
        assert policy.cache_info().size <= 3
    assert policy.cache_info().misses == 4 + len({*rows[:20]} - {rows[0]}) + 1
