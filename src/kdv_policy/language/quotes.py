"""Citations against the governance text: every ``@source`` is a verbatim part of it.

A policy directory may hold its governance text as ``source-text.txt``. Every ``@source``
quote of its rule files must then occur in it word for word; whitespace runs count as one
space on both sides (a quote may join the end of one line to the start of the next). A quote
that does not occur is a misquote; the help names the sentence of the text nearest to it,
found with :mod:`difflib`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

SOURCE_TEXT = "source-text.txt"
"""The file of a policy directory that holds its governance text."""

MAX_COMPARED = 1_000
"""Characters of a quote and of a sentence compared for the nearest sentence (difflib costs the
product of the lengths): a longer quote is compared by its start."""

_SPACE = re.compile(r"\s+")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")
_BULLET = re.compile(r"^[-–•*]\s+")


def normalise(text: str) -> str:
    """``text`` with each whitespace run as one space, and without leading or trailing space."""
    return _SPACE.sub(" ", text).strip()


class GoverningText:
    """A governance text, ready for looking quotes up in it."""

    def __init__(self, text: str) -> None:
        self.text = text
        self._flat = normalise(text)
        parts = (_BULLET.sub("", normalise(p)) for p in _SENTENCE_END.split(text))
        self.sentences = tuple(s for s in parts if s)

    def contains(self, quote: str) -> bool:
        """Whether ``quote`` is a verbatim part of the text (whitespace runs collapsed)."""
        flat = normalise(quote)
        return bool(flat) and flat in self._flat

    def nearest_sentence(self, quote: str) -> str | None:
        """The sentence of the text that shares the most with ``quote``, or None for an empty text."""
        found = nearest(quote, self.sentences)
        return None if found is None else self.sentences[found]


def nearest(quote: str, sentences: Sequence[str]) -> int | None:
    """The index of the sentence that shares the most with ``quote`` (None when there is none): the
    share of the quote found in it first, then the closeness of the lengths."""
    import difflib  # when a quote is compared: a policy that is only asked never compares one

    flat = normalise(quote)[:MAX_COMPARED]
    best, best_score = None, -1.0
    for i, sentence in enumerate(sentences):
        sentence = sentence[:MAX_COMPARED]
        matcher = difflib.SequenceMatcher(None, flat, sentence, autojunk=False)
        shared = sum(block.size for block in matcher.get_matching_blocks())
        score = shared / max(1, len(flat)) + shared / max(1, len(sentence)) / 100
        if score > best_score:
            best, best_score = i, score
    return best


__all__ = ["MAX_COMPARED", "SOURCE_TEXT", "GoverningText", "nearest", "normalise"]
