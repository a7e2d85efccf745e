"""Questions as people type them → API calls: ``darf der Regierungsrat die Strategie verabschieden?``.

A question is German or English (the forms: :data:`kdv_policy.policy.forms.FORMS`), read by
the grammar of :mod:`kdv_policy.policy.grammar` with the verbs of the policy's vocabulary
(:attr:`Policy.vocabulary`). Each form asks one API call::

    darf AKTEUR OBJEKT VERB? · may ACTOR ACTION OBJECT          Policy.may
    wer darf OBJEKT VERB? · who may ACTION OBJECT · who approves OBJECT     Policy.who_may
    was darf AKTEUR? · what may ACTOR                            Policy.what_may
    wer erbringt Leistungen für EINHEIT? · who serves UNIT        Policy.who_serves
    wer ist Mitglied im GREMIUM? · Mitglieder des GREMIUMS · members of BODY     Policy.members
    wer hat den Vorsitz im GREMIUM? · who chairs BODY · chair of BODY          Policy.chair
    wer ist für EINHEIT verantwortlich? · who is responsible for UNIT        Policy.responsible_for
    ist EINHEIT Leistungsbezügerin? · is UNIT a consumer         Policy.is_consumer
    wer hat OBJEKT an wen delegiert? · who delegated OBJECT · delegations of OBJECT  Policy.delegations
    warum darf ... nicht ...? · why may ... not ...              the explained answer
    AKTEUR darf OBJEKT VERB? · VERB AKTEUR OBJEKT? · does ACTOR ACTION OBJECT     Policy.may
    ist AKTEUR Mitglied im GREMIUM? · hat AKTEUR den Vorsitz im GREMIUM? ·
    erbringt X Leistungen für EINHEIT? · is ACTOR a member of BODY           Policy.holds
    wie viele Mitglieder hat GREMIUM? · how many members does BODY have      Policy.members

A date in the question (``am 1.3.2026``, ``on 2026-03-01``) asks :meth:`Policy.at` that date;
``und``/``oder`` joining two names or verbs is a :class:`JoinedError` naming the two questions.

Anything else that looks like Datalog (``member(steuerungsausschuss, X)``) is an ad-hoc
query for :meth:`Policy.ask`. Names are resolved by the API (ids, official names,
abbreviations, any case, umlauts or ae/oe/ue), here with a leading article (``der``, ``the``)
or a genitive ending (``des Steuerungsausschusses``) set aside when the name needs it. A name
of several words may be quoted (``"Departementschef DIV"``) or not: unquoted, the words are
split so that every part names something, preferring the longest actor (then the longest
action). A word with a space in it (a quoted argument) is always one name.

:func:`parse` turns a text into a :class:`Query`; :meth:`Query.ask` asks a policy and
returns a :class:`Reply`, which renders itself as text (:meth:`Reply.text`) or as the JSON
object of docs/cli.md (:meth:`Reply.json`). Without a vocabulary, :func:`parse` returns a
:class:`Question` that is read when it is asked (:meth:`Query.read`), with the policy's verbs.
"""

from __future__ import annotations

import datetime
import itertools
import re
import shlex
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, overload

from kdv_policy.errors import PolicyError
from kdv_policy.language.parser import parse_query
from kdv_policy.language.printer import format_atom, format_value
from kdv_policy.language.syntax import Atom, Constant, Variable
from kdv_policy.policy import grammar
from kdv_policy.policy.api import ACTOR_KINDS, Policy
from kdv_policy.policy.forms import nearest
from kdv_policy.policy.names import AmbiguousNameError, UnknownNameError, normalise
from kdv_policy.policy.results import (
    Answers,
    Decision,
    Delegation,
    Entity,
    Explanation,
    OpenQuestion,
    Permission,
)
from kdv_policy.policy.vocabulary import Vocabulary
from kdv_policy.policy.wording import N_, phrase, say

ACTION_KINDS = ("action", "constant")
OBJECT_KINDS = ("object", "constant")

_DATALOG_START = re.compile(r"\s*[^\W\d]\w*\s*\(")
_APOSTROPHES = re.compile(r"\b(who|what)['\u2019]s\b", re.IGNORECASE)
"""``who's``, ``what's``: spelt out before the words are split (an apostrophe is a quote there)."""
_IDENTIFIER = re.compile(r"\s*[^\W\d]\w*\s*\Z")
_FIRST_WORD = re.compile(r"\s*([^\s\"']+)")
_ARTICLES = frozenset({"der", "die", "das", "des", "dem", "den", "the", "a", "an", "ein", "eine", "einer",
                       "einem", "einen", "eines"})


class QuestionError(PolicyError):
    """A text that is no question form, or whose quotes do not close; ``nearest`` is the
    nearest form the grammar reads, filled with the question's words, and ``language`` the
    language the question was asked in (``de``, ``en``)."""

    def __init__(self, message: str, query: str, nearest: str | None = None, language: str = "en") -> None:
        super().__init__(message)
        self.query = query
        self.nearest = nearest
        self.language = language


class JoinedError(QuestionError):
    """A question that joins two names or verbs with ``und``/``oder``/``and``/``or``: ``questions``
    are the two questions to ask one at a time (the first is also ``nearest``)."""

    def __init__(self, message: str, query: str, questions: tuple[str, str], language: str = "en") -> None:
        super().__init__(message, query, questions[0], language)
        self.questions = questions


# -- parsing --------------------------------------------------------------------------------------


def is_keyword(word: str) -> bool:
    """Is ``word`` (a whole command-line argument) a word a question starts with (``wer``, ``may``)?"""
    return grammar.is_keyword(word.rstrip("?"))


def is_question(text: str) -> bool:
    """Does ``text`` start with a question word (rather than being Datalog)?"""
    if _DATALOG_START.match(text):
        return False
    first = _FIRST_WORD.match(text)
    return first is not None and is_keyword(first.group(1))


def parse(text: str, vocabulary: Vocabulary | None = None) -> Query:
    """The query a text states: a question, or Datalog for :meth:`Policy.ask`.

    With the policy's ``vocabulary`` the question is read at once; without, it is read when it
    is asked (:class:`Question`). Raises :class:`QuestionError` for a question the grammar cannot
    read and for unbalanced quotes. A Datalog syntax error is raised when the query is asked,
    with a caret.
    """
    text = text.strip()
    if not is_question(text) and ("(" in text or _IDENTIFIER.match(text)):
        return Datalog(text)
    try:
        tokens = shlex.split(_APOSTROPHES.sub(r"\1 is", text))
    except ValueError as err:
        language = grammar.language_of(text.split())
        what = ("die Anführungszeichen sind nicht geschlossen" if language == "de"
                else "a quote is not closed")
        raise QuestionError(f"cannot split `{text}` into words: {err} ({what})", text,
                            language=language) from None
    return parse_words(tokens, text, vocabulary)


