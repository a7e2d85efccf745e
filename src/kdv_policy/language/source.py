"""Source text and spans: where a piece of policy text came from.

A :class:`Span` names a file and a 1-based line and column range. Spans never
take part in equality of AST nodes (see :mod:`kdv_policy.language.syntax`), so two programs
that differ only in layout compare equal.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass, fields


@dataclass(frozen=True, slots=True, init=False)
class Span:
    """A region of a source file: 1-based line and column, end exclusive."""

    path: str
    line: int
    col: int
    end_line: int
    end_col: int

    def __init__(self, path: str, line: int, col: int, end_line: int, end_col: int) -> None:
        # The generated __init__ of a frozen dataclass sets each field through object.__setattr__;
        # setting the slots directly takes half the time, and the parser makes a span for every node.
        _set_path(self, path)
        _set_line(self, line)
        _set_col(self, col)
        _set_end_line(self, end_line)
        _set_end_col(self, end_col)

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.col}"


_set_path, _set_line, _set_col, _set_end_line, _set_end_col = (getattr(Span, f.name).__set__
                                                               for f in fields(Span))


class Source:
    """The text of one file (or query), with line lookup for spans and snippets."""

    __slots__ = ("_line_starts", "path", "text")

    def __init__(self, path: str, text: str) -> None:
        self.path = path
        self.text = text
        starts = [0]
        at = text.find("\n")
        while at >= 0:
            starts.append(at + 1)
            at = text.find("\n", at + 1)
        self._line_starts = starts

    def position(self, offset: int) -> tuple[int, int]:
        """Return the 1-based (line, column) of a character offset."""
        line = bisect_right(self._line_starts, offset) or 1  # the line whose start is the last <= offset
        return line, offset - self._line_starts[line - 1] + 1

    def offset(self, line: int, col: int) -> int:
        """The character offset of a 1-based (line, column)."""
        return self._line_starts[line - 1] + col - 1

    def span(self, start: int, end: int) -> Span:
        """The span of the characters ``text[start:end]``."""
        starts = self._line_starts
        line = bisect_right(starts, start) or 1
        line_start = starts[line - 1]
        if end < start:
            end = start
        if line == len(starts) or end < starts[line]:  # ends on the line it starts on
            return Span(self.path, line, start - line_start + 1, line, end - line_start + 1)
        end_line, end_col = self.position(end)
        return Span(self.path, line, start - line_start + 1, end_line, end_col)

    def line_text(self, line: int) -> str:
        """The text of a 1-based line, without its newline."""
        if line < 1 or line > len(self._line_starts):
            return ""
        start = self._line_starts[line - 1]
        end = self.text.find("\n", start)
        return self.text[start:] if end < 0 else self.text[start:end]


SNIPPET_WIDTH = 100
"""Characters of a source line a snippet shows at most; a longer line is cut around the span."""

_UNSHOWABLE = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
"""Characters a snippet shows as ``\N{REPLACEMENT CHARACTER}``: control characters, line and
paragraph separators, bidirectional overrides and lone surrogates (a tab shows as a space)."""


def snippet(source: Source | None, span: Span | None, width: int = SNIPPET_WIDTH) -> str:
    """The source line of ``span`` with a caret line under the spanned text.

    At most ``width`` characters of the line are shown: a longer line is cut around the span
    (centred on it), with ``…`` where it is cut, and the caret stays under the spanned text.
    """
    if source is None or span is None or span.line < 1 or span.line > len(source._line_starts):
        return ""
    text = source.text
    line_start = source._line_starts[span.line - 1]
    line_end = text.find("\n", line_start)
    if line_end < 0:
        line_end = len(text)
    if line_end > line_start and text[line_end - 1] == "\r":  # a CRLF line ending
        line_end -= 1
    length = line_end - line_start
    col = min(max(span.col - 1, 0), length)  # 0-based
    wide = span.end_col - span.col if span.end_line == span.line else length - col
    wide = max(1, min(wide, length - col if length > col else 1))
    start, end = 0, length
    if length > width:
        shown = min(wide, width * 4 // 5)  # leave room for some text before the span
        start = max(0, col - (width - shown) // 2)
        end = min(length, start + width)
        start = max(0, end - width)
        wide = max(1, min(wide, end - col))
    excerpt = text[line_start + start:line_start + end]
    if not excerpt.strip():
        return ""
    excerpt = _UNSHOWABLE.sub("\N{REPLACEMENT CHARACTER}", excerpt.replace("\t", " "))
    before = "…" if start > 0 else ""
    after = "…" if end < length else ""
    gutter = f"{span.line:>4} | "
    caret_at = len(before) + col - start
    return f"{gutter}{before}{excerpt}{after}\n{' ' * (len(gutter) - 2)}| {' ' * caret_at}{'^' * wide}"
