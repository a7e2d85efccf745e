"""The parser's fast path for simple facts builds exactly what the general path builds.

``parse_program`` has the lexer hand each simple fact (a ground fact with annotations, the bulk
of a large policy) to the parser as one ``FACT`` token, which the parser turns into a clause
straight from the lexer's match (see kdv_policy.language.lexer). These tests pin that nothing observable
changes: the AST with every span, the diagnostics and recovery of broken text, the limits on
items and tokens. Spans are also checked against line and column computed here, without
:class:`~kdv_policy.source.Source`.
"""

from __future__ import annotations

import dataclasses
import datetime
import random
import time
from pathlib import Path

import pytest
from benchmarks import generate
from hypothesis import HealthCheck, given, settings

from kdv_policy import PolicyLoadError, PolicySyntaxError, parse_program
from kdv_policy.language import lexer
from kdv_policy.language.parser import TOKENS_PER_ITEM, _Parser
from kdv_policy.language.printer import format_module
from kdv_policy.language.source import Source, Span
from kdv_policy.language.syntax import Annotation, Atom, Clause, Constant, Declaration, Interpretation
from strategies import modules

RULES = Path(__file__).parent.parent / "rules"


@pytest.fixture(scope="module")
def policy_texts(tmp_path_factory) -> dict[str, str]:
    """The rule files of a generated policy (mostly simple facts) and of the bundled policy."""
    out = generate.generate("small", seed=1, out=tmp_path_factory.mktemp("equivalence") / "policy")
    paths = sorted(out.glob("*.dl")) + sorted(RULES.glob("*.dl"))
    return {f"{p.parent.name}/{p.name}": p.read_text(encoding="utf-8") for p in paths}


# -- what a parse shows -----------------------------------------------------------------------
def dump(node) -> object:
    """A node with every field, spans included (AST equality leaves spans out)."""
    if isinstance(node, Span):
        return (node.path, node.line, node.col, node.end_line, node.end_col)
    if dataclasses.is_dataclass(node):
        return (type(node).__name__, *(dump(getattr(node, f.name)) for f in dataclasses.fields(node)
                                       if f.name != "source"))
    if isinstance(node, tuple):
        return tuple(dump(n) for n in node)
    return node


def outcome(parse) -> object:
    """What a parse shows a caller: the module with its spans, or the error and its diagnostics."""
    try:
        return dump(parse())
    except PolicySyntaxError as err:
        return ("syntax", [dump(d) for d in err.diagnostics], err.render())
    except PolicyLoadError as err:
        return ("load", str(err))


def fast(text: str, max_items: int | None = None) -> object:
    """The parse with simple facts grouped, as ``parse_program`` reads a large file."""
    max_tokens = None if max_items is None else max_items * TOKENS_PER_ITEM
    return outcome(lambda: _Parser(Source("f.dl", text), max_tokens, group_facts=True).module(max_items))


def general(text: str, max_items: int | None = None) -> object:
    """The same parse with every fact read token by token."""
    max_tokens = None if max_items is None else max_items * TOKENS_PER_ITEM
    return outcome(lambda: _Parser(Source("f.dl", text), max_tokens, group_facts=False).module(max_items))