def parse_words(words: Sequence[str], text: str | None = None, vocabulary: Vocabulary | None = None) -> Query:
    """The question the words state (``["wer", "darf", "die", "Strategie", "verabschieden"]``).

    A word containing a space is one name, as if quoted. ``text`` is the question as the user
    wrote it (default: the words, quoted where needed).
    """
    words = tuple(w for w in words if w.strip())
    text = text if text is not None else quote(words)
    question = Question(text, words)
    return question if vocabulary is None else question.reading(vocabulary)


def read(question: Question, vocabulary: Vocabulary) -> Query:
    """The query a question's words state, read with ``vocabulary``; raises :class:`QuestionError`."""
    text, words = question.text, question.words
    words, at = _dated(text, words)
    _joined(text, words, vocabulary)
    try:
        r = grammar.read(words, vocabulary)
    except grammar.Unreadable as err:
        raise _unreadable(text, err) from None
    names = r.phrases[0] if r.phrases else ()
    second = r.phrases[1] if len(r.phrases) > 1 else ()
    form = r.form
    if form == "does":  # "does RR approve the Strategie": the verb is among the words
        at_verb = next((i for i, w in enumerate(names) if i and vocabulary.verb(w) is not None), None)
        if at_verb is not None:
            action = vocabulary.verb(names[at_verb])
            names, second, r = names[:at_verb], names[at_verb + 1:], replace(r, action=action)
            form = "may_first"
    if form in ("may_first", "may_first_en", "verb_first") and r.action == "serve":
        query: Query = _serves(text, names, second)
    elif form in ("may_first", "may_first_en"):
        query = May(text, names + second, r.action, cut=len(names))
    elif form in ("does", "verb_first"):
        query = May(text, names, r.action)
    elif form in ("is_member", "is_chair"):
        query = Holds(text, names + second, "member" if form == "is_member" else "chair", cut=len(names))
    elif form == "count_members":
        query = ListQuestion(text, "members", names, count=True)
    elif form in ("may_verb", "may_words"):
        query = May(text, names, r.action)
    elif form in ("who_may_verb", "who_may_words"):
        query = WhoMay(text, names, r.action)
    elif form in ("who_verb", "who_has_verb", "who_verb_for"):
        if r.action == "serve":
            query = ListQuestion(text, "who_serves", _after_for(names))
        elif r.action == "delegate":
            query = Delegations(text, names)
        else:
            query = WhoMay(text, names, r.action)
    elif form == "what_may":
        query = WhatMay(text, names)
    elif form == "who_serves":
        query = ListQuestion(text, "who_serves", names)
    elif form in ("members", "chair"):
        query = ListQuestion(text, form, names)
    elif form == "responsible":
        query = ListQuestion(text, "responsible_for", names)
    elif form == "consumer":
        query = IsConsumer(text, names)
    else:
        query = Delegations(text, names)
    query = replace(query, why=r.why, language=r.language, at=at)
    if any(len(part) < query.minimum() for part in query.parts()):
        raise _incomplete(query, r.language, grammar.classify(words, vocabulary)[0])
    return query


def _serves(text: str, first: tuple[str, ...], second: tuple[str, ...]) -> Query:
    """``erbringt das Kompetenzzentrum Leistungen für das Bezirksamt Arbon?``, ``does the KDV serve
    the Bezirksamt Arbon?``: whether the first name serves the second (``Leistungen für`` set aside)."""
    words = first + second
    keys = [normalise(w) for w in words]
    for marker in ("fuer", "for"):
        if marker in keys[1:]:
            at = keys.index(marker, 1)
            before = words[:at - 1] if keys[at - 1] in ("leistungen", "services") else words[:at]
            return Holds(text, before + words[at + 1:], "serves", cut=len(before))
    return Holds(text, words, "serves", cut=len(first) if first and second else None)


def _after_for(names: tuple[str, ...]) -> tuple[str, ...]:
    """``Leistungen für das Bezirksamt Arbon`` → ``das Bezirksamt Arbon``."""
    keys = [normalise(w) for w in names]
    for marker in ("fuer", "for"):
        if marker in keys:
            return names[keys.index(marker) + 1:]
    return names


def quote(words: Sequence[str]) -> str:
    """The words as one line, a word with spaces or quotes in double quotes."""
    out = []
    for w in words:
        if not w or re.search(r"[\s\"'\\]", w):
            out.append('"' + w.replace("\\", "\\\\").replace('"', '\\"') + '"')
        else:
            out.append(w)
    return " ".join(out)


def _unreadable(text: str, err: grammar.Unreadable) -> QuestionError:
    found = nearest(err.words, err.language)
    if err.language == "de":
        verbs = ", ".join(sorted(err.verbs.values()))
        message = f"die Frage `{text}` kann ich nicht lesen\n  hilfe: fragen Sie so: `{found.filled}`"
        if found.unknown_verb:
            message += f"\n  hilfe: `{found.unknown_verb}` ist kein Verb dieser Policy; ihre Verben: {verbs}"
    else:
        verbs = ", ".join(sorted(err.verbs))
        message = f"cannot read the question `{text}`\n  help: ask it as `{found.filled}`"
        if found.unknown_verb:
            message += f"\n  help: `{found.unknown_verb}` is no verb of this policy; its verbs: {verbs}"
    return QuestionError(message, text, found.filled, err.language)


def _incomplete(query: Query, language: str, words: Sequence[grammar.Word]) -> QuestionError:
    filled = nearest(words, language, query.kind if query.kind in _KINDS else None).filled
    if language == "de":
        message = f"der Frage `{query.text}` fehlt ein Name\n  hilfe: fragen Sie so: `{filled}`"
    else:
        message = f"the question `{query.text}` is incomplete\n  help: ask it as `{filled}`"
    return QuestionError(message, query.text, filled, language)


_KINDS = frozenset({"may", "who_may", "what_may", "who_serves", "members", "chair", "responsible_for",
                    "is_consumer", "delegations", "is_member", "is_chair", "is_serves"})


