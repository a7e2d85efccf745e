"""Facts stored in bulk (``engine.evaluation._assert_many``) leave pyDatalog exactly as storing
them one by one (``_assert``, pyDatalog's own ``assert_``) does, and answer the same queries."""

from __future__ import annotations

from pyDatalog import pyDatalog, pyEngine, pyParser

from kdv_policy.engine.evaluation import _assert, _assert_many


def _state(name: str, arity: int) -> tuple:
    pred = pyEngine.Pred(name, arity)
    index = [{k: sorted(str(c) for c in v) for k, v in by_value.items()} for by_value in pred.index]
    known = f"{name}/{arity}" in pyEngine.Logic.tl.logic.Db
    return sorted(str(c) for c in pred.db.values()), index, pred.prearity, known


def test_bulk_facts_equal_one_by_one():
    pyDatalog.Logic()  # a fresh logic for this thread
    rows = [("a", "b"), ("a", "c"), ("b", "c"), ("a", "b"), ("c", 7)]
    for row in rows:
        _assert("one", row)
    _assert_many("bulk", 2, rows[:3])
    _assert_many("bulk", 2, rows[3:])  # a fact stored again is replaced, not doubled
    one, bulk = _state("one", 2), _state("bulk", 2)
    assert one[0] == [s.replace("bulk(", "one(") for s in bulk[0]]
    assert len(one[0]) == 4
    assert one[1] == [{k: [s.replace("bulk(", "one(") for s in v] for k, v in i.items()} for i in bulk[1]]
    assert one[2:] == bulk[2:] == (2, True)
    x, y = pyParser.Term("X"), pyParser.Term("Y")
    answers = {name: sorted(map(tuple, pyParser.Term(name)(x, y).ask() or ())) for name in ("one", "bulk")}
    assert answers["one"] == answers["bulk"] and len(answers["one"]) == 4


def test_dropping_facts_at_once_equals_retracting_them():
    from kdv_policy.engine.evaluation import _drop

    pyDatalog.Logic()
    rows = [("a", "b"), ("a", "c"), ("b", "c")]
    _assert_many("kept", 2, rows)
    _assert_many("gone", 2, rows)
    _drop("gone", 2)
    x, y = pyParser.Term("X"), pyParser.Term("Y")
    assert not pyParser.Term("gone")(x, y).ask()
    assert _state("gone", 2)[:2] == ([], [{}, {}])
    assert len(pyParser.Term("kept")(x, y).ask()) == 3
    _assert_many("gone", 2, rows[:1])  # stored again after the drop: found again
    assert sorted(map(tuple, pyParser.Term("gone")(x, y).ask())) == [("a", "b")]
