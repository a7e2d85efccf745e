"""Tokens → AST: a recursive-descent parser for rules, declarations and queries.

The parser never executes anything: text becomes :mod:`kdv_policy.language.syntax` nodes or
a :class:`~kdv_policy.errors.PolicySyntaxError` pointing at the offending token.
"""

from __future__ import annotations

import re
from typing import cast

from kdv_policy.errors import (
    Diagnostic,
    DiagnosticCollector,
    PolicyLoadError,
    PolicySyntaxError,
    Severity,
    expect,
    shorten,
)
from kdv_policy.gcpause import paused
from kdv_policy.language import lexer
from kdv_policy.language.lexer import Token
from kdv_policy.language.source import Source, Span
from kdv_policy.language.syntax import (
    COMPARISON_OPS,
    Annotation,
    Atom,
    Clause,
    Comparison,
    Constant,
    Declaration,
    Interpretation,
    Item,
    Literal,
    Module,
    Negation,
    Query,
    Term,
    Value,
    Variable,
)


def parse_program(text: str, path: str = "<text>", max_items: int | None = None,
                  max_diagnostics: int | None = None) -> Module:
    """Parse the text of one rule file into a :class:`~kdv_policy.syntax.Module`.

    ``max_items`` bounds the declarations, facts and rules read: past it, parsing stops with a
    :class:`~kdv_policy.errors.PolicyLoadError` before the rest of the file costs memory.
    Every syntax error is reported, up to ``max_diagnostics`` (default:
    ``Limits.max_diagnostics_per_file``); the rest are counted (``and N more syntax errors``).
    """
    expect(text, str, "the rule text")
    expect(path, str, "the path")
    source = Source(path, text)
    max_tokens = None if max_items is None else max_items * TOKENS_PER_ITEM
    with paused():  # a large file makes a node and a span for every part; see kdv_policy.gcpause
        group = len(text) >= lexer.GROUP_FACTS_FROM
        return _Parser(source, max_tokens, group_facts=group).module(max_items, max_diagnostics)


def parse_query(text: str, path: str = "<query>") -> Query:
    """Parse an ad-hoc query such as ``member(steuerungsausschuss, X), not chair(X, _)``."""
    expect(text, str, "the query")
    expect(path, str, "the path")
    source = Source(path, text)
    return _Parser(source).query()


TOKENS_PER_ITEM = 24
"""With ``max_items``, the tokens read are bounded too, at this many per item (a long rule of the
bundled policy has about 40, a fact with its annotations about 15), so a huge file is refused
before its tokens fill the memory."""


