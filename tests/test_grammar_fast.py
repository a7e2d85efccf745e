"""The plainest question forms (``may NAME VERB NAME``, ``darf NAME NAME VERB``) are read without
building the grammar's parser: the reading is the one the parser gives, for every sequence of
terminals of those shapes and of shapes close to them."""

from __future__ import annotations

import itertools

import pytest

from kdv_policy import Policy
from kdv_policy.policy import grammar
from kdv_policy.policy.grammar import Unreadable, Word

TERMINALS = ["MAY", "WHY", "WORD", "NAME", "VERB", "ART", "OF", "WHO", "IS", "FOR", "DO", "MEMBER"]


def _parsed(classified: tuple[Word, ...]) -> object:
    """What the lark grammar reads: the reading's form, phrases, action and why, or None."""
    import lark

    try:
        tree = grammar._parser().parse(list(classified))
    except lark.exceptions.LarkError:
        return None
    why = tree.children[0].type == "WHY" if isinstance(tree.children[0], lark.Token) else False
    form = tree.children[-1].children[0]
    tokens = [node.scan_values(lambda v: isinstance(v, lark.Token)) for node in form.children
              if not isinstance(node, lark.Token)]
    phrases = tuple(tuple(classified[int(t)].text for t in found) for found in tokens)
    verbs = [classified[int(node)].action for node in form.children
             if isinstance(node, lark.Token) and node.type == "VERB"]
    return form.data, phrases, verbs[0] if verbs else None, why


def _sequences():
    for length in range(1, 6):
        for kinds in itertools.product(TERMINALS, repeat=length):
            if "MAY" in kinds[:2]:
                yield kinds


def test_the_fast_reading_is_the_parsers_wherever_it_reads():
    read: dict[str, int] = {}
    for kinds in _sequences():
        classified = tuple(Word(f"w{i}", kind, f"action{i}" if kind == "VERB" else None)
                           for i, kind in enumerate(kinds))
        fast = grammar._plain_may(classified)
        if fast is None:
            continue
        assert _parsed(classified) == (fast.form, fast.phrases, fast.action, fast.why), kinds
        read[fast.form] = read.get(fast.form, 0) + 1
    assert read["may_words"] > 100
    assert read["may_verb"] > 50


@pytest.mark.parametrize("question", [
    "may Regierungsrat verabschieden Strategie", "darf Regierungsrat Strategie verabschieden",
    "warum darf der Regierungsrat die Strategie verabschieden", "may Regierungsrat approve Strategie",
    "may Regierungsrat not approve Strategie", "why may \"Departementschef DIV\" define Strategie?",
    "may KDV umsetzen Strategie", "may Steuerungsausschuss", "darf",
])
def test_questions_read_alike_with_and_without_the_fast_reading(question):
    vocabulary = Policy.load().vocabulary
    words = question.replace('"Departementschef DIV"', "Departementschef\u00a0DIV").split()
    words = [w.replace("\u00a0", " ") for w in words]
    try:
        fast = grammar.read(words, vocabulary)
    except Unreadable as err:
        fast = ("unreadable", err.words, err.language)
    try:
        slow = grammar.read(words, vocabulary, fast=False)
    except Unreadable as err:
        slow = ("unreadable", err.words, err.language)
    assert fast == slow