def test_parse_program_groups_facts_in_large_files_only():
    fact = '@id(f) @source("Ein Satz.") member(steuerungsausschuss, staatsschreiber).\n'
    small, large = fact * 10, fact * (lexer.GROUP_FACTS_FROM // len(fact) + 1)
    assert len(small) < lexer.GROUP_FACTS_FROM <= len(large)
    for text in (small, large):
        assert outcome(lambda text=text: parse_program(text, "f.dl")) == fast(text) == general(text)


# -- the fast path is taken, and only where an item starts ------------------------------------
def test_simple_facts_become_one_token_each(policy_texts):
    text = policy_texts["policy/bodies.dl"]
    tokens = lexer.tokenize(Source("bodies.dl", text), group_facts=True)
    facts = [t for t in tokens if t.kind == lexer.FACT]
    clauses = parse_program(text).clauses
    assert len(facts) >= 0.9 * len(clauses)
    assert not any(t.kind == lexer.FACT for t in lexer.tokenize(Source("bodies.dl", text)))


def test_fact_tokens_only_start_items(policy_texts):
    for text in [*policy_texts.values(), *mutants(policy_texts, 150, seed=3)]:
        tokens = lexer.tokenize(Source("f.dl", text), group_facts=True)
        for i, tok in enumerate(tokens):
            if tok.kind == lexer.FACT and i > 0:
                before = tokens[i - 1]
                assert before.kind == lexer.FACT or (before.kind == lexer.PUNCT and before.text == "."), text


# -- same AST, same spans ---------------------------------------------------------------------
def test_policy_files_parse_the_same_on_both_paths(policy_texts):
    for name, text in policy_texts.items():
        assert fast(text) == general(text), name


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(modules)
def test_printed_modules_parse_the_same_on_both_paths(module):
    text = format_module(module)
    assert fast(text) == general(text)


@pytest.mark.parametrize("text", [
    '@id(a) @source("x") p(b, "c d").',
    '@id(a)\n\n  @source( "x" )\np ( b ,\n "c" ) .\n',
    '@ id(a) p(b).',
    'p(b).q(c). r(d) .',
    'p("").',
    '@id(a) p(b).decl q(x)',
    '@id(a) p(b).declx(c).',
    'p(a, b, c, d, e, f, g, h).\np(a, b, c, d, e, f, g, h, i).\n',
    '@a(x) @b(y) @c(z) @d(w) p(q).\n@a(x) @b(y) @c(z) @d(w) @e(v) p(q).\n',
    '@id(a) % a comment\np(b).\n% between\n@id(c) p(d).',
    '%% doc\n@id(a) p(b).',
    '@id(a)\n%% doc\np(b).',
    '@id p(b).\n@id() p(c).\n@id(a, b) p(d).',
    'p(X).\np(_).\np(1).\np(2020-01-01).\np("a\\"b").\np(ä).\np(Ä).',
    'p(a)\nq(b).\n@id(x) r(c).',
    'p(a) q(b). r(c).',
    'p(a, .\n@id(x) r(c).\n',
    '. @id(x) p(a).',
    '\ufeffp(a).',
    'p(a).\n@id(x)',
    'p(a).\n"unterminated\n@id(x) q(b).',
    '@id(n) p(0, -1, 007, -0, 123456789012345678, -999999999999999999).',
    'p(1234567890123456789).\np(-1234567890123456789).\n@id(x) q(1).',
    'p(2020-01-01, 1).\np(2020-13-01).\np(1-2).\np(12a).\np(1_000).\np(1.5).\np(- 1).',
    '@phase(2) p(a, 1).\n@id(x) p(b,2).',
])
def test_tricky_texts_parse_the_same_on_both_paths(text):
    assert fast(text) == general(text)


def test_broken_texts_recover_and_report_the_same(policy_texts):
    for text in mutants(policy_texts, 400, seed=1):
        assert fast(text) == general(text), text


def test_limits_are_the_same_on_both_paths(policy_texts):
    text = policy_texts["policy/bodies.dl"][:3000]
    items = len(parse_program(text).items)
    tokens = len(lexer.tokenize(Source("f.dl", text))) - 1
    for max_items in {0, 1, 2, items - 1, items, items + 1, tokens // TOKENS_PER_ITEM,
                      tokens // TOKENS_PER_ITEM + 1}:
        assert fast(text, max_items) == general(text, max_items), max_items
    for max_tokens in range(tokens + 2):
        assert token_limit(text, max_tokens, True) == token_limit(text, max_tokens, False), max_tokens
    for text in mutants(policy_texts, 60, seed=2):
        assert fast(text, 3) == general(text, 3), text


def token_limit(text: str, max_tokens: int, group_facts: bool) -> str | None:
    try:
        lexer.tokenize(Source("f.dl", text), max_tokens=max_tokens, group_facts=group_facts)
    except PolicyLoadError as err:
        return str(err)
    return None


def mutants(policy_texts: dict[str, str], count: int, seed: int) -> list[str]:
    """Pieces of the policies, from the start of a line, with a few characters or tokens
    inserted, deleted or replaced."""
    rng = random.Random(seed)
    texts = list(policy_texts.values())
    pieces = ["@", "(", ")", ",", ".", ".decl ", ":-", "%", "%%", '"', "\\", "\n", " ", "X", "not ", "!=",
              "-", "1", "2020-02-30", "'", ";", "ä", "\t", "@id(x)", '@source("s")', "p(a).", "decl", "_"]
    out = []
    for _ in range(count):
        source = rng.choice(texts)
        start = source.find("\n", rng.randrange(len(source))) + 1
        chars = list(source[start:start + rng.choice([80, 300, 900])])
        for _ in range(rng.choice([0, 1, 1, 2, 3])):
            at = rng.randrange(len(chars) + 1)
            op = rng.random()
            if op < 0.4:
                del chars[at:at + rng.choice([1, 2, 6])]
            elif op < 0.8:
                chars[at:at] = rng.choice(pieces)
            else:
                chars[at:at + 1] = rng.choice(pieces)
        out.append("".join(chars))
    return out


# -- spans point at their text ----------------------------------------------------------------
def offset_of(text: str, line: int, col: int) -> int:
    """The offset of a 1-based line and column, counted here from the text's lines."""
    lines = text.split("\n")
    return sum(len(lines[i]) + 1 for i in range(line - 1)) + col - 1


def spanned(text: str, span: Span) -> str:
    return text[offset_of(text, span.line, span.col):offset_of(text, span.end_line, span.end_col)]


def spelling(constant: Constant) -> set[str]:
    value = constant.value
    if isinstance(value, str):
        escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t")
        return {value, f'"{escaped}"'}
    return {str(value)}


def check_atom(text: str, atom: Atom) -> None:
    written = spanned(text, atom.span)
    assert written.startswith(atom.predicate) and written.endswith(")" if atom.args else atom.predicate)
    for arg in atom.args:
        if isinstance(arg, Constant):
            assert spanned(text, arg.span) in spelling(arg)
        else:
            assert spanned(text, arg.span) == arg.name


def test_spans_point_at_the_text_they_describe(policy_texts):
    for name, text in policy_texts.items():
        for item in parse_program(text, name).items:
            for annotation in item.annotations:
                assert isinstance(annotation, Annotation)
                written = spanned(text, annotation.span)
                assert written.startswith("@") and written.endswith(")"), written
                assert written[1:].lstrip().startswith(annotation.name)
                for arg in annotation.args:
                    assert spanned(text, arg.span) in spelling(arg)
            written = spanned(text, item.span)
            if isinstance(item, Declaration):
                assert written.startswith(".decl") and written.endswith(")")
                continue
            if isinstance(item, Interpretation):
                assert written == f".interpretation {item.name}."
                continue
            assert isinstance(item, Clause) and written.endswith(".")
            check_atom(text, item.head)
            assert item.span.line == item.head.span.line and item.span.col == item.head.span.col
            for literal in item.body:
                if isinstance(literal, Atom):
                    check_atom(text, literal)


def test_fact_and_annotation_spans_are_pinned():
    text = 'x(a).\n  @id(c1)  @source( "Er, sie." )\n\tchair( g1 ,"Vorsitz ä" ).% done\n'
    _first, fact = parse_program(text, "a.dl").items
    assert dump(fact.span) == ("a.dl", 3, 2, 3, 27)
    assert dump(fact.head.span) == ("a.dl", 3, 2, 3, 26)
    assert [dump(a.span)[1:] for a in fact.annotations] == [(2, 3, 2, 10), (2, 12, 2, 33)]
    assert [dump(a.args[0].span)[1:] for a in fact.annotations] == [(2, 7, 2, 9), (2, 21, 2, 31)]
    assert [(c.value, dump(c.span)[1:]) for c in fact.head.args] == [
        ("g1", (3, 9, 3, 11)), ("Vorsitz ä", (3, 13, 3, 24))]
    assert fact.id == "c1" and fact.citation == "Er, sie."


# -- the lexer -----------------------------------------------------------------------------------
def test_tokens_of_every_kind():
    text = '%% doc\n.decl p(a, B)\n@id(x) @source("s \\"q\\" t")\np(a, "b").declx % c\n' \
           "q(-7, 2020-01-02) :- r(_X), _X != 3, X <= Y.\n"
    tokens = lexer.tokenize(Source("t.dl", text), keep_comments=True)
    assert [(t.kind, t.text) for t in tokens if t.kind != lexer.PUNCT] == [
        (lexer.DOC, "%% doc"), (lexer.DECL, ".decl"), (lexer.NAME, "p"), (lexer.NAME, "a"),
        (lexer.VARIABLE, "B"), (lexer.NAME, "id"), (lexer.NAME, "x"), (lexer.NAME, "source"),
        (lexer.STRING, '"s \\"q\\" t"'), (lexer.NAME, "p"), (lexer.NAME, "a"), (lexer.STRING, '"b"'),
        (lexer.NAME, "declx"), (lexer.COMMENT, "% c"), (lexer.NAME, "q"), (lexer.INTEGER, "-7"),
        (lexer.DATE, "2020-01-02"), (lexer.NAME, "r"), (lexer.VARIABLE, "_X"), (lexer.VARIABLE, "_X"),
        (lexer.INTEGER, "3"), (lexer.VARIABLE, "X"), (lexer.VARIABLE, "Y"), (lexer.EOF, ""),
    ]
    assert "".join(t.text for t in tokens if t.kind == lexer.PUNCT) == "(,)@()@()(,).(,):-(),!=,<=."
    assert all(text[t.start:t.end] == t.text for t in tokens)
    values = {t.text: t.value for t in tokens}
    assert values['"s \\"q\\" t"'] == 's "q" t' and values["-7"] == -7
    assert values["2020-01-02"] == datetime.date(2020, 1, 2) and values["%% doc"] == "doc"
    assert tokens[-1].start == len(text)
    assert [t.kind for t in lexer.tokenize(Source("t.dl", text))].count(lexer.COMMENT) == 0


@pytest.mark.parametrize("text", [
    " " * 40 + "\x01",
    "% a% b" * 40 + "\n\x01",
    "@id(x)" + " " * 40 + "p(a" + " " * 40 + ", b" + " " * 40 + "\x01",
    "p(a)." + "\n" * 40 + "@id(x)" + "\n" * 40 + "q(b" + "\n" * 40,
])
def test_no_catastrophic_backtracking(text):
    started = time.perf_counter()
    with pytest.raises(PolicySyntaxError):
        parse_program(text)
    assert time.perf_counter() - started < 1.0
