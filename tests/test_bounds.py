"""The fan-out statistics that bound a join before pyDatalog runs it (engine/bounds.py).

A recursive stratum's relations grow round by round; their counts are kept and brought up to
date with each round's rows instead of being counted again. Either way the fan-outs must be
those of the relation as it is: an estimate too low would let a join run past its bound."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from kdv_policy.engine.bounds import Statistics

COLUMNS = [(0,), (1,), (2,), (0, 1), (1, 2), (0, 2), (0, 1, 2), ()]

rows = st.tuples(st.integers(0, 5), st.integers(0, 3), st.integers(0, 2))
rounds = st.lists(st.sets(rows, max_size=12), min_size=1, max_size=6)


def _afresh(relation: set[tuple[int, ...]], columns: tuple[int, ...]) -> int:
    return Statistics(lambda p: relation).fanout("r", columns)


@settings(max_examples=200, deadline=None)
@given(rounds=rounds, asked=st.lists(st.sampled_from(COLUMNS), min_size=1, max_size=4))
def test_kept_fan_outs_of_a_growing_relation_are_those_counted_afresh(rounds, asked):
    relation: set[tuple[int, int, int]] = set()
    kept = Statistics(lambda p: relation)
    kept.growing({"r"})
    for added in rounds:
        for columns in asked:  # asked between rounds, as a fixpoint's plans ask
            assert kept.fanout("r", columns) == _afresh(relation, columns)
        new = added - relation
        relation.update(new)
        kept.grew("r", new)
    for columns in COLUMNS:
        assert kept.fanout("r", columns) == _afresh(relation, columns)


def test_a_relation_no_longer_growing_is_counted_afresh_after_a_change():
    relation = {(1, 1), (1, 2)}
    stats = Statistics(lambda p: relation)
    stats.growing({"r"})
    assert stats.fanout("r", (0,)) == 2
    stats.growing(())
    relation.update({(1, 3), (1, 4)})
    stats.grew("r", {(1, 3), (1, 4)})  # no counts kept: forgets
    assert stats.fanout("r", (0,)) == 4
    relation.clear()
    relation.add((2, 1))
    stats.changed("r")
    assert stats.fanout("r", (0,)) == 1
