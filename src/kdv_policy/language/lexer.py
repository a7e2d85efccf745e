"""Text → tokens. Unknown characters are syntax errors with a span and a hint.

One compiled regular expression finds the next token and skips the whitespace and
comments before it, so the Python loop runs once per token. For the parser, the lexer
can also group the commonest item of a large policy, a ground fact with its annotations
(``@id(x) @source("...") p(a, b).``), into one ``FACT`` token: one match instead of about
fifteen tokens (see :func:`tokenize` and :func:`_simple_fact_pattern`).

Policy text is printable text: a NUL byte, another control character (other than the
whitespace tab, line feed, carriage return, vertical tab and form feed), a lone surrogate, or
a carriage return, vertical tab or form feed inside a string, is a syntax error at its position,
wherever it stands — in a string, a comment or between tokens (see :data:`FORBIDDEN`).
"""

from __future__ import annotations

import datetime
import functools
import re
from typing import NamedTuple

from kdv_policy.errors import Diagnostic, PolicyLoadError, PolicySyntaxError, Severity, shorten
from kdv_policy.language.source import Source

# token kinds
NAME = "name"  # lowercase identifier: predicate or symbol constant
VARIABLE = "variable"  # Uppercase or _ identifier
STRING = "string"
INTEGER = "integer"
DATE = "date"
DECL = ".decl"
INPUT = ".input"  # the declaration of an input relation, which a request fills
INTERPRETATION = ".interpretation"
DOC = "doc comment"
COMMENT = "comment"  # only with tokenize(..., keep_comments=True): the formatter keeps them
PUNCT = "punctuation"
EOF = "end of input"
ERROR = "error"  # text that is not a token; value is a LexError (see syntax_error)
FACT = "fact"  # only with tokenize(..., group_facts=True): a whole simple fact; value is its re.Match

_WS = "[ \t\r\n\f\v\ufeff]"
_SKIP = rf"(?:{_WS}++|%(?!%)[^\n]*+)*+"
"""Whitespace and `%` comments (a `%%` doc comment is a token). Possessive: what is skipped is
never given back, so a failed match costs no backtracking."""

# Most frequent first; the alternatives never compete for the same text (`.decl`, `.input` and
# `.interpretation` are not `.`, a `%` comment is not a `%%` doc comment, and a date is tried
# before an integer).
_PATTERNS = [
    ("punct", r":-|!=|<=|>=|[(),=<>@]|\.(?!(?:decl|input|interpretation)\b)"),
    ("ident", r"[^\W\d]\w*"),
    ("string", r'"(?:[^"\\\n\r\v\f]|\\[^\n\r\v\f])*"'),
    ("doc", r"%%[^\n]*"),
    ("decl", r"\.(?:decl|input|interpretation)\b"),
    ("date", r"-?\d{4}-\d\d-\d\d(?![\w-])"),
    ("integer", r"-?\d+(?![\w])"),
]
_ALTERNATIVES = "|".join(f"(?P<{name}>{pattern})" for name, pattern in _PATTERNS)
_SKIP_RE = re.compile(_SKIP)
_TOKEN_RE = re.compile(f"{_SKIP}(?:{_ALTERNATIVES})")
"""The next token, after whitespace and comments."""
_TOKEN_OR_COMMENT_RE = re.compile(rf"{_WS}*+(?:{_ALTERNATIVES}|(?P<comment>%[^\n]*))")
"""The next token or `%` comment, after whitespace (for ``keep_comments``)."""

_DECLARATION_KINDS = {DECL: DECL, INPUT: INPUT, INTERPRETATION: INTERPRETATION}
"""The token kind of each declaration keyword (the keyword itself)."""

_ESCAPES = {"n": "\n", "t": "\t", "\\": "\\", '"': '"'}

