"""The parser: what it accepts, the AST it builds, and that it never executes text."""

import contextlib
import datetime

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from kdv_policy import PolicySyntaxError, analyse, parse_program, parse_query
from kdv_policy.language.printer import format_module, format_query
from kdv_policy.language.syntax import Atom, Clause, Comparison, Constant, Declaration, Negation, Variable
from strategies import modules, queries


def test_fact_rule_and_declaration():
    module = parse_program(
        "%% Who chairs a body.\n"
        ".decl chair(body, role)\n"
        '@id(c1) @source("Er setzt sich aus den Departementschef DIV (Vorsitz) ... zusammen.")\n'
        "chair(steuerungsausschuss, departementschef_div).\n"
        "may(B, A, O) :- competence(B, A, O), not suspended(B), A != approve.\n",
        "a.dl",
    )
    decl, fact, rule = module.items
    assert decl == Declaration("chair", ("body", "role"), "Who chairs a body.")
    assert fact.head == Atom("chair", (Constant("steuerungsausschuss"), Constant("departementschef_div")))
    assert fact.id == "c1" and fact.citation.startswith("Er setzt sich")
    assert fact.span.path == "a.dl" and (fact.span.line, fact.span.col) == (4, 1)
    assert rule.body[1] == Negation(Atom("suspended", (Variable("B"),)))
    assert rule.body[2] == Comparison("!=", Variable("A"), Constant("approve"))


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ('"Departement für Erziehung und Kultur"', "Departement für Erziehung und Kultur"),
        ('"say \\"hi\\"\\n"', 'say "hi"\n'),
        ("42", 42),
        ("-7", -7),
        ("2020-12-31", datetime.date(2020, 12, 31)),
        ("münchwilen", "münchwilen"),
        ('"True"', "True"),
        ('"??"', "??"),
    ],
)
def test_constants_keep_type_and_spelling(text, value):
    (clause,) = parse_program(f"p({text}).").items
    (const,) = clause.head.args
    assert const.value == value and type(const.value) is type(value)


def test_atom_and_string_spellings_are_one_constant():
    assert parse_program('p(foo).') == parse_program('p("foo").')


def test_wildcards_and_underscore_variables():
    (clause,) = parse_program("p(X) :- q(X, _), r(_Y, _).").items
    assert [a.name for a in clause.body[0].args if isinstance(a, Variable)] == ["X", "_"]


def test_query_with_negation_and_comparison():
    q = parse_query("member(steuerungsausschuss, X), not chair(steuerungsausschuss, X), X != kdv_leitung.")
    assert len(q.body) == 3 and isinstance(q.body[1], Negation) and isinstance(q.body[2], Comparison)


@pytest.mark.parametrize(
    "text",
    [
        "__import__('os').system('touch /tmp/kdv_policy_pwned')",
        "p(X) :- __import__('os').system('touch /tmp/kdv_policy_pwned').",
        "import os; os.system('touch /tmp/kdv_policy_pwned')",
        "p(X) :- eval(\"__import__('os').system('touch /tmp/kdv_policy_pwned')\") == 1.",
        "exec('import os')",
        "lambda: None",
    ],
)
def test_python_is_rejected_and_never_run(text, tmp_path):
    marker = __import__("pathlib").Path("/tmp/kdv_policy_pwned")
    marker.unlink(missing_ok=True)
    with pytest.raises(PolicySyntaxError):
        parse_program(text)
    with pytest.raises(PolicySyntaxError):
        parse_query(text)
    assert not marker.exists()


def test_a_string_that_looks_like_python_is_just_data():
    (clause,) = parse_program('p("__import__(\'os\').system(\'touch /tmp/kdv_policy_pwned\')").').items
    assert clause.head.args[0].value.startswith("__import__(")


def test_syntax_error_carries_position_and_caret():
    with pytest.raises(PolicySyntaxError) as info:
        parse_query("member(steuerungsausschuss X)")
    err = info.value
    assert (err.span.line, err.span.col) == (1, 28)
    assert "expected `,` or `)`" in str(err)
    assert err.render().splitlines()[1:] == [
        "   1 | member(steuerungsausschuss X)",
        "     |                            ^",
    ]


def test_every_syntax_error_of_a_file_is_reported():
    with pytest.raises(PolicySyntaxError) as info:
        parse_program("p(1)\nq(2).\nr(X) :- .\ns(3).\nt('x').\n")
    assert [d.span.line for d in info.value.diagnostics] == [1, 3, 5]


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(modules)
def test_print_then_parse_gives_the_same_ast(module):
    text = format_module(module)
    assert parse_program(text, "<test>") == module


@settings(max_examples=200)
@given(queries)
def test_print_then_parse_gives_the_same_query(query):
    assert parse_query(format_query(query)).body == query.body


datalogish = st.lists(
    st.sampled_from(
        ["p", "q(X)", "(", ")", ",", ".", ":-", "not", "X", "_", '"s"', "'s'", "1", "2020-01-01", "@id",
         "@source", ".decl", "%", "%%", "\n", " ", "=", "!=", "<", "<=", "__import__", "ä", "\x00", '"',
         "-", "#", ";", "99999999999999999999", "2020-02-30"]
    ),
    max_size=30,
).map("".join)


@settings(max_examples=500)
@given(st.one_of(st.text(max_size=60), datalogish))
@example("p(")
@example('"unterminated')
@example("@")
def test_random_text_gives_only_the_projects_errors(text):
    try:
        module = parse_program(text)
    except PolicySyntaxError as err:
        assert err.diagnostics and all(d.span is not None for d in err.diagnostics)
        return
    analyse([module])  # the checker never crashes on a parsed module either
    with contextlib.suppress(PolicySyntaxError):
        parse_query(text)


def test_clause_ids_and_citations():
    text = '@id(x1)\n@source("Der Regierungsrat verabschiedet die Strategie")\np(a).'
    (clause,) = parse_program(text).items
    assert isinstance(clause, Clause) and clause.id == "x1"
    assert clause.citation == "Der Regierungsrat verabschiedet die Strategie"