# -- a date in the question ----------------------------------------------------------------------------

_MONTHS = {name: number for number, names in enumerate((
    ("januar", "january", "jan"), ("februar", "february", "feb"), ("maerz", "march", "mar"),
    ("april", "apr"), ("mai", "may"), ("juni", "june", "jun"), ("juli", "july", "jul"),
    ("august", "aug"), ("september", "sep", "sept"), ("oktober", "october", "okt", "oct"),
    ("november", "nov"), ("dezember", "december", "dez", "dec")), start=1) for name in names}
_INTRODUCERS = frozenset({"am", "per", "stand", "on", "at"})
"""Words that introduce a date (``am 1.3.2026``, ``on 2026-03-01``); ``as of`` is two."""
_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_DOTTED = re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4})")
_DAY = re.compile(r"(\d{1,2})\.?,?")
_YEAR = re.compile(r"\d{4}")


def _dated(text: str, words: Sequence[str]) -> tuple[tuple[str, ...], datetime.date | None]:
    """The words without the date they name, and the date: ``am 1.3.2026``, ``am 1. März 2026``,
    ``on 2026-03-01``, ``as of 1 March 2026``, ``on March 1, 2026``, or a date alone. Raises
    :class:`QuestionError` for a date that does not exist (``am 31.2.2026``) or a second date."""
    plain = [w.rstrip("?!") if not re.search(r"\s", w) else w for w in words]
    found: list[tuple[int, int, tuple[int, int, int], str]] = []  # start, end, (y, m, d), as typed
    i = 0
    while i < len(plain):
        date, size = _date_at(plain, i)
        if date is None:
            i += 1
            continue
        start = i
        if start >= 1 and normalise(plain[start - 1]) in _INTRODUCERS:
            start -= 1
        elif start >= 2 and [normalise(w) for w in plain[start - 2:start]] == ["as", "of"]:
            start -= 2
        found.append((start, i + size, date, " ".join(plain[i:i + size])))
        i += size
    if not found:
        return tuple(words), None
    language = grammar.language_of([w for k, w in enumerate(plain)
                                    if not any(s <= k < e for s, e, _, _ in found)])
    if len(found) > 1:
        raise QuestionError(say(language, "the question `{text}` names two dates; ask about one date at a "
                                          "time", text=text), text, language=language)
    start, end, (year, month, day), shown = found[0]
    try:
        at = datetime.date(year, month, day)
    except ValueError:
        message = say(language, "the question `{text}` names `{date}`, which is no date of the calendar",
                      text=text, date=shown)
        raise QuestionError(message, text, language=language) from None
    kept = list(words[:start]) + list(words[end:])
    if kept and words[-1] != kept[-1] and words[-1].endswith("?"):
        kept[-1] += "?"
    return tuple(kept), at


def _date_at(words: Sequence[str], i: int) -> tuple[tuple[int, int, int] | None, int]:
    """The date that starts at ``words[i]`` as (year, month, day), and how many words it takes."""
    word = words[i].rstrip(".,") if _ISO.fullmatch(words[i].rstrip(".,")) else words[i]
    iso = _ISO.fullmatch(word)
    if iso:
        return (int(iso[1]), int(iso[2]), int(iso[3])), 1
    dotted = _DOTTED.fullmatch(words[i].rstrip(",") if words[i].count(".") == 2 else words[i].rstrip(".,"))
    if dotted:
        return (int(dotted[3]), int(dotted[2]), int(dotted[1])), 1
    rest = [normalise(w.rstrip(".,")) for w in words[i:i + 3]]
    if len(rest) == 3 and _DAY.fullmatch(words[i]) and rest[1] in _MONTHS and _YEAR.fullmatch(rest[2]):
        return (int(rest[2]), _MONTHS[rest[1]], int(rest[0])), 3  # 1. März 2026, 1 March 2026
    if len(rest) == 3 and rest[0] in _MONTHS and _DAY.fullmatch(words[i + 1]) and _YEAR.fullmatch(rest[2]):
        if rest[0] == "may" and not words[i][:1].isupper():
            return None, 0  # "may" the verb, not the month
        return (int(rest[2]), _MONTHS[rest[0]], int(rest[1])), 3  # March 1, 2026
    return None, 0


# -- two names joined by und/oder ------------------------------------------------------------------------

_JOINS = frozenset({"und", "oder", "and", "or"})
_JOIN_ARTICLES = frozenset({"der", "die", "das", "des", "dem", "den", "the", "im", "vom", "zum", "zur", "am",
                            "ins", "beim"})


def _joined(text: str, words: Sequence[str], vocabulary: Vocabulary) -> None:
    """Raise :class:`JoinedError` when ``und``/``oder`` (``and``/``or``) joins two verbs (``genehmigen
    oder umsetzen``) or two names that each start with an article (``der Regierungsrat oder der
    Planungsausschuss``): the answer of such a question is not one answer. A name with ``und`` in it
    (``Departement für Bau und Umwelt``) is no join: no article follows its ``und``."""
    plain = [w.strip(grammar.PUNCTUATION) if not re.search(r"\s", w) else w for w in words]

    def verb(w: str) -> bool:
        return not re.search(r"\s", w) and vocabulary.verb(w) is not None and w[:1].islower()

    def article(w: str) -> bool:
        return w.casefold() in _JOIN_ARTICLES

    def boundary(w: str) -> bool:
        return article(w) or verb(w) or normalise(w) in grammar.KEYWORDS or normalise(w) in _JOINS

    for i in range(1, len(plain) - 1):
        if re.search(r"\s", plain[i]) or normalise(plain[i]) not in _JOINS:
            continue
        if verb(plain[i - 1]) and verb(plain[i + 1]):
            first, second = (i - 1, i), (i + 1, i + 2)
            what = "verbs"
        elif article(plain[i + 1]):
            start = next((k for k in range(i - 1, -1, -1) if article(plain[k])), None)
            if start is None:
                start = i
                while start > 0 and not boundary(plain[start - 1]):
                    start -= 1
            end = i + 2
            while end < len(plain) and not boundary(plain[end]):
                end += 1
            if start == i:
                continue
            first, second = (start, i), (i + 1, end)
            what = "names"
        else:
            continue
        raise _join_error(text, words, plain[i], first, second, what)