_HINTS = {
    "'": "strings are written in double quotes: \"text\"",
    ";": "a body lists its literals separated by `,`; disjunction is written as two rules",
    "&": "conjunction in a body is written with `,`",
    "|": "disjunction is written as two rules with the same head",
    "[": "the rule language has no lists; use several facts",
    "{": "the rule language has no dictionaries or sets; use facts",
    "+": "the rule language has no arithmetic",
    "*": "the rule language has no arithmetic",
    "/": "the rule language has no arithmetic",
    "#": "comments start with `%`",
    "!": "negation is written `not p(X)`; inequality is `X != Y`",
    "-": "the rule language has no arithmetic; a rule is written `head :- body.`",
}

MAX_INTEGER = 10**18 - 1
"""Integers are limited to 18 digits, so every value has an exact, ordered encoding."""
MAX_DIGITS = len(str(MAX_INTEGER))
"""The digits of the largest integer: a longer literal is refused before it is converted (Python
refuses to convert more than 4,300 digits, and would take quadratic time below that)."""

FORBIDDEN = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
"""Characters that are an error anywhere in policy text: NUL and the other control characters
except whitespace (tab, line feed, vertical tab, form feed, carriage return), and lone surrogates
(text that is not Unicode; it cannot be written to a file or a terminal)."""
_STRING_BREAKS = re.compile("[\r\v\f]")
"""Whitespace that may stand between tokens but not in a string (a tab may)."""


def forbidden_character(text: str) -> int | None:
    """The offset of the first character of ``text`` that policy text cannot hold, or None."""
    m = FORBIDDEN.search(text)
    return None if m is None else m.start()


def character_problem(ch: str) -> tuple[str, str]:
    """The message and help for a character policy text cannot hold (see :data:`FORBIDDEN`)."""
    code = f"U+{ord(ch):04X}"
    if ch == "\x00":
        return "NUL byte in policy text", "policy text is printable text; remove the NUL byte"
    if "\ud800" <= ch <= "\udfff":
        return (f"lone surrogate {code} in policy text",
                "policy text is Unicode text; a surrogate code point is not a character")
    return (f"control character {code} in policy text",
            "policy text is printable text; in a string, write a line break as `\\n` and a tab as `\\t`")


class LexError(NamedTuple):
    """The value of an ``ERROR`` token: what to report, at ``text[start:end]``.

    The :class:`~kdv_policy.errors.PolicySyntaxError` is made only when the parser reaches the
    token (:func:`syntax_error`), so a file of bad characters does not hold an exception each.
    """

    start: int
    end: int
    message: str
    help: str | None = None


def syntax_error(source: Source, error: LexError) -> PolicySyntaxError:
    """The error an ``ERROR`` token reports."""
    return _error(source, error.start, error.end, error.message, error.help)


class Token(NamedTuple):
    kind: str
    text: str
    start: int
    end: int
    value: object = None

    def describe(self) -> str:
        if self.kind == EOF:
            return "end of input"
        if self.kind == DOC:
            return "doc comment"
        return f"`{shorten(self.text)}`"


# -- simple facts ------------------------------------------------------------------------------
_MAX_FACT_ANNOTATIONS = 4
_MAX_FACT_ARGS = 8


def _simple_fact_pattern() -> str:
    """``@a(c) ... p(c, ..., c).``: a ground fact whose annotations have one constant each, and
    whose constants are names with a lowercase ASCII initial, strings without escapes or integers
    of at most 18 digits. Anything else (variables, dates, longer numbers, escapes, comments
    inside the item, more annotations or arguments) is left to the parser, token by token.

    Each part has a group: annotation ``i`` is ``a{i}`` (its name ``a{i}n``, its constant
    ``a{i}c``); the atom is ``atom`` (predicate ``pred``, arguments ``x0``, ``x1``, ...). The
    groups nest, so annotation ``i + 1`` (argument ``i + 1``) is only matched after ``i``.
    """
    w = f"{_WS}*+"
    name = r"[a-z]\w*+"
    # an integer of at most 18 digits is in range; a date (`2020-01-01`) is left to the tokens
    constant = rf'{name}|"[^"\\\n]*+"|-?\d{{1,18}}+(?![\w-])'
    annotations = ""
    for i in reversed(range(_MAX_FACT_ANNOTATIONS)):
        annotation = rf"(?P<a{i}>@{w}(?P<a{i}n>{name}){w}\({w}(?P<a{i}c>{constant}){w}\))"
        annotations = f"(?:{annotation}{w}{annotations})?"
    args = ""
    for i in reversed(range(1, _MAX_FACT_ARGS)):
        args = f"(?:{w},{w}(?P<x{i}>{constant}){args})?"
    atom = rf"(?P<atom>(?P<pred>{name}){w}\({w}(?P<x0>{constant}){args}{w}\))"
    return rf"{_SKIP}(?P<fact>{annotations}{atom}{w}\.(?!(?:decl|input|interpretation)\b))"


