"""Text → tokens. Unknown characters are syntax errors with a span and a hint."""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass

from .errors import Diagnostic, PolicyLoadError, PolicySyntaxError, Severity
from .source import Source

# token kinds
NAME = "name"  # lowercase identifier: predicate or symbol constant
VARIABLE = "variable"  # Uppercase or _ identifier
STRING = "string"
INTEGER = "integer"
DATE = "date"
DECL = ".decl"
DOC = "doc comment"
COMMENT = "comment"  # only with tokenize(..., keep_comments=True): the formatter keeps them
PUNCT = "punctuation"
EOF = "end of input"
ERROR = "error"  # text that is not a token; value is the PolicySyntaxError

_PATTERNS = [
    ("ws", r"[ \t\r\n\f\v\ufeff]+"),
    ("doc", r"%%[^\n]*"),
    ("comment", r"%[^\n]*"),
    ("decl", r"\.decl\b"),
    ("date", r"-?\d{4}-\d\d-\d\d(?![\w-])"),
    ("integer", r"-?\d+(?![\w])"),
    ("ident", r"[^\W\d]\w*"),
    ("string", r'"(?:[^"\\\n]|\\.)*"'),
    ("punct", r":-|!=|<=|>=|[(),.=<>@]"),
]
_TOKEN_RE = re.compile("|".join(f"(?P<{name}>{pattern})" for name, pattern in _PATTERNS))
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


@dataclass(frozen=True, slots=True)
class Token:
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
        return f"`{self.text}`"


def _error(source: Source, start: int, end: int, message: str, help: str | None = None) -> PolicySyntaxError:
    return PolicySyntaxError(
        Diagnostic("syntax", Severity.ERROR, message, source.span(start, end), help, source)
    )


def _unescape(source: Source, start: int, body: str) -> str:
    out = []
    i = 0
    while i < len(body):
        ch = body[i]
        if ch == "\\":
            nxt = body[i + 1]
            if nxt not in _ESCAPES:
                pos = start + 1 + i
                raise _error(source, pos, pos + 2, f"unknown escape `\\{nxt}` in string",
                             'the escapes are \\" \\\\ \\n \\t')
            out.append(_ESCAPES[nxt])
            i += 2
        else:
            out.append(ch)
            i += 1
    return "".join(out)


def tokenize(source: Source, keep_comments: bool = False, max_tokens: int | None = None) -> list[Token]:
    """Split ``source`` into tokens; the list always ends with an EOF token.

    Text that is not a token becomes an ``ERROR`` token whose value is the
    :class:`PolicySyntaxError` to report, so the parser can report it in order
    with its own errors and carry on with the next clause. ``keep_comments`` adds
    ``COMMENT`` tokens for `%` comments (the parser does not want them). Past ``max_tokens``
    tokens, scanning stops with a :class:`~kdv_policy.errors.PolicyLoadError`.
    """
    tokens: list[Token] = []
    pos = 0
    while pos < len(source.text):
        try:
            pos = _scan_from(source, pos, tokens, keep_comments, max_tokens)
        except _Skip as skip:
            start = skip.start
            tokens.append(Token(ERROR, source.text[start:skip.resume], start, skip.resume, skip.error))
            pos = skip.resume
    tokens.append(Token(EOF, "", len(source.text), len(source.text)))
    return tokens


class _Skip(Exception):
    def __init__(self, error: PolicySyntaxError, resume: int, start: int) -> None:
        self.error = error
        self.resume = resume
        self.start = start


def _scan_from(source: Source, pos: int, tokens: list[Token], keep_comments: bool = False,
               max_tokens: int | None = None) -> int:
    """Append tokens from ``pos`` to the end; raise _Skip at a lexical error."""
    text = source.text
    n = len(text)
    while pos < n:
        if max_tokens is not None and len(tokens) >= max_tokens:
            raise PolicyLoadError(f"`{source.path}` is longer than {max_tokens:,} tokens, more than a policy "
                                  "may hold; bulk data belongs in a data file")
        m = _TOKEN_RE.match(text, pos)
        if m is None:
            ch = text[pos]
            if ch == '"':
                eol = text.find("\n", pos)
                raise _Skip(_error(source, pos, pos + 1, "unterminated string",
                                   "close the string with `\"` on the same line"), n if eol < 0 else eol, pos)
            if ch == "\x00":
                raise _Skip(_error(source, pos, pos + 1, "NUL byte in policy text"), pos + 1, pos)
            shown = ch if ch.isprintable() else repr(ch)
            raise _Skip(_error(source, pos, pos + 1, f"unexpected character `{shown}`", _HINTS.get(ch)),
                        pos + 1, pos)
        kind = m.lastgroup
        start, end = m.span()
        lexeme = m.group()
        pos = end
        if kind == "comment" and keep_comments:
            tokens.append(Token(COMMENT, lexeme, start, end, lexeme))
            continue
        if kind in ("ws", "comment"):
            continue
        if kind == "doc":
            tokens.append(Token(DOC, lexeme, start, end, lexeme[2:].strip()))
        elif kind == "decl":
            tokens.append(Token(DECL, lexeme, start, end))
        elif kind == "date":
            try:
                value = datetime.date.fromisoformat(lexeme)
            except ValueError:
                hint = "dates are ISO dates YYYY-MM-DD that exist in the calendar"
                error = _error(source, start, end, f"invalid date `{lexeme}`", hint)
                raise _Skip(error, end, start) from None
            tokens.append(Token(DATE, lexeme, start, end, value))
        elif kind == "integer":
            value = int(lexeme)
            if abs(value) > MAX_INTEGER:
                raise _Skip(_error(source, start, end, f"integer `{lexeme}` is out of range",
                                   "integers have at most 18 digits"), end, start)
            tokens.append(Token(INTEGER, lexeme, start, end, value))
        elif kind == "ident":
            first = lexeme[0]
            if first == "_" or first.isupper():
                tokens.append(Token(VARIABLE, lexeme, start, end, lexeme))
            elif first.islower():
                tokens.append(Token(NAME, lexeme, start, end, lexeme))
            else:
                raise _Skip(_error(source, start, end, f"identifier `{lexeme}` starts with neither a "
                                   "lowercase nor an uppercase letter",
                                   "constants start with a lowercase letter, variables with an uppercase "
                                   "letter or `_`; other text goes in double quotes"), end, start)
        elif kind == "string":
            try:
                value = _unescape(source, start, lexeme[1:-1])
            except PolicySyntaxError as err:
                raise _Skip(err, end, start) from None
            tokens.append(Token(STRING, lexeme, start, end, value))
        else:
            tokens.append(Token(PUNCT, lexeme, start, end, lexeme))
    return pos