def _join_error(text: str, words: Sequence[str], join: str, first: tuple[int, int], second: tuple[int, int],
                what: str) -> JoinedError:
    language = grammar.language_of(words)
    asked = text.rstrip().endswith("?")
    words = [*words[:-1], words[-1].rstrip("?")] if words else []
    before, after = list(words[:first[0]]), list(words[second[1]:])
    one = quote([*before, *words[first[0]:first[1]], *after]) + ("?" if asked else "")
    two = quote([*before, *words[second[0]:second[1]], *after]) + ("?" if asked else "")
    message = (_JOINED_VERBS if what == "verbs" else _JOINED_NAMES)
    return JoinedError(say(language, message, text=text, word=join, first=one, second=two), text, (one, two),
                       language)


_JOINED_NAMES = N_("the question `{text}` joins two names with `{word}`: ask one at a time, `{first}` and "
                   "`{second}`")
_JOINED_VERBS = N_("the question `{text}` joins two verbs with `{word}`: ask one at a time, `{first}` and "
                   "`{second}`")


def _joined_name(query: Query, policy: Policy, err: UnknownNameError) -> JoinedError | None:
    """For an unknown name that is two known names joined by ``und``/``oder`` (``RR oder PA``),
    the error that says to ask one at a time; None otherwise."""
    parts = err.name.split()
    words = list(getattr(query, "words", ()))
    for i, part in enumerate(parts[1:-1], start=1):
        if normalise(part) not in _JOINS:
            continue
        left, right = " ".join(parts[:i]), " ".join(parts[i + 1:])
        try:
            policy.resolve(left)
            policy.resolve(right)
        except PolicyError:
            continue
        question = [w for w in shlex.split(_APOSTROPHES.sub(r"\1 is", query.text))] if query.text else words
        for start in range(len(question) - len(parts) + 1):
            if [w.strip(grammar.PUNCTUATION) for w in question[start:start + len(parts)]] == parts:
                return _join_error(query.text, question, part, (start, start + i),
                                   (start + i + 1, start + len(parts)), "names")
    return None


# -- splitting words into names -----------------------------------------------------------------------


def variants(words: Sequence[str]) -> list[str]:
    """The names a run of words may stand for, as typed first: without a leading article
    (``der Regierungsrat``, ``the Strategie``), then without a genitive ending
    (``des Steuerungsausschusses`` → ``Steuerungsausschuss``)."""
    words = list(words)
    out = [" ".join(words)]
    if len(words) > 1 and words[0].casefold() in _ARTICLES and not re.search(r"\s", words[0]):
        words = words[1:]
        out.append(" ".join(words))
    last = words[-1] if words else ""
    if not re.search(r"\s", last):
        for ending in ("es", "s"):
            if len(last) > len(ending) + 3 and last.casefold().endswith(ending):
                out.append(" ".join([*words[:-1], last[:-len(ending)]]))
    return list(dict.fromkeys(out))


def _status(policy: Policy, words: Sequence[str], kinds: Sequence[str] | None) -> tuple[int, str]:
    """2: one of the variants resolves, 1: one is ambiguous, 0: none names anything; and the
    variant to ask with (for 0: the words without their article, so the error names the name)."""
    found = variants(words)
    ambiguous = None
    for name in found:
        try:
            policy.resolve(name, kinds)
            return 2, name
        except AmbiguousNameError:
            ambiguous = ambiguous or name
        except UnknownNameError:
            pass
    if ambiguous is not None:
        return 1, ambiguous
    return 0, found[1] if len(found) > 1 and found[1] != found[0] and words[0].casefold() in _ARTICLES \
        else found[0]


def name_of(policy: Policy, words: Sequence[str], kinds: Sequence[str] | None = None) -> str:
    """The one name ``words`` stand for (see :func:`variants`)."""
    if len(words) == 1 and re.search(r"\s", words[0]):
        return words[0]
    return _status(policy, words, kinds)[1]


def split_names(policy: Policy, words: Sequence[str], kinds: Sequence[Sequence[str]]) -> list[str]:
    """Split ``words`` into ``len(kinds)`` names, each naming an entity of its kinds.

    Every split into contiguous, non-empty parts is tried, the longest first part first
    (then the longest second): the first split whose every part resolves (as typed, without
    its article or its genitive ending) wins. When none does, the split with the most parts
    that name something (or name several things), then with the most parts that start with an
    article (``der Regierungsrath | die Strategie``), is returned, so that asking with it raises
    the error about the part that does not. A word containing a space (a quoted name) is
    never joined with another.
    """
    n, k = len(words), len(kinds)
    if k == 1:
        return [name_of(policy, words, kinds[0])]
    known: dict[tuple[int, int, int], tuple[int, str]] = {}

    def status(start: int, end: int, which: int) -> tuple[int, str]:
        key = (start, end, which)
        if key not in known:
            part = words[start:end]
            if len(part) > 1 and any(re.search(r"\s", w) for w in part):
                known[key] = (0, " ".join(part))
            elif len(part) == 1 and re.search(r"\s", part[0]):
                known[key] = (2, part[0])
            else:
                known[key] = _status(policy, part, kinds[which])
        return known[key]

    splits = []
    for cuts in itertools.combinations(range(1, n), k - 1):
        bounds = (0, *cuts, n)
        lengths = [bounds[i + 1] - bounds[i] for i in range(k)]
        states = [status(bounds[i], bounds[i + 1], i) for i in range(k)]
        splits.append((lengths, states))
    by_preference = sorted(splits, key=lambda s: [-length for length in s[0]])
    for _lengths, states in by_preference:
        if all(s == 2 for s, _ in states):
            return [name for _state, name in states]
    def likely(split: tuple[list[int], list[tuple[int, str]]]) -> tuple[int, int]:
        """Parts that name something, then parts that start where an article does."""
        lengths, states = split
        starts = itertools.accumulate(lengths[:-1])
        return (sum(1 for state, _ in states if state),
                sum(1 for at in starts if words[at].casefold() in _ARTICLES))

    _best, states = max(by_preference, key=likely)  # first of the best
    return [name for _state, name in states]