@functools.cache
def simple_facts() -> tuple[re.Pattern[str], tuple[tuple[int, int, int], ...], tuple[int, ...]]:
    """The pattern of :func:`_simple_fact_pattern`, compiled on first use (~5 ms: the parser
    groups facts only in files large enough to pay it back, :data:`GROUP_FACTS_FROM`), with the
    group numbers of a simple fact's annotation ``i`` (whole, name, constant; a group that did
    not take part in the match spans ``(-1, -1)``) and of argument ``i`` of its atom."""
    pattern = re.compile(_simple_fact_pattern())
    index = pattern.groupindex
    annotations = tuple((index[f"a{i}"], index[f"a{i}n"], index[f"a{i}c"])
                        for i in range(_MAX_FACT_ANNOTATIONS))
    return pattern, annotations, tuple(index[f"x{i}"] for i in range(_MAX_FACT_ARGS))


GROUP_FACTS_FROM = 16_384
"""The length of text from which the parser reads each simple fact in one match: that saves
~20–30 µs a fact over its tokens and costs the pattern's compilation once, so it pays from a few
hundred facts; a smaller file is read token by token, to the same clauses."""


def _fact_size(match: re.Match) -> int:
    """The number of ordinary tokens a simple fact stands for."""
    size = 3  # name ( ... ) .
    _, annotations, args = simple_facts()
    for whole, _name, _constant in annotations:
        if match.start(whole) < 0:
            break
        size += 5  # @ name ( constant )
    for arg in args:
        if match.start(arg) < 0:
            break
        size += 2  # constant and the `,` or `)` after it
    return size


# -- scanning --------------------------------------------------------------------------------
def _error(source: Source, start: int, end: int, message: str, help: str | None = None) -> PolicySyntaxError:
    return PolicySyntaxError(
        Diagnostic("syntax", Severity.ERROR, message, source.span(start, end), help, source)
    )


class _UnknownEscape(Exception):
    """A string with an escape the language does not have; ``args[0]`` is its LexError."""


def _unescape(source: Source, start: int, body: str) -> str:
    if "\\" not in body:
        return body
    out = []
    i = 0
    while i < len(body):
        ch = body[i]
        if ch == "\\":
            nxt = body[i + 1]
            if nxt not in _ESCAPES:
                pos = start + 1 + i
                raise _UnknownEscape(LexError(pos, pos + 2, f"unknown escape `\\{nxt}` in string",
                                              'the escapes are \\" \\\\ \\n \\t'))
            out.append(_ESCAPES[nxt])
            i += 2
        else:
            out.append(ch)
            i += 1
    return "".join(out)


def tokenize(source: Source, keep_comments: bool = False, max_tokens: int | None = None,
             group_facts: bool = False) -> list[Token]:
    """Split ``source`` into tokens; the list always ends with an EOF token.

    Text that is not a token becomes an ``ERROR`` token whose value is the :class:`LexError`
    to report (:func:`syntax_error`), so the parser can report it in order with its own errors
    and carry on with the next clause. A character policy text cannot hold (:data:`FORBIDDEN`)
    is such an error wherever it stands, also inside a string or a comment. ``keep_comments`` adds
    ``COMMENT`` tokens for `%` comments (the parser does not want them). Past ``max_tokens``
    tokens, scanning stops with a :class:`~kdv_policy.errors.PolicyLoadError`.

    ``group_facts`` (for the parser; not with ``keep_comments``) turns each simple fact that starts
    the text or follows a `.`, where an item starts, into one ``FACT`` token whose value is the
    match of :func:`_simple_fact_pattern`; it counts as the tokens it stands for.
    """
    return _Scanner(source, keep_comments, max_tokens, group_facts).tokens()


