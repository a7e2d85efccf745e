"""The checker: what it accepts, how it stratifies, and how it checks queries."""

import pytest

from kdv_policy import PolicyCheckError, QueryError, analyse, check, parse_program, parse_query
from kdv_policy.language.checker import check_query

HEADER = """
.decl edge(a, b)
.decl reach(a, b)
.decl node(a)
.decl unreachable(a, b)
"""


def program(text: str):
    return check([parse_program(HEADER + text, "p.dl")]).program


def codes(text: str) -> list[str]:
    return [d.code for d in analyse([parse_program(text, "p.dl")]).diagnostics]


def test_recursion_with_negation_on_a_lower_stratum_is_accepted():
    prog = program("""
        @id(e) @source("s") edge(a, b).
        @id(n1) @source("s") node(X) :- edge(X, _).
        @id(n2) @source("s") node(X) :- edge(_, X).
        @id(r1) @source("s") reach(X, Y) :- edge(X, Y).
        @id(r2) @source("s") reach(X, Y) :- edge(X, Z), reach(Z, Y).
        @id(u) @source("s") unreachable(X, Y) :- node(X), node(Y), not reach(X, Y).
    """)
    order = [s.predicates for s in prog.strata]
    assert order.index(("reach",)) < order.index(("unreachable",))
    assert next(s for s in prog.strata if s.predicates == ("reach",)).recursive


def test_errors_are_collected_not_first_only():
    with pytest.raises(PolicyCheckError) as info:
        program("reach(X, Y) :- edg(X, Y).\n reach(X) :- node(X).\n node(X).")
    assert [d.code for d in info.value.diagnostics if d.is_error] == [
        "undeclared-predicate", "arity-mismatch", "unsafe-variable"]


def test_a_clean_program_has_no_diagnostics():
    assert codes('.decl p(x)\n@id(a) @source("s")\np(1).') == []


def test_warnings_do_not_block_loading():
    result = analyse([parse_program(".decl p(x)\np(1).")])
    assert result.program is not None and [d.code for d in result.warnings] == ["missing-citation"]


def test_ids_must_be_unique_across_files():
    a = parse_program('.decl p(x)\n@id(same) @source("s") p(1).', "a.dl")
    b = parse_program('@id(same) @source("s") p(2).', "b.dl")
    result = analyse([a, b])
    (diag,) = result.errors
    assert diag.code == "duplicate-id" and diag.span.path == "b.dl" and "a.dl:2:1" in diag.help


def test_query_checks_predicates_arity_and_safety():
    prog = program('@id(e) @source("s") edge(a, b).')
    check_query(parse_query("edge(X, Y), not reach(X, Y)"), prog)
    for query, expected in [
        ("edg(X, Y)", "help: did you mean `edge/2`?"),
        ("edge(X)", "`edge` takes 2 arguments, but 1 was given"),
        ("edge(X, _), not reach(X, Z)", "variable `Z` under `not` is not bound"),
        ("X = a", "variable `X` in a comparison is not bound"),
    ]:
        with pytest.raises(QueryError) as info:
            check_query(parse_query(query), prog)
        assert expected in info.value.render()
