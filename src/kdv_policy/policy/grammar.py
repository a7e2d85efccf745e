"""The question grammar: German and English questions → a :class:`Reading` (form, names, verb).

A question is read in two steps. The words are first classified: the question's own words
(``wer``, ``darf``, ``Mitglied``, ``who``, ``may``, ...), articles (``der``, ``die``, ``the``),
the verbs of the policy's :class:`~kdv_policy.policy.vocabulary.Vocabulary` and any other word.
Contractions are spelt out first (``im`` → ``in dem``, ``zur`` → ``zu der``), a separable
verb's particle is joined to its verb (``nimmt ... ab``), and ``nicht``/``not`` is noted and
dropped. The classified words are then parsed with a lark (Earley) grammar whose forms are
listed in :data:`GRAMMAR`; a name is any run of words (``phrase``), split into names by the
caller with the name index. lark is imported on first use: ``import kdv_policy`` does not load it.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from kdv_policy.policy.names import normalise
from kdv_policy.policy.vocabulary import EMPTY, Vocabulary

KEYWORDS: dict[str, str] = {
    **dict.fromkeys(("darf", "duerfen", "kann", "koennen", "may", "can"), "MAY"),
    **dict.fromkeys(("wer", "who"), "WHO"),
    **dict.fromkeys(("was", "what"), "WHAT"),
    **dict.fromkeys(("warum", "wieso", "weshalb", "why"), "WHY"),
    **dict.fromkeys(("ist", "sind", "is", "are"), "IS"),
    **dict.fromkeys(("hat", "haben", "has", "have"), "HAS"),
    **dict.fromkeys(("mitglied", "mitglieder", "member", "members"), "MEMBER"),
    **dict.fromkeys(("vorsitz", "vorsitzende", "vorsitzender", "chair"), "CHAIR"),
    "chairs": "CHAIRS",
    "serves": "SERVES",
    **dict.fromkeys(("verantwortlich", "zustaendig", "responsible"), "RESPONSIBLE"),
    **dict.fromkeys(("fuer", "for"), "FOR"),
    **dict.fromkeys(("von", "of"), "OF"),
    "in": "IN",
    **dict.fromkeys(("zu", "to"), "TO"),
    "an": "AN",
    **dict.fromkeys(("wen", "wem", "whom"), "WHOM"),
    **dict.fromkeys(("consumer", "leistungsbezueger", "leistungsbezuegerin", "leistungsbezuegerinnen",
                     "leistungsbezuegern"), "CONSUMER"),
    **dict.fromkeys(("ein", "eine", "einer", "a"), "INDEF"),
    **dict.fromkeys(("delegations", "delegationen"), "DELEGATIONS"),
    **dict.fromkeys(("do", "tun", "machen"), "DO"),
    **dict.fromkeys(("gehoert", "gehoeren", "belongs", "belong"), "BELONGS"),
    **dict.fromkeys(("leistungen", "services"), "SERVICES"),
    **dict.fromkeys(("der", "die", "das", "des", "dem", "den", "the"), "ART"),
    "does": "DOES",
    **dict.fromkeys(("wie", "how"), "HOW"),
    **dict.fromkeys(("viele", "many"), "MANY"),
}
"""The question's own words (normalised: lowercase, umlauts spelt out) → their terminal."""

GERMAN = frozenset({"darf", "duerfen", "kann", "koennen", "wer", "was", "warum", "wieso", "weshalb", "ist",
                    "sind", "hat", "haben", "mitglied", "mitglieder", "vorsitz", "vorsitzende",
                    "vorsitzender", "verantwortlich", "zustaendig", "fuer", "von", "zu", "an", "wen",
                    "wem", "leistungsbezueger", "leistungsbezuegerin", "ein", "eine", "einer",
                    "delegationen", "tun", "gehoert", "leistungen", "der", "die", "das", "des", "dem",
                    "den", "nicht", "im", "vom", "zum", "zur", "beim", "ins", "am", "wie", "viele", "und",
                    "oder", "gehoeren"})
ENGLISH = frozenset({"may", "can", "who", "what", "why", "is", "are", "has", "have", "member", "members",
                     "chair", "chairs", "serves", "responsible", "for", "of", "to", "whom", "consumer",
                     "a", "delegations", "do", "belongs", "services", "the", "not", "does", "how", "many",
                     "and", "or", "who's", "whos"})
"""Words that tell the language a question is asked in."""

CONTRACTIONS = {"im": ("in", "dem"), "vom": ("von", "dem"), "zum": ("zu", "dem"), "zur": ("zu", "der"),
                "beim": ("bei", "dem"), "ins": ("in", "das"), "am": ("an", "dem"),
                "who's": ("who", "is"), "who\u2019s": ("who", "is"), "what's": ("what", "is"),
                "what\u2019s": ("what", "is")}