class _Scanner:
    """One pass over a source's text, token by token (or fact by fact)."""

    def __init__(self, source: Source, keep_comments: bool, max_tokens: int | None,
                 group_facts: bool) -> None:
        self.source = source
        self.token_re = _TOKEN_OR_COMMENT_RE if keep_comments else _TOKEN_RE
        self.max_tokens = max_tokens
        self.group_facts = group_facts and not keep_comments
        self.count = 0  # tokens scanned; a FACT token counts as the tokens it stands for
        self.bad = self._next_bad(0)  # offset of the next forbidden character (len(text) + 1: none)

    def _next_bad(self, pos: int) -> int:
        m = FORBIDDEN.search(self.source.text, pos)
        return len(self.source.text) + 1 if m is None else m.start()

    def tokens(self) -> list[Token]:
        text = self.source.text
        n = len(text)
        tokens: list[Token] = []
        append = tokens.append
        token_re = self.token_re
        max_tokens = self.max_tokens
        item_start = self.group_facts
        pos = 0
        while pos < n:
            if max_tokens is not None and self.count >= max_tokens:
                raise PolicyLoadError(f"`{shorten(self.source.path)}` is longer than {max_tokens:,} tokens, "
                                      "more than a policy may hold; bulk data belongs in a data file")
            if item_start:
                tok = self._simple_fact(pos)
                if tok is not None:
                    append(tok)
                    pos = tok.end
                    continue
            m = token_re.match(text, pos)
            if m is None:
                tok = self._no_token(pos)
                if tok is None:  # only whitespace and comments were left
                    if self.bad >= n:
                        break
                    tok = Token(EOF, "", n, n)  # ... with a forbidden character in a comment
            else:
                tok = self._token(m)
            if tok.end > self.bad:  # a forbidden character in the token or the comments before it
                tok = self._bad_character(tok.start, tok.end)
            append(tok)
            self.count += 1
            pos = tok.end
            item_start = self.group_facts and tok.text == "." and tok.kind == PUNCT
        tokens.append(Token(EOF, "", n, n))
        return tokens

    def _bad_character(self, token_start: int, token_end: int) -> Token:
        """The ERROR token for the forbidden character at ``self.bad``, which stands before
        ``token_end``: in the token (a string or a comment) or in the whitespace and comments
        before it.

        Scanning resumes after the token, or, when the character stands before the token, at the
        end of its line or at the token, whichever comes first.
        """
        text = self.source.text
        at = self.bad
        if at < token_start:
            eol = text.find("\n", at)
            resume = token_start if eol < 0 else min(eol, token_start)
        else:
            resume = token_end
        message, help = character_problem(text[at])
        self.bad = self._next_bad(resume)
        return Token(ERROR, text[at:resume], at, resume, LexError(at, at + 1, message, help))

    def _simple_fact(self, pos: int) -> Token | None:
        """A FACT token at ``pos`` (after whitespace and comments), if a simple fact is there and
        its tokens fit under ``max_tokens``; otherwise None, and the fact is read token by token."""
        m = simple_facts()[0].match(self.source.text, pos)
        if m is None or m.end() > self.bad:  # a forbidden character is reported token by token
            return None
        if self.max_tokens is not None:
            size = _fact_size(m)
            if self.count + size > self.max_tokens:
                return None  # scanned token by token, it stops at the exact token the limit falls on
            self.count += size
        start, end = m.span("fact")
        return Token(FACT, m.group("fact"), start, end, m)

    def _token(self, m: re.Match) -> Token:
        """The token of a match of the token pattern (an ERROR token for a bad identifier,
        date, integer or escape)."""
        kind = m.lastgroup
        assert kind is not None  # every alternative of the token pattern is a named group
        start, end = m.span(kind)
        lexeme = m.group(kind)
        if kind == "punct":
            return Token(PUNCT, lexeme, start, end, lexeme)
        if kind == "ident":
            first = lexeme[0]
            if first == "_" or first.isupper():
                return Token(VARIABLE, lexeme, start, end, lexeme)
            if first.islower():
                return Token(NAME, lexeme, start, end, lexeme)
            return self._error_token(start, end, f"identifier `{shorten(lexeme)}` starts with neither a "
                                     "lowercase nor an uppercase letter",
                                     "constants start with a lowercase letter, variables with an uppercase "
                                     "letter or `_`; other text goes in double quotes")
        if kind == "string":
            try:
                value = _unescape(self.source, start, lexeme[1:-1])
            except _UnknownEscape as err:
                return Token(ERROR, lexeme, start, end, err.args[0])
            return Token(STRING, lexeme, start, end, value)
        if kind == "doc":
            return Token(DOC, lexeme, start, end, lexeme[2:].strip())
        if kind == "comment":
            return Token(COMMENT, lexeme, start, end, lexeme)
        if kind == "decl":
            return Token(_DECLARATION_KINDS[lexeme], lexeme, start, end)
        if kind == "date":
            try:
                return Token(DATE, lexeme, start, end, datetime.date.fromisoformat(lexeme))
            except ValueError:
                return self._error_token(start, end, f"invalid date `{lexeme}`",
                                         "dates are ISO dates YYYY-MM-DD that exist in the calendar")
        digits = len(lexeme) - (lexeme[0] == "-")
        if digits > MAX_DIGITS:  # refused before int(): Python will not convert over 4,300 digits
            return self._integer_out_of_range(lexeme, start, end, digits)
        number = int(lexeme)
        if abs(number) > MAX_INTEGER:
            return self._integer_out_of_range(lexeme, start, end, digits)
        return Token(INTEGER, lexeme, start, end, number)

    def _integer_out_of_range(self, lexeme: str, start: int, end: int, digits: int) -> Token:
        shown = f"`{lexeme}`" if len(lexeme) <= 24 else f"`{shorten(lexeme, 24)}` ({digits:,} digits)"
        return self._error_token(start, end, f"integer {shown} is out of range",
                                 f"integers have at most {MAX_DIGITS} digits")

    def _no_token(self, pos: int) -> Token | None:
        """The ERROR token for the text after the whitespace and comments at ``pos``, where no
        token starts; None if only whitespace and comments are left."""
        text = self.source.text
        skipped = _SKIP_RE.match(text, pos)
        assert skipped is not None  # the skip pattern also matches the empty string
        pos = skipped.end()
        if pos == len(text):
            return None
        ch = text[pos]
        if ch == '"':
            eol = text.find("\n", pos)
            eol = len(text) if eol < 0 else eol
            brk = _STRING_BREAKS.search(text, pos + 1, eol)
            if brk is not None and text.find('"', brk.end(), eol) >= 0:
                at = brk.start()
                return self._error_token(at, at + 1, f"control character U+{ord(text[at]):04X} in a string",
                                         "a string stays on one line; write a line break as `\\n`",
                                         start=pos, resume=eol)
            return self._error_token(pos, pos + 1, "unterminated string",
                                     "close the string with `\"` on the same line", resume=eol)
        if FORBIDDEN.match(ch):
            return self._error_token(pos, pos + 1, *character_problem(ch))
        shown = ch if ch.isprintable() else repr(ch)
        return self._error_token(pos, pos + 1, f"unexpected character `{shown}`", _HINTS.get(ch))

    def _error_token(self, at: int, end: int, message: str, help: str | None = None,
                     start: int | None = None, resume: int | None = None) -> Token:
        """An ERROR token for ``text[start:resume]`` (by default ``at:end``), reporting ``message``
        at ``at:end``."""
        start = at if start is None else start
        resume = end if resume is None else resume
        return Token(ERROR, self.source.text[start:resume], start, resume, LexError(at, end, message, help))