# -- queries --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Query:
    """A parsed query: ``text`` as the user wrote it; :meth:`ask` asks a policy."""

    text: str
    why: bool = field(default=False, kw_only=True)
    """Asked why (``warum``, ``why``): the answer comes with its explanation."""
    language: str | None = field(default=None, kw_only=True)
    """The language the question was asked in (``de``, ``en``); None for Datalog."""
    at: datetime.date | None = field(default=None, kw_only=True)
    """The date the question names (``am 1.3.2026``, ``on 2026-03-01``): asked of :meth:`Policy.at`."""

    kind = "query"

    def parts(self) -> tuple[tuple[str, ...], ...]:
        """The words of each name slot of the question (for checking completeness)."""
        return ()

    def minimum(self) -> int:
        """The fewest words the question's names take."""
        return 0

    def read(self, policy: Policy) -> Query:
        """The query itself, read with the policy's verbs when it was parsed without them."""
        return self

    def ask(self, policy: Policy) -> Reply:
        """The reply of ``policy`` (as of the question's date, when it names one). A name that
        joins two names with ``und``/``oder`` (``Regierungsrat oder Planungsausschuss``) raises a
        :class:`JoinedError` with the two questions to ask instead."""
        try:
            return self._ask(policy.at(self.at) if self.at is not None else policy)
        except UnknownNameError as err:
            joined = _joined_name(self, policy, err)
            if joined is None:
                raise
            raise joined from None

    def _ask(self, policy: Policy) -> Reply:
        raise NotImplementedError

    def explanation(self, policy: Policy) -> Explanation:
        """The full explanation of the answer (the proof tree or the why-not)."""
        explanation = self.ask(policy).explanation
        assert explanation is not None
        return explanation


@dataclass(frozen=True)
class Question(Query):
    """A question not read yet: read with the policy's vocabulary when it is asked."""

    words: tuple[str, ...] = ()

    def reading(self, vocabulary: Vocabulary) -> Query:
        """The query the words state, read with ``vocabulary``."""
        return read(self, vocabulary)

    def read(self, policy: Policy) -> Query:
        return self.reading(policy.vocabulary)

    def ask(self, policy: Policy) -> Reply:
        return self.read(policy).ask(policy)

    def explanation(self, policy: Policy) -> Explanation:
        return self.read(policy).explanation(policy)


@dataclass(frozen=True)
class May(Query):
    """``darf AKTEUR OBJEKT VERB``, ``may ACTOR ACTION OBJECT`` (``action``: the verb's action,
    when the grammar found it; otherwise the words hold the action too)."""

    words: tuple[str, ...] = ()
    action: str | None = None
    cut: int | None = None
    """Where the actor's words end, when the question says it (``der Regierungsrat darf ...``)."""
    kind = "may"

    def parts(self) -> tuple[tuple[str, ...], ...]:
        if self.cut is not None:
            return (self.words[:self.cut], self.words[self.cut:])
        return (self.words,)

    def minimum(self) -> int:
        return 1 if self.cut is not None else 2 if self.action else 3

    def _ask(self, policy: Policy) -> Reply:
        if self.action is not None and self.cut is not None:
            actor = name_of(policy, self.words[:self.cut], ACTOR_KINDS)
            obj = name_of(policy, self.words[self.cut:], OBJECT_KINDS)
            return DecisionReply(self, policy.may(actor, self.action, obj))
        if self.cut is not None:  # "the Regierungsrat may approve the Strategie": the action leads the rest
            action, obj = split_names(policy, self.words[self.cut:], (ACTION_KINDS, OBJECT_KINDS))
            actor = name_of(policy, self.words[:self.cut], ACTOR_KINDS)
            return DecisionReply(self, policy.may(actor, action, obj))
        if self.action is not None:
            actor, obj = split_names(policy, self.words, (ACTOR_KINDS, OBJECT_KINDS))
            return DecisionReply(self, policy.may(actor, self.action, obj))
        actor, action, obj = split_names(policy, self.words, (ACTOR_KINDS, ACTION_KINDS, OBJECT_KINDS))
        return DecisionReply(self, policy.may(actor, action, obj))


@dataclass(frozen=True)
class IsConsumer(Query):
    """``ist EINHEIT Leistungsbezügerin``, ``is UNIT a consumer``, ``is consumer UNIT``."""

    words: tuple[str, ...] = ()
    kind = "is_consumer"

    def parts(self) -> tuple[tuple[str, ...], ...]:
        return (self.words,)

    def minimum(self) -> int:
        return 1

    def _ask(self, policy: Policy) -> Reply:
        return DecisionReply(self, policy.is_consumer(name_of(policy, self.words, ("unit",))))


@dataclass(frozen=True)
class WhoMay(Query):
    """``wer darf OBJEKT VERB``, ``wer VERB OBJEKT``, ``who may ACTION OBJECT``, ``who VERB OBJECT``."""

    words: tuple[str, ...] = ()
    action: str | None = None
    kind = "who_may"

    def parts(self) -> tuple[tuple[str, ...], ...]:
        return (self.words,)

    def minimum(self) -> int:
        return 1 if self.action else 2

    def _ask(self, policy: Policy) -> Reply:
        if self.action is not None:
            action, obj = self.action, name_of(policy, self.words, OBJECT_KINDS)
        else:
            action, obj = split_names(policy, self.words, (ACTION_KINDS, OBJECT_KINDS))
        return ListReply(self, policy.who_may(action, obj), lambda args: str(args[0]))


@dataclass(frozen=True)
class WhatMay(Query):
    """``was darf AKTEUR``, ``what may ACTOR``."""

    words: tuple[str, ...] = ()
    kind = "what_may"

    def parts(self) -> tuple[tuple[str, ...], ...]:
        return (self.words,)

    def minimum(self) -> int:
        return 1

    def _ask(self, policy: Policy) -> Reply:
        return ListReply(self, policy.what_may(name_of(policy, self.words, ACTOR_KINDS)),
                         lambda args: f"{args[1]} {args[2]}" if len(args) == 3 else "")


_LISTS: dict[str, tuple[Callable[[Policy], Callable[[str], Answers]], int, tuple[str, ...]]] = {
    "who_serves": (lambda p: p.who_serves, 0, ("unit",)),
    "members": (lambda p: p.members, 1, ("body",)),
    "chair": (lambda p: p.chair, 1, ("body",)),
    "responsible_for": (lambda p: p.responsible_for, 0, ("unit",)),
}


@dataclass(frozen=True)
class ListQuestion(Query):
    """``wer erbringt Leistungen für EINHEIT``, ``Mitglieder des GREMIUMS``, ``wer hat den Vorsitz
    im GREMIUM``, ``wer ist für EINHEIT verantwortlich`` and their English forms."""

    question: str = "members"
    words: tuple[str, ...] = ()
    count: bool = False
    """Asked how many (``wie viele Mitglieder hat ...``): the answer leads with the number."""

    @property
    def kind(self) -> str:  # type: ignore[override]
        return self.question

    def parts(self) -> tuple[tuple[str, ...], ...]:
        return (self.words,)

    def minimum(self) -> int:
        return 1

    def _ask(self, policy: Policy) -> Reply:
        method, position, kinds = _LISTS[self.question]
        reply = CountReply if self.count else ListReply
        answers = method(policy)(name_of(policy, self.words, kinds))
        return reply(self, answers, lambda args: str(args[position]))


