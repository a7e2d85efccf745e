"""The queries of ``query`` and ``explain``: arguments, standard input, a file — read as they come.

Standard input and ``--file`` are read one line at a time, each line bounded by
:attr:`Limits.max_line_length <kdv_policy.limits.Limits.max_line_length>` (a line is read with
``readline(limit + 2)``, so an endless line costs no more memory than the limit), and each
query is answered before the next line is read: a long batch streams its answers. Blank lines
and ``%`` comment lines are skipped.
"""

from __future__ import annotations

import functools
import os
import stat
import sys
from collections.abc import Callable, Iterator, Sequence
from typing import TextIO

from kdv_policy.errors import Diagnostic, PolicyLoadError, Severity
from kdv_policy.policy.questions import Query, is_keyword, parse, parse_words, quote

Item = tuple[str, Callable[[], Query]]
"""A query as written, and how to parse it (parsing errors belong to that query alone)."""

STDIN = "<stdin>"


def _refuse(message: str, hint: str, code: str = "query-input") -> PolicyLoadError:
    """The error for a batch that cannot be read: it renders as ``error: ... [code]`` and a help."""
    return PolicyLoadError(message, (Diagnostic(code, Severity.ERROR, message, None, hint),))


def open_queries(path: str) -> TextIO:
    """The file of ``--file PATH``, open for reading: a regular file or a pipe, nothing else.

    Raises :class:`PolicyLoadError` for a file that cannot be opened, and for a device, a
    directory or a socket (``/dev/zero`` is no file of queries).
    """
    try:
        stream = open(path, encoding="utf-8")  # noqa: SIM115 (closed by the caller's ExitStack)
    except OSError as err:
        raise _refuse(f"cannot read the queries from `{path}`: {err.strerror or err}",
                      "give a file of queries, one a line, or pipe them to `query -`") from None
    try:
        mode = os.fstat(stream.fileno()).st_mode
    except OSError as err:
        stream.close()
        raise _refuse(f"cannot read the queries from `{path}`: {err.strerror or err}",
                      "give a file of queries, one a line") from None
    if not (stat.S_ISREG(mode) or stat.S_ISFIFO(mode)):
        stream.close()
        raise _refuse(f"cannot read the queries from `{path}`: it is not a regular file or a pipe",
                      "give a file of queries, one a line, or pipe them to `query -`")
    return stream


def query_lines(stream: TextIO, display: str, limit: int) -> Iterator[str]:
    """The queries of a stream, one a line, each read only when the previous one is answered.

    A line longer than ``limit`` characters raises :class:`PolicyLoadError` naming the line
    and the limit; so does text that is not UTF-8. Reading stops there: the rest of an
    over-long line is never read.
    """
    number = 0
    while True:
        try:
            line = stream.readline(limit + 2)  # the limit, and a line end of up to two characters
        except UnicodeDecodeError:
            raise _refuse(f"line {number + 1} of `{display}` is not valid UTF-8",
                          "save the queries as UTF-8", "encoding") from None
        except OSError as err:
            raise _refuse(f"cannot read the queries from `{display}`: {err.strerror or err}",
                          "give a file of queries, one a line") from None
        if not line:
            return
        number += 1
        if len(line.rstrip("\r\n")) > limit:
            raise _refuse(
                f"line {number} of `{display}` is longer than {limit:,} characters, "
                "the limit for one query (`max_line_length`)",
                f"write one query a line; a longer one needs `--limit max_line_length={2 * limit}`",
                "line-too-long")
        text = line.strip()
        if text and not text.startswith("%"):
            yield text


def items(
    queries: Sequence[str], file: TextIO | None, file_display: str | None, limit: int
) -> Iterator[Item]:
    """The queries to answer, in order: the arguments (``-``: standard input's lines, in its
    place), then the lines of ``file``.

    When the first argument is a bare question keyword (``may``, ``who``, ...), all arguments
    form one question, an argument with a space counting as one (quoted) name.
    """
    if queries and is_keyword(queries[0]):
        words = list(queries)
        yield quote(words), lambda: parse_words(words)
    else:
        for q in queries:
            if q == "-":
                yield from _parsed(query_lines(sys.stdin, STDIN, limit))
            else:
                yield q, functools.partial(parse, q)
    if file is not None:
        yield from _parsed(query_lines(file, file_display or "<file>", limit))


def _parsed(texts: Iterator[str]) -> Iterator[Item]:
    for text in texts:
        yield text, functools.partial(parse, text)
