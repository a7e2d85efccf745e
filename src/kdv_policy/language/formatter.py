"""The formatter: rule files in one canonical layout, comments kept, meaning unchanged.

Layout: each item separated from the previous one by at most one blank line (kept where
the author left one); doc comments (``%%``) and annotations each on their own line above
their fact, rule or declaration; a clause on one line when it fits in
:data:`LINE_WIDTH` characters, otherwise its body wrapped one literal a line; single
spaces after commas and around ``:-`` and comparisons; declarations without a final `.`.
Comments stay where they were: a comment on its own line stays above the item it
precedes, a comment at the end of an item's last line stays there; a comment inside a
clause moves above the clause. ``parse(format(text)) == parse(text)`` always holds.
"""

from __future__ import annotations

import bisect
import itertools
from dataclasses import dataclass

from kdv_policy.language import lexer
from kdv_policy.language.parser import parse_program
from kdv_policy.language.printer import format_annotation, format_atom, format_literal
from kdv_policy.language.source import Source
from kdv_policy.language.syntax import Clause, Declaration, Interpretation, Item

LINE_WIDTH = 100
INDENT = "    "


@dataclass
class _Slot:
    """An item of the file with the comments that belong to it."""

    item: Item
    start: int  # offset of its first doc comment, annotation or token
    end: int  # offset just after its last token
    leading: list[str]
    trailing: str | None = None
    blank_before: bool = False


def format_source(text: str, path: str = "<text>") -> str:
    """The canonical layout of a rule file's text (raises PolicySyntaxError if it does not parse)."""
    module = parse_program(text, path)
    source = Source(path, text)
    tokens = lexer.tokenize(source, keep_comments=True)
    starts = [t.start for t in tokens]
    slots = [_slot(item, source, tokens, starts) for item in module.items]
    loose = _attach_comments(slots, tokens, source)
    out: list[str] = []
    for slot in slots:
        if out and slot.blank_before:
            out.append("")
        out += slot.leading
        lines = _format_item(slot.item)
        if slot.trailing:
            lines[-1] = f"{lines[-1]}  {slot.trailing}"
        out += lines
    if loose:
        if out:
            out.append("")
        out += loose
    return "\n".join(out) + "\n" if out else ""


def _slot(item: Item, source: Source, tokens: list[lexer.Token], starts: list[int]) -> _Slot:
    """Where an item's text lies; ``starts``: the tokens' start offsets, for bisecting."""
    assert item.span is not None  # a parsed item has a span
    spans = [a.span for a in item.annotations if a.span] + [item.span]
    start = min(source.offset(s.line, s.col) for s in spans)
    end = source.offset(item.span.end_line, item.span.end_col)
    if isinstance(item, Declaration):  # a declaration's optional final `.` belongs to it
        after = itertools.islice(tokens, bisect.bisect_left(starts, end), None)
        following = next((t for t in after if t.kind not in (lexer.COMMENT, lexer.DOC)), None)
        if following is not None and following.text == "." and source.text[end:following.start].strip() == "":
            end = following.end
    return _Slot(item, start, end, [])


def _attach_comments(slots: list[_Slot], tokens: list[lexer.Token], source: Source) -> list[str]:
    """Give each comment to the item it belongs to; return those after the last item."""
    comments = [t for t in tokens if t.kind in (lexer.COMMENT, lexer.DOC)]
    loose: list[str] = []
    prev_end = 0
    index = 0
    for slot in slots:
        # doc comments directly above (or among the annotations of) a documented item are its doc
        own_docs = slot.item.doc is not None
        own_first = source.position(slot.start)[0]  # its first doc comment, annotation or token
        leading_lines: list[int] = []
        while index < len(comments) and comments[index].start < slot.end:
            tok = comments[index]
            index += 1
            line = source.position(tok.start)[0]
            if tok.kind == lexer.DOC and own_docs:
                own_first = min(own_first, line)
                continue
            if prev_end and line == source.position(prev_end)[0] and tok.start >= prev_end:
                _previous(slots, slot).trailing = tok.text.rstrip()  # at the end of the previous item
                continue
            if leading_lines and _has_blank_line(source, leading_lines[-1], line):
                slot.leading.append("")
            leading_lines.append(line)
            slot.leading.append(tok.text.rstrip())
        if leading_lines and leading_lines[-1] < own_first and _has_blank_line(source, leading_lines[-1],
                                                                               own_first):
            slot.leading.append("")  # a comment set off from the item stays set off
        first_line = min([own_first, *leading_lines])
        gap_start = source.position(prev_end)[0] if prev_end else 0
        slot.blank_before = bool(prev_end) and _has_blank_line(source, gap_start, first_line)
        prev_end = slot.end
    for tok in comments[index:]:
        line = source.position(tok.start)[0]
        if slots and line == source.position(prev_end)[0]:
            slots[-1].trailing = tok.text.rstrip()
        else:
            loose.append(tok.text.rstrip())
    return loose


def _previous(slots: list[_Slot], slot: _Slot) -> _Slot:
    return slots[slots.index(slot) - 1]


def _has_blank_line(source: Source, after_line: int, before_line: int) -> bool:
    return any(not source.line_text(n).strip() for n in range(after_line + 1, before_line))


def _format_item(item: Item) -> list[str]:
    lines = [f"%% {line}".rstrip() for line in item.doc.split("\n")] if item.doc is not None else []
    lines += [format_annotation(a) for a in item.annotations]
    if isinstance(item, Declaration):
        lines.append(f"{item.keyword} {item.predicate}({', '.join(item.params)})")
        return lines
    if isinstance(item, Interpretation):
        lines.append(f".interpretation {item.name}.")
        return lines
    assert isinstance(item, Clause)
    head = format_atom(item.head)
    if item.is_fact:
        lines.append(f"{head}.")
        return lines
    body = [format_literal(lit) for lit in item.body]
    one_line = f"{head} :- {', '.join(body)}."
    if len(one_line) <= LINE_WIDTH:
        lines.append(one_line)
    else:
        lines.append(f"{head} :-")
        lines += [f"{INDENT}{lit}," for lit in body[:-1]] + [f"{INDENT}{body[-1]}."]
    return lines