@dataclass(frozen=True)
class Delegations(Query):
    """``wer hat OBJEKT an wen delegiert``, ``who delegated OBJECT``, ``delegations [of OBJECT]``."""

    words: tuple[str, ...] = ()
    kind = "delegations"

    def parts(self) -> tuple[tuple[str, ...], ...]:
        return (self.words,)

    def _ask(self, policy: Policy) -> Reply:
        answers = policy.delegations(name_of(policy, self.words, OBJECT_KINDS) if self.words else None)
        return DelegationsReply(self, answers, str)


@dataclass(frozen=True)
class Holds(Query):
    """A yes/no question about two names: ``ist AKTEUR Mitglied im GREMIUM`` (``member``), ``hat
    AKTEUR den Vorsitz im GREMIUM`` (``chair``), ``erbringt X Leistungen für EINHEIT`` (``serves``),
    and their English forms; answered by :meth:`Policy.holds` with its proof or why-not."""

    words: tuple[str, ...] = ()
    relation: str = "member"
    cut: int | None = None
    """Where the first name's words end, when the question says it."""

    @property
    def kind(self) -> str:  # type: ignore[override]
        return {"member": "is_member", "chair": "is_chair"}.get(self.relation, "is_" + self.relation)

    def parts(self) -> tuple[tuple[str, ...], ...]:
        return (self.words[:self.cut], self.words[self.cut:]) if self.cut is not None else (self.words,)

    def minimum(self) -> int:
        return 1 if self.cut is not None else 2

    def _ask(self, policy: Policy) -> Reply:
        first_kinds, second_kinds = _HOLDS[self.relation]
        if self.cut is not None:
            first = policy.resolve(name_of(policy, self.words[:self.cut], first_kinds), first_kinds)
            second = policy.resolve(name_of(policy, self.words[self.cut:], second_kinds), second_kinds)
        else:
            one, two = split_names(policy, self.words, (first_kinds, second_kinds))
            first, second = policy.resolve(one, first_kinds), policy.resolve(two, second_kinds)
        if self.relation == "serves":
            subject, other = first, second
            row = f"serves({format_value(first.id)}, {format_value(second.id)})"
        else:  # member(body, actor), chair(body, role): the question names the actor first
            subject, other = second, first
            row = f"{self.relation}({format_value(second.id)}, {format_value(first.id)})"
        return HoldsReply(self, policy.holds(row), subject, other, policy)


_HOLDS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "member": (("role", "unit", "person", "function", "body"), ("body",)),
    "chair": (("role", "person"), ("body",)),
    "serves": (("body", "unit", "role"), ("unit",)),
}
"""The kinds of the two names of a :class:`Holds` question, in the order the question names them."""


@dataclass(frozen=True)
class Datalog(Query):
    """An ad-hoc Datalog query for :meth:`Policy.ask`."""

    kind = "datalog"

    def _ask(self, policy: Policy) -> Reply:
        return DatalogReply(self, policy.ask(self.text), policy)

    def explanation(self, policy: Policy) -> Explanation:
        """The proof (or why-not) of a ground atom: ``member(steuerungsausschuss, staatsschreiber)``."""
        return policy.explain(self.text)


# -- replies --------------------------------------------------------------------------------------


class Style:
    """Terminal styling: bold headlines, green yes, red no; plain when ``enabled`` is false."""

    def __init__(self, enabled: bool = False) -> None:
        self.enabled = enabled

    def _wrap(self, code: str, text: str) -> str:
        return f"\033[{code}m{text}\033[0m" if self.enabled else text

    def bold(self, text: str) -> str:
        return self._wrap("1", text)

    def yes(self, text: str) -> str:
        return self._wrap("1;32", text)

    def no(self, text: str) -> str:
        return self._wrap("1;31", text)

    def dim(self, text: str) -> str:
        return self._wrap("2", text)


PLAIN = Style(False)


def _indent(text: str, by: str = "  ") -> str:
    return "\n".join(by + line if line else line for line in text.splitlines())


@overload
def entity_json(entity: Entity) -> dict[str, str]: ...
@overload
def entity_json(entity: None) -> None: ...
@overload
def entity_json(entity: Entity | None) -> dict[str, str] | None: ...
def entity_json(entity: Entity | None) -> dict[str, str] | None:
    return None if entity is None else {"id": entity.id, "name": entity.name, "kind": entity.kind}


@dataclass
class Reply:
    """The answer to a query, ready to print."""

    query: Query

    @property
    def denied(self) -> bool:
        """A yes/no question answered no (what ``--fail-on-deny`` fails on)."""
        return False

    @property
    def explanation(self) -> Explanation | None:
        return None

    def text(self, style: Style = PLAIN, explain: bool = False) -> str:
        raise NotImplementedError

    def json(self) -> dict[str, Any]:
        raise NotImplementedError

    def _head(self, style: Style, answer: str) -> str:
        return f"{style.bold(self.query.text)}: {answer}"


@dataclass
class DecisionReply(Reply):
    """A yes/no answer: ``may`` or ``is ... a consumer``."""

    decision: Decision

    @property
    def denied(self) -> bool:
        return not self.decision.allowed

    @property
    def explanation(self) -> Explanation:
        return self.decision.explanation

    def text(self, style: Style = PLAIN, explain: bool = False) -> str:
        lang = self.explanation.lang
        if not self.decision.determined:
            answer = style.no(phrase(lang, "undetermined by the text"))
        else:
            answer = style.yes(phrase(lang, "yes")) if self.decision.allowed else style.no(phrase(lang, "no"))
        why = self.explanation.render() if explain or self.query.why else self.explanation.summary
        return self._head(style, answer) + "\n" + _indent(why)

    def json(self) -> dict[str, Any]:
        d = self.decision
        out: dict[str, Any] = {"query": self.query.text, "kind": self.query.kind, "allowed": d.allowed}
        if self.query.kind == "may":
            out.update(actor=entity_json(d.actor), action=entity_json(d.action), object=entity_json(d.object))
        else:
            out["unit"] = entity_json(d.subject)
        out["resolved"] = d.question
        out.update(status=d.status, determined=d.determined, open_questions=_open_json(d.open_questions))
        out["interpretations"] = list(d.interpretations)
        out["explanation"] = self.explanation.model_dump(mode="json")
        return _dated_json(self.query, out)