class _Parser:
    """Recursive descent over the token list; ``pos`` is the index of the current token.

    With ``group_facts``, the lexer hands over each simple fact at the start of an item as one
    ``FACT`` token, which :meth:`fact` turns into the same clause, with the same spans, that
    the general path would build from its tokens. The lexer only groups a fact at the start of
    the text or after a `.`, and a `.` always ends an item (or :meth:`recover` stops after it),
    so :meth:`item` is the one place that meets a ``FACT`` token.
    """

    def __init__(self, source: Source, max_tokens: int | None = None, group_facts: bool = False) -> None:
        self.source = source
        self.tokens = lexer.tokenize(source, max_tokens=max_tokens, group_facts=group_facts)
        self.pos = 0

    # -- token helpers -------------------------------------------------
    @property
    def tok(self) -> Token:
        tok = self.tokens[self.pos]
        if tok.kind == lexer.ERROR:
            # reported where the parser reaches it; an ERROR token's value is its LexError
            raise lexer.syntax_error(self.source, cast(lexer.LexError, tok.value))
        return tok

    def advance(self) -> Token:
        tok = self.tokens[self.pos]
        if tok.kind != lexer.EOF:
            self.pos += 1
        return tok

    def at(self, kind: str, text: str | None = None) -> bool:
        tok = self.tok
        return tok.kind == kind and (text is None or tok.text == text)

    def at_punct(self, text: str) -> bool:
        return self.at(lexer.PUNCT, text)

    def error(self, message: str, help: str | None = None, tok: Token | None = None) -> PolicySyntaxError:
        tok = tok or self.tok
        end = tok.end if tok.end > tok.start else tok.start + 1
        span = self.source.span(tok.start, end)
        if tok.kind == lexer.EOF:
            # point just after the last real character, where the missing text belongs
            last = self.tokens[self.pos - 1] if self.pos > 0 else tok
            span = self.source.span(last.end, last.end + 1)
        return PolicySyntaxError(Diagnostic("syntax", Severity.ERROR, message, span, help, self.source))

    def expect_punct(self, text: str, context: str, help: str | None = None) -> Token:
        if not self.at_punct(text):
            raise self.error(f"expected `{text}` {context}, found {self.tok.describe()}", help)
        return self.advance()

    def span_from(self, start_tok: Token) -> Span:
        end_tok = self.tokens[self.pos - 1] if self.pos > 0 else start_tok
        return self.source.span(start_tok.start, max(end_tok.end, start_tok.end))

    # -- program -------------------------------------------------------
    def module(self, max_items: int | None = None, max_diagnostics: int | None = None) -> Module:
        """Parse every item; after a syntax error, resume at the next clause to report all of them
        (up to ``max_diagnostics``; the rest are counted, not kept)."""
        items: list[Item] = []
        errors = DiagnosticCollector(max_diagnostics)
        last_line = 0  # the line of the last error
        while self.tokens[self.pos].kind != lexer.EOF:
            if max_items is not None and len(items) >= max_items:
                raise PolicyLoadError(f"`{shorten(self.source.path)}` holds more than {max_items:,} "
                                      "declarations, facts and rules, more than a policy may; bulk data "
                                      "belongs in a data file")
            start = self.pos
            try:
                item = self.item()
            except PolicySyntaxError as err:
                # one error per line: what follows a first error on its line is mostly its echo
                span = err.diagnostic.span
                if span is None or span.line != last_line:
                    errors.extend(err.diagnostics)
                    last_line = span.line if span is not None else last_line
                if self.pos == start and self.tokens[start].kind == lexer.ERROR:
                    self.pos += 1  # text that is no token where an item starts: the item may follow
                else:
                    self.recover()
                continue
            if item is not None:
                items.append(item)
        if errors.errors:
            raise PolicySyntaxError(errors.diagnostics())
        return Module(self.source.path, tuple(items))

    def recover(self) -> None:
        """Skip past the end of the broken clause: the next `.`, or up to a `.decl` or `@`."""
        while self.tokens[self.pos].kind != lexer.EOF:
            tok = self.tokens[self.pos]
            self.pos += 1
            if tok.kind == lexer.PUNCT and tok.text == ".":
                return
            if self.tokens[self.pos].kind in (lexer.DECL, lexer.INPUT, lexer.INTERPRETATION, lexer.DOC) \
                    or self.tokens[self.pos].text == "@":
                return

    def item(self) -> Item | None:
        if self.tokens[self.pos].kind == lexer.FACT:
            return self.fact(cast(re.Match, self.advance().value))  # a FACT token's value is its match
        doc_lines: list[str] = []  # a DOC token's value is its text
        while self.at(lexer.DOC):
            doc_lines.append(cast(str, self.advance().value))
        annotations = []
        while self.at_punct("@") or self.at(lexer.DOC):
            if self.at(lexer.DOC):
                doc_lines.append(cast(str, self.advance().value))
            else:
                annotations.append(self.annotation())
        doc = "\n".join(doc_lines) if doc_lines else None
        if self.at(lexer.EOF):
            if annotations:
                raise self.error("annotation is not followed by a rule or declaration",
                                 "put annotations directly above the fact, rule, `.decl` or "
                                 "`.interpretation` they describe")
            return None
        if self.at(lexer.DECL) or self.at(lexer.INPUT):
            return self.declaration(doc, tuple(annotations))
        if self.at(lexer.INTERPRETATION):
            return self.interpretation(doc, tuple(annotations))
        return self.clause(doc, tuple(annotations))

    def annotation(self) -> Annotation:
        start = self.advance()  # '@'
        if not self.at(lexer.NAME):
            raise self.error(f"expected an annotation name after `@`, found {self.tok.describe()}",
                             'e.g. @id(rr_strategie) or @source("Der Regierungsrat verabschiedet ...")')
        name = self.advance().text
        args: list[Constant] = []
        if self.at_punct("("):
            self.advance()
            while True:
                args.append(self.constant("as an annotation argument"))
                if self.at_punct(","):
                    self.advance()
                    continue
                self.expect_punct(")", "to close the annotation's arguments")
                break
        return Annotation(name, tuple(args), self.span_from(start))

    def fact(self, m: re.Match) -> Clause:
        """The clause of a simple fact the lexer matched in one step (see :data:`lexer.FACT`).

        Its constants are names, strings without escapes (the value is the text without the
        quotes) or integers in range.
        """
        span = self.source.span
        annotations = []
        _, annotation_groups, arg_groups = lexer.simple_facts()
        for whole, name, constant in annotation_groups:
            start, end = m.span(whole)
            if start < 0:
                break
            value = Constant(_fact_value(m.group(constant)), span(*m.span(constant)))
            annotations.append(Annotation(m.group(name), (value,), span(start, end)))
        args = []
        for arg in arg_groups:
            start, end = m.span(arg)
            if start < 0:
                break
            args.append(Constant(_fact_value(m.group(arg)), span(start, end)))
        start, end = m.span("atom")
        head = Atom(m.group("pred"), tuple(args), span(start, end))
        return Clause(head, (), tuple(annotations), None, span(start, m.end()))

    def declaration(self, doc: str | None, annotations: tuple[Annotation, ...]) -> Declaration:
        """``.decl name(param, ...)``, or ``.input name(param, ...)`` for an input relation."""
        start = self.advance()  # .decl or .input
        keyword = start.kind
        if not self.at(lexer.NAME):
            raise self.error(f"expected a predicate name after `{keyword}`, found {self.tok.describe()}",
                             "predicate names start with a lowercase letter, e.g. "
                             f"`{keyword} member(body, role)`")
        name = self.advance().text
        self.expect_punct("(", "after the predicate name in a declaration",
                          "a declaration names each argument, e.g. `.decl member(body, role)`")
        params: list[str] = []
        if not self.at_punct(")"):
            while True:
                if not (self.at(lexer.NAME) or self.at(lexer.VARIABLE)):
                    raise self.error(f"expected an argument name, found {self.tok.describe()}",
                                     "name each argument, e.g. `.decl member(body, role)`")
                params.append(self.advance().text)
                if self.at_punct(","):
                    self.advance()
                    continue
                break
        self.expect_punct(")", "to close the declaration's arguments")
        if self.at_punct("."):
            self.advance()
        return Declaration(name, tuple(params), doc, annotations, self.span_from(start),
                           input=keyword == lexer.INPUT)

    def interpretation(self, doc: str | None, annotations: tuple[Annotation, ...]) -> Interpretation:
        """``.interpretation name.``: the declaration of a named interpretation."""
        start = self.advance()  # .interpretation
        if not self.at(lexer.NAME):
            raise self.error("expected an interpretation name after `.interpretation`, "
                             f"found {self.tok.describe()}",
                             "interpretation names start with a lowercase letter, "
                             "e.g. `.interpretation vorsitz_handelt_allein.`")
        name = self.advance().text
        self.expect_punct(".", "at the end of the interpretation's declaration",
                          "write `.interpretation name.`")
        return Interpretation(name, doc, annotations, self.span_from(start))

    def clause(self, doc: str | None, annotations: tuple[Annotation, ...]) -> Clause:
        start = self.tok
        if not self.at(lexer.NAME):
            raise self.error(self._start_message(), self._start_help())
        head = self.atom()
        body: tuple[Literal, ...] = ()
        if self.at_punct(":-"):
            self.advance()
            body = self.literals()
        if not self.at_punct("."):
            found = self.tok.describe()
            help = "every fact and rule ends with `.`"
            if self.at(lexer.NAME) or self.at(lexer.VARIABLE):
                help = "separate body literals with `,` and end the clause with `.`"
            prev = self.tokens[self.pos - 1]
            if self.source.position(prev.end)[0] < self.source.position(self.tok.start)[0]:
                # the clause ended on an earlier line: point where the `.` is missing
                help = "every fact and rule ends with `.`"
                span = self.source.span(prev.end, prev.end + 1)
                raise PolicySyntaxError(Diagnostic("syntax", Severity.ERROR,
                                                   f"expected `.` at the end of the clause, found {found}",
                                                   span, help, self.source))
            raise self.error(f"expected `.` at the end of the clause, found {found}", help)
        self.advance()
        return Clause(head, body, annotations, doc, self.span_from(start))

    def _start_message(self) -> str:
        tok = self.tok
        if tok.kind == lexer.VARIABLE:
            return f"a clause cannot start with the variable `{shorten(tok.text)}`"
        return f"expected a fact, rule or declaration, found {tok.describe()}"

    def _start_help(self) -> str | None:
        tok = self.tok
        if tok.kind == lexer.VARIABLE:
            return "predicate names start with a lowercase letter"
        if tok.kind == lexer.PUNCT and tok.text == ":-":
            return "a rule needs a head: `head(X) :- body(X).`"
        return None

    # -- literals and terms --------------------------------------------
    def literals(self) -> tuple[Literal, ...]:
        lits = [self.literal()]
        while self.at_punct(","):
            self.advance()
            lits.append(self.literal())
        return tuple(lits)

    def literal(self) -> Literal:
        start = self.tok
        if self.at(lexer.NAME, "not") and self.tokens[self.pos + 1].kind == lexer.NAME:
            self.advance()
            atom = self.atom()
            return Negation(atom, self.span_from(start))
        if self.at(lexer.NAME) and self.tokens[self.pos + 1].kind == lexer.PUNCT \
                and self.tokens[self.pos + 1].text == "(":
            return self.atom()
        if self.at(lexer.NAME) and not self._next_is_comparison():
            return self.atom()
        if start.kind in (lexer.PUNCT, lexer.EOF, lexer.DECL, lexer.INPUT, lexer.INTERPRETATION, lexer.DOC):
            raise self.error(f"expected a body literal, found {start.describe()}",
                             "a body literal is an atom `p(X)`, `not p(X)` or a comparison such as `X != Y`")
        left = self.term("in a body literal")
        if not (self.tok.kind == lexer.PUNCT and self.tok.text in COMPARISON_OPS):
            raise self.error(f"expected a comparison operator after {start.describe()}, "
                             f"found {self.tok.describe()}",
                             "a body literal is an atom `p(X)`, `not p(X)` or a comparison "
                             "such as `X != Y`")
        op = self.advance().text
        right = self.term(f"after `{op}`")
        return Comparison(op, left, right, self.span_from(start))

    def _next_is_comparison(self) -> bool:
        nxt = self.tokens[self.pos + 1]
        return nxt.kind == lexer.PUNCT and nxt.text in COMPARISON_OPS

    def atom(self) -> Atom:
        start = self.tok
        if not self.at(lexer.NAME):
            raise self.error(f"expected a predicate name, found {self.tok.describe()}",
                             "predicate names start with a lowercase letter")
        name = self.advance().text
        args: list[Term] = []
        if self.at_punct("("):
            self.advance()
            if not self.at_punct(")"):
                while True:
                    args.append(self.term(f"as an argument of `{shorten(name)}`"))
                    if self.at_punct(","):
                        self.advance()
                        continue
                    break
            if not self.at_punct(")"):
                help = None
                if self.at_punct("("):
                    help = "arguments are constants or variables; terms do not nest"
                raise self.error(f"expected `,` or `)` in the arguments of `{shorten(name)}`, "
                                 f"found {self.tok.describe()}", help)
            self.advance()
        return Atom(name, tuple(args), self.span_from(start))

    def term(self, context: str) -> Term:
        tok = self.tok
        if tok.kind == lexer.VARIABLE:
            self.advance()
            return Variable(tok.text, self.span_from(tok))
        return self.constant(context)

    def constant(self, context: str) -> Constant:
        tok = self.tok
        if tok.kind in (lexer.NAME, lexer.STRING, lexer.INTEGER, lexer.DATE):
            self.advance()
            return Constant(cast(Value, tok.value), self.span_from(tok))  # the value of its kind
        raise self.error(f"expected a constant or variable {context}, found {tok.describe()}",
                         "constants are lowercase atoms, \"strings\", integers or dates (2020-12-31)")

    # -- queries -------------------------------------------------------
    def query(self) -> Query:
        start = self.tok
        if self.at(lexer.EOF):
            raise self.error("empty query", "write a query such as `member(steuerungsausschuss, X)`")
        body = self.literals()
        if self.at_punct("."):
            self.advance()
        if not self.at(lexer.EOF):
            raise self.error(f"expected `,` or the end of the query, found {self.tok.describe()}")
        return Query(body, self.span_from(start))


def _fact_value(text: str) -> str | int:
    """The value of a constant of a simple fact: a name, a string without escapes, an integer."""
    return int(text) if text[0] in "-0123456789" else text.strip('"')