NEGATIONS = frozenset({"nicht", "not"})
PUNCTUATION = "?!.,;:"

GRAMMAR = r"""
start: question
     | WHY question -> why

question: may_verb | may_words | who_may_verb | who_may_words | what_may | who_serves
        | who_verb_for | who_verb | who_has_verb | members | chair | responsible | consumer
        | delegations | may_first | may_first_en | does | verb_first | is_member | is_chair
        | count_members

may_verb.3: MAY phrase VERB
may_words.1: MAY phrase
who_may_verb.3: WHO MAY phrase VERB
who_may_words.1: WHO MAY phrase
what_may.2: WHAT MAY phrase DO?
who_serves.3: WHO SERVES phrase
who_verb_for.3: WHO VERB SERVICES? FOR phrase
who_verb.2: WHO VERB phrase ((TO | AN) WHOM)?
who_has_verb.2: WHO HAS phrase ((TO | AN) WHOM)? VERB
members.2: MEMBER (OF | IN)? phrase
         | WHO IS ART? INDEF? MEMBER (OF | IN)? phrase
         | WHO BELONGS (TO | IN) phrase
         | WHO IS IN phrase
chair.2: CHAIR (OF | IN)? phrase
       | WHO CHAIRS phrase
       | WHO (IS | HAS) ART? CHAIR (OF | IN)? phrase
responsible.2: WHO IS RESPONSIBLE FOR phrase
             | WHO IS FOR phrase RESPONSIBLE
consumer.2: IS phrase (INDEF | AN)? CONSUMER
          | IS CONSUMER OF? phrase
delegations.2: DELEGATIONS ((OF | FOR) phrase)?
may_first.3: phrase MAY phrase VERB
may_first_en.3: phrase MAY VERB phrase
does.2: DOES phrase
verb_first.1: VERB phrase
is_member.3: IS phrase INDEF? MEMBER (OF | IN)? phrase
           | BELONGS phrase (TO | IN) phrase
           | DOES phrase BELONGS (TO | IN) phrase
is_chair.3: IS phrase ART? INDEF? CHAIR (OF | IN)? phrase
          | HAS phrase ART CHAIR (OF | IN) phrase
          | DOES phrase CHAIR phrase
count_members.3: HOW MANY MEMBER HAS phrase
               | HOW MANY MEMBER DOES phrase HAS
               | HOW MANY MEMBER IS? (OF | IN) phrase

phrase: head word*
head: WORD | NAME | VERB | ART | INDEF | SERVICES | MEMBER | CHAIR | IS | HAS | DO | CONSUMER
    | RESPONSIBLE
word: head | IN | OF | TO | AN | FOR

%declare MAY WHO WHAT WHY IS HAS MEMBER CHAIR CHAIRS SERVES RESPONSIBLE FOR OF IN TO AN WHOM
%declare CONSUMER INDEF DELEGATIONS DO BELONGS SERVICES ART VERB WORD NAME DOES HOW MANY
"""
"""The question forms. ``phrase`` is one or more names, split by the name index; it does not
start with a preposition (``members of`` lacks its body)."""


@dataclass(frozen=True)
class Word:
    """A word of the question: as typed (``text``), its terminal, and the action of a verb."""

    text: str
    kind: str
    action: str | None = None


@dataclass(frozen=True)
class Reading:
    """What the grammar read: the ``form`` (a rule of :data:`GRAMMAR`), the words of each
    ``phrase`` in order, the action of the verb (when the form has one), and whether it asks
    why (``warum``, ``why``) or says ``nicht``/``not``."""

    form: str
    phrases: tuple[tuple[str, ...], ...]
    action: str | None
    why: bool
    negated: bool
    language: str


class Unreadable(Exception):
    """The grammar cannot read the words (internal: :mod:`kdv_policy.policy.questions` says why)."""

    def __init__(self, words: tuple[Word, ...], language: str, verbs: dict[str, str] | None = None) -> None:
        super().__init__("unreadable question")
        self.words = words
        self.language = language
        self.verbs = verbs or {}


def language_of(words: Sequence[str]) -> str:
    """``de`` or ``en``: the language most of the question's own words belong to (German on a tie
    with German words, English when no word tells)."""
    keys = [normalise(w) for w in words]
    german = sum(k in GERMAN for k in keys)
    english = sum(k in ENGLISH for k in keys)
    return "de" if german and german >= english else "en"


def is_keyword(word: str) -> bool:
    """Does a question start with ``word`` (``wer``, ``may``, ``Mitglieder``, ...)?"""
    return KEYWORDS.get(normalise(word)) in _STARTS


_STARTS = frozenset({"MAY", "WHO", "WHAT", "WHY", "IS", "MEMBER", "CHAIR", "DELEGATIONS", "DOES", "HOW",
                     "HAS", "BELONGS"})