@dataclass
class HoldsReply(DecisionReply):
    """The answer to ``ist X Mitglied im Y?`` and its kin: a sentence in the answer's language,
    then the proof or the why-not."""

    first: Entity
    second: Entity
    policy: Policy

    def text(self, style: Style = PLAIN, explain: bool = False) -> str:
        lang = self.explanation.lang
        holds = self.decision.allowed
        message = _HOLDS_SAID[self.query.kind][0 if holds else 1]
        forms = self.policy._n  # the names with the German forms the data gives them
        named = {"body": forms(self.first), "actor": forms(self.second)}
        if self.query.kind == "is_serves":
            named = {"unit": forms(self.second), "actor": forms(self.first)}
        if not self.decision.determined:
            answer = style.no(phrase(lang, "undetermined by the text"))
        else:
            answer = style.yes(phrase(lang, "yes")) if holds else style.no(phrase(lang, "no"))
        said = say(lang, message, **named)
        why = self.explanation.render() if explain or self.query.why else self.explanation.summary
        return self._head(style, answer) + "\n" + _indent(said) + "\n" + _indent(why)

    def json(self) -> dict[str, Any]:
        d = self.decision
        out: dict[str, Any] = {"query": self.query.text, "kind": self.query.kind, "allowed": d.allowed}
        if self.query.kind == "is_serves":
            out.update(provider=entity_json(self.first), unit=entity_json(self.second))
        else:
            out.update(actor=entity_json(self.second), body=entity_json(self.first))
        out["resolved"] = d.question
        out.update(status=d.status, determined=d.determined, open_questions=_open_json(d.open_questions))
        out["interpretations"] = list(d.interpretations)
        out["explanation"] = self.explanation.model_dump(mode="json")
        return _dated_json(self.query, out)


_HOLDS_SAID = {
    "is_member": (N_("{actor} is a member of {body}."), N_("{actor} is no member of {body}.")),
    "is_chair": (N_("{actor} chairs {body}."), N_("{actor} does not chair {body}.")),
    "is_serves": (N_("{actor} serves {unit}."), N_("{actor} does not serve {unit}.")),
}


@dataclass
class ListReply(Reply):
    """The answers of a list question, each with the rule that gives it."""

    answers: Answers
    key_of_proof: Callable[[tuple], str]
    """The answer a proof gives, as the key :meth:`rule_of` maps: from the proof's atom's arguments."""

    @property
    def explanation(self) -> Explanation:
        return self.answers.explanation

    def rule_of(self) -> dict[str, str]:
        """Answer key (an id, or ``action object`` for what may) → the id of the rule that gives it."""
        return {self.key_of_proof(p.args): p.id or "" for p in self.explanation.proofs}

    def text(self, style: Style = PLAIN, explain: bool = False) -> str:
        n, lang = len(self.answers), self.explanation.lang
        counted = phrase(lang, "1 answer") if n == 1 else say(lang, "{n} answers", n=str(n))
        lines = [self._head(style, counted if n else style.no(phrase(lang, "none")))]
        if explain or self.query.why:
            lines.append(_indent(self.explanation.render()))
            return "\n".join(lines)
        rules = self.rule_of()
        for a in self.answers:
            if isinstance(a, Permission):
                label, key = _doing(lang, a.action, a.object), f"{a.action.id} {a.object.id}"
            elif isinstance(a, Delegation):
                what = _doing(lang, a.action, a.object) + (f" ({a.task.name})" if a.task is not None else "")
                label = f"{' → '.join(e.name for e in a.chain)}: {what}" + (
                    "" if a.effective else "   " + phrase(lang, "(passes nothing on)"))
                key = a.id
            else:
                label = a.name if a.name == a.id else f"{a.name} ({a.id})"
                key = a.id
                mark = self.answers.marks.get(a.id)
                if mark is not None:
                    label += f" — {phrase(lang, _MARKS.get(mark, mark))}"
            rule = rules.get(key)
            lines.append(f"  {label}" + (style.dim(f"   [{rule}]") if rule else ""))
        if not n:
            lines.append(_indent(self.explanation.summary))
        lines += self._open_lines(style, lang)
        return "\n".join(lines)

    def _open_lines(self, style: Style, lang: str = "en") -> list[str]:
        """The candidates the text does not decide for the date, and what it leaves open."""
        lines = []
        if self.answers.undetermined:
            names = ", ".join(_doing(lang, a.action, a.object) if isinstance(a, Permission) else a.name
                              for a in self.answers.undetermined)
            lines.append(f"  {style.no(phrase(lang, 'undetermined by the text'))}: {names}")
        for q in self.answers.open_questions:
            lines.append("  " + say(lang, "open: {question}", question=q.render())
                         + (f" [{', '.join(q.answers)}]" if q.answers else ""))
        return lines

    def json(self) -> dict[str, Any]:
        lang = self.explanation.lang
        answers: list[dict[str, Any]] = []
        for a in self.answers:
            if isinstance(a, Permission):  # its name as the language says it: "Strategie genehmigen"
                answers.append({"id": a.id, "name": _doing(lang, a.action, a.object),
                                "action": entity_json(a.action), "object": entity_json(a.object)})
            elif isinstance(a, Delegation):
                answers.append({"id": a.id, "name": a.name, "delegator": entity_json(a.delegator),
                                "delegate": entity_json(a.delegate), "action": entity_json(a.action),
                                "object": entity_json(a.object), "task": entity_json(a.task),
                                "chain": [entity_json(e) for e in a.chain], "effective": a.effective})
            else:
                entity = entity_json(a)
                mark = self.answers.marks.get(a.id)
                answers.append(entity if mark is None else {**entity, "mark": mark})
            resting = self.answers.answer_interpretations.get(answers[-1]["id"])
            if resting:
                answers[-1]["interpretations"] = list(resting)
        undetermined = [{"id": a.id, "name": _doing(lang, a.action, a.object)} if isinstance(a, Permission)
                        else entity_json(a)
                        for a in self.answers.undetermined]
        return _dated_json(self.query, {
            "query": self.query.text, "kind": self.query.kind, "answers": answers,
            "undetermined": undetermined, "open_questions": _open_json(self.answers.open_questions),
            "resolved": self.answers.question, "interpretations": list(self.answers.interpretations),
            "explanation": self.explanation.model_dump(mode="json")})