def classify(words: Sequence[str], vocabulary: Vocabulary = EMPTY) -> tuple[tuple[Word, ...], bool]:
    """The question's words, classified for the grammar, and whether it said ``nicht``/``not``.

    A word with a space in it (a quoted name) is always a name (``NAME``).
    """
    plain: list[str] = []
    for w in words:
        w = w.rstrip(PUNCTUATION) if any(ch.isspace() for ch in w) else w.strip(PUNCTUATION)
        if not any(ch.isspace() for ch in w):
            if not w:
                continue
            spelt = CONTRACTIONS.get(w.casefold())
            if spelt is not None:
                plain.extend(spelt)
                continue
        plain.append(w)
    negated = any(normalise(w) in NEGATIONS for w in plain)
    plain = [w for w in plain if normalise(w) not in NEGATIONS]
    out: list[Word] = []
    particle_action: tuple[int, str] | None = None
    if len(plain) > 2 and vocabulary.separable:
        last = normalise(plain[-1])
        for i, w in enumerate(plain[:-1]):
            action = vocabulary.separable.get((normalise(w), last))
            if action is not None:
                particle_action = (i, action)
                break
    for i, w in enumerate(plain):
        if particle_action is not None and i == len(plain) - 1:
            break  # the particle, read with its verb
        if any(ch.isspace() for ch in w):
            out.append(Word(w, "NAME"))
        elif particle_action is not None and i == particle_action[0]:
            out.append(Word(f"{w} {plain[-1]}", "VERB", particle_action[1]))
        else:
            key = normalise(w)
            kind = KEYWORDS.get(key)
            action = None if kind is not None else vocabulary.verb(w)
            out.append(Word(w, kind or ("VERB" if action else "WORD"), action))
    return tuple(out), negated


@functools.cache
def _parser() -> Any:
    import lark  # the grammar library loads with the first question
    from lark.lexer import Lexer

    class WordLexer(Lexer):
        """Hands the classified words to the parser as tokens (value: the word's position)."""

        def __init__(self, conf: Any) -> None:
            pass

        def lex(self, data: Any, *args: Any) -> Any:
            words = getattr(data, "text", data)
            for i, word in enumerate(words):
                yield lark.Token(word.kind, str(i), start_pos=i)

    return lark.Lark(GRAMMAR, parser="earley", lexer=WordLexer, ambiguity="resolve")


_NAMES = frozenset({"WORD", "NAME", "VERB"})


def _plain_may(classified: tuple[Word, ...]) -> Reading | None:
    """The reading of the plainest forms, when the words are ``[WHY] MAY`` and then names, words
    and verbs only: ``may_verb`` when a verb ends them and names come before it (``darf
    Regierungsrat Strategie verabschieden``), else ``may_words`` (``may Regierungsrat
    verabschieden Strategie``). No other form starts with ``MAY`` or ``WHY MAY`` and takes these
    terminals only, and ``may_verb`` outranks ``may_words``. None for any other question, which
    the grammar reads. (The reading has no language and no negation yet: :func:`read` adds them.)"""
    start = 1 if classified and classified[0].kind == "WHY" else 0
    rest = classified[start + 1:]
    if len(classified) <= start + 1 or classified[start].kind != "MAY" \
            or any(w.kind not in _NAMES for w in rest):
        return None
    why = start == 1
    if rest[-1].kind == "VERB":
        if len(rest) == 1:
            return None
        return Reading("may_verb", (tuple(w.text for w in rest[:-1]),), rest[-1].action, why, False, "")
    return Reading("may_words", (tuple(w.text for w in rest),), None, why, False, "")


def read(words: Sequence[str], vocabulary: Vocabulary = EMPTY, *, fast: bool = True) -> Reading:
    """The reading of a question's words; raises :class:`Unreadable`. The plainest forms
    (:func:`_plain_may`) are read without building the grammar's parser unless ``fast`` is false."""
    classified, negated = classify(words, vocabulary)
    language = language_of([w.strip(PUNCTUATION) for w in words])
    if not classified:
        raise Unreadable(classified, language, vocabulary.names)
    simple = _plain_may(classified) if fast else None
    if simple is not None:
        return dataclasses.replace(simple, negated=negated, language=language)
    import lark

    try:
        tree = _parser().parse(list(classified))
    except lark.exceptions.LarkError:
        raise Unreadable(classified, language, vocabulary.names) from None
    why = tree.children[0].type == "WHY" if isinstance(tree.children[0], lark.Token) else False
    question = tree.children[-1]
    form = question.children[0]
    phrases: list[tuple[str, ...]] = []
    action = None
    for node in form.children:
        if isinstance(node, lark.Token):
            if node.type == "VERB":
                action = classified[int(node)].action
        else:  # a phrase
            phrases.append(tuple(classified[int(token)].text for token in node.scan_values(
                lambda v: isinstance(v, lark.Token))))
    return Reading(form.data, tuple(phrases), action, why, negated, language)