@dataclass
class CountReply(ListReply):
    """``wie viele Mitglieder hat GREMIUM?``, ``how many members does BODY have?``: the number,
    then the members. A class of members the text leaves open makes it "at least"."""

    def counted(self) -> tuple[int, bool]:
        """The members the text names, and whether it leaves further ones open."""
        marks = self.answers.marks
        named = sum(1 for a in self.answers if marks.get(a.id) != "open class")
        return named, named != len(self.answers)

    def text(self, style: Style = PLAIN, explain: bool = False) -> str:
        lang = self.explanation.lang
        n, more = self.counted()
        if more:
            number = say(lang, "at least {n} members", n=str(n))
        else:
            number = phrase(lang, "1 member") if n == 1 else say(lang, "{n} members", n=str(n))
        lines = super().text(style, explain).splitlines()
        lines[0] = self._head(style, number)
        return "\n".join(lines)

    def json(self) -> dict[str, Any]:
        n, more = self.counted()
        return {**super().json(), "count": n, "at_least": more}


def _dated_json(query: Query, out: dict[str, Any]) -> dict[str, Any]:
    """``out`` with the question's date (``at``), when it names one."""
    return out if query.at is None else {**out, "at": query.at.isoformat()}


def _doing(lang: str, action: Entity, obj: Entity) -> str:
    """An action on an object as a list shows it: ``approve Strategie``, ``Strategie genehmigen``
    (the action's id is its English verb, its name the German one)."""
    verb = action.id if lang == "en" or action.kind != "action" else action.name
    if lang != "en" and obj.name.casefold() in verb.casefold().split():
        return verb  # "Erfahrungen austauschen" names its object already
    return say(lang, "{action} {object}", action=verb, object=obj.name)


def _open_json(questions: Sequence[OpenQuestion]) -> list[dict[str, Any]]:
    """What the text leaves open, for JSON output (the proofs are in the explanation)."""
    return [{"subject": entity_json(q.subject), "summary": q.summary, "citation": q.citation, "id": q.id,
             "answers": list(q.answers)} for q in questions]


@dataclass
class DelegationsReply(ListReply):
    """The delegations, each with the rule of its proof: the delegation step, or the stated delegation."""

    def rule_of(self) -> dict[str, str]:
        rules = {}
        for p in self.explanation.proofs:
            a = [str(v) for v in p.args]
            key = " ".join([a[1], a[0], *a[2:]] if p.predicate == "delegated_may" else a)
            rules[key] = p.id or ""
        return rules


_MARKS = {"partner": N_("partner"), "open class": N_("further members the text leaves open")}
"""How a list shows a marked answer (Answers.marks)."""


def json_value(value: Any) -> Any:
    """A value of the rule language as JSON: dates as ISO strings."""
    return value.isoformat() if isinstance(value, datetime.date) else value


@dataclass
class DatalogReply(Reply):
    """The answers of an ad-hoc Datalog query: one dict of variable values per answer."""

    rows: tuple[dict[str, Any], ...]
    policy: Policy

    def text(self, style: Style = PLAIN, explain: bool = False) -> str:
        rows = self.rows
        lang = self.policy.language
        if not rows:
            head = self._head(style, style.no(phrase(lang, "no")))
        elif rows == ({},):
            head = self._head(style, style.yes(phrase(lang, "yes")))
        else:
            n = len(rows)
            counted = phrase(lang, "1 answer") if n == 1 else say(lang, "{n} answers", n=str(n))
            head = self._head(style, counted)
        lines = [head]
        grounded = self._grounded() if explain else []
        for i, row in enumerate(rows):
            if row:
                lines.append("  " + ", ".join(f"{k} = {format_value(v)}" for k, v in row.items()))
            ground = grounded[i] if explain else None
            if ground is not None:
                lines.append(_indent(self.policy.explain(ground).render(), "    " if row else "  "))
        if explain and not rows:
            ground = self._grounded_text()
            if ground is not None:
                lines.append(_indent(self.policy.explain(ground).render()))
        return "\n".join(lines)

    def _atom(self) -> Atom | None:
        query = parse_query(self.query.text)
        if len(query.body) == 1 and isinstance(query.body[0], Atom):
            return query.body[0]
        return None

    def _grounded_text(self) -> str | None:
        atom = self._atom()
        if atom is not None and all(isinstance(t, Constant) for t in atom.args):
            return format_atom(atom)
        return None

    def _grounded(self) -> list[str | None]:
        """Each answer as the ground atom it makes true, when the query is a single atom whose
        variables are all named (so each answer fixes every argument)."""
        atom = self._atom()
        out: list[str | None] = []
        for row in self.rows:
            if atom is None or any(isinstance(t, Variable) and t.name not in row for t in atom.args):
                out.append(None)
                continue
            args = tuple(Constant(row[t.name]) if isinstance(t, Variable) else t for t in atom.args)
            out.append(format_atom(Atom(atom.predicate, args)))
        return out

    def json(self) -> dict[str, Any]:
        return {"query": self.query.text, "kind": "datalog",
                "answers": [{k: json_value(v) for k, v in row.items()} for row in self.rows]}


def error_json(text: str, err: PolicyError) -> dict[str, Any]:
    """The JSON line for a query that could not be answered."""
    if isinstance(err, UnknownNameError):
        detail: dict[str, Any] = {"type": "unknown-name", "name": err.name,
                                  "suggestions": [entity_json(e) for e in err.suggestions]}
    elif isinstance(err, AmbiguousNameError):
        detail = {"type": "ambiguous-name", "name": err.name,
                  "candidates": [entity_json(e) for e in err.candidates]}
    elif isinstance(err, JoinedError):
        detail = {"type": "joined", "language": err.language, "nearest": err.nearest,
                  "questions": list(err.questions)}
    elif isinstance(err, QuestionError):
        detail = {"type": "unknown-form", "language": err.language, "nearest": err.nearest}
    elif err.diagnostics and err.diagnostics[0].code == "syntax":
        span = err.diagnostics[0].span
        detail = {"type": "syntax", "line": span.line if span else None, "col": span.col if span else None}
    else:
        detail = {"type": "query"}
    return {"query": text, "error": {**detail, "message": str(err)}}
