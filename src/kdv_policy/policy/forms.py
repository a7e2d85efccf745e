"""The question forms each language reads, and the nearest one to a question it cannot read.

:data:`FORMS` lists the forms, German first, as the help and the docs show them. When the
grammar (:mod:`kdv_policy.policy.grammar`) cannot read a question, :func:`nearest` picks the
form whose own words the question shares most, and fills its slots with the question's words:
"wer entscheidet über die Strategie" → ``wer darf die Strategie VERB?``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from kdv_policy.policy.grammar import CONTRACTIONS, KEYWORDS, Word
from kdv_policy.policy.names import normalise


@dataclass(frozen=True)
class Form:
    """A question form: its template (``{actor}``, ``{object}``, ``{verb}``, ... are slots)."""

    template: str
    language: str
    kind: str

    @property
    def keywords(self) -> list[str]:
        """The form's own words, normalised, contractions spelt out."""
        out: list[str] = []
        for word in re.sub(r"\{\w+\}", " ", self.template).replace("?", " ").split():
            out.extend(CONTRACTIONS.get(word.casefold(), (word,)))
        return [normalise(w) for w in out]

    @property
    def slots(self) -> list[str]:
        return re.findall(r"\{(\w+)\}", self.template)


_DE = (
    ("may", "darf {actor} {object} {verb}?"),
    ("who_may", "wer darf {object} {verb}?"),
    ("what_may", "was darf {actor}?"),
    ("who_may", "wer {verb} {object}?"),
    ("who_serves", "wer erbringt Leistungen für {unit}?"),
    ("members", "wer ist Mitglied im {body}?"),
    ("members", "Mitglieder des {body}"),
    ("chair", "wer hat den Vorsitz im {body}?"),
    ("responsible_for", "wer ist für {unit} verantwortlich?"),
    ("is_consumer", "ist {unit} Leistungsbezügerin?"),
    ("delegations", "wer hat {object} an wen delegiert?"),
    ("may", "warum darf {actor} {object} nicht {verb}?"),
    ("may", "{actor} darf {object} {verb}?"),
    ("may", "{verb} {actor} {object}?"),
    ("is_member", "ist {actor} Mitglied im {body}?"),
    ("is_chair", "hat {actor} den Vorsitz im {body}?"),
    ("chair", "wer ist Vorsitzender des {body}?"),
    ("members", "wie viele Mitglieder hat {body}?"),
    ("is_serves", "erbringt {actor} Leistungen für {unit}?"),
)
_EN = (
    ("may", "may {actor} {verb} {object}?"),
    ("who_may", "who may {verb} {object}?"),
    ("what_may", "what may {actor} do?"),
    ("who_may", "who {verb} {object}?"),
    ("who_serves", "who serves {unit}?"),
    ("members", "who is a member of {body}?"),
    ("members", "members of {body}"),
    ("chair", "who chairs {body}?"),
    ("chair", "chair of {body}"),
    ("responsible_for", "who is responsible for {unit}?"),
    ("is_consumer", "is {unit} a consumer?"),
    ("delegations", "who delegated {object} to whom?"),
    ("delegations", "delegations of {object}"),
    ("may", "why may {actor} not {verb} {object}?"),
    ("may", "{actor} may {verb} {object}?"),
    ("may", "does {actor} {verb} {object}?"),
    ("is_member", "is {actor} a member of {body}?"),
    ("is_chair", "is {actor} the chair of {body}?"),
    ("chair", "who's the chair of {body}?"),
    ("members", "how many members does {body} have?"),
    ("is_serves", "does {actor} serve {unit}?"),
)
FORMS: dict[str, tuple[Form, ...]] = {
    "de": tuple(Form(t, "de", k) for k, t in _DE),
    "en": tuple(Form(t, "en", k) for k, t in _EN),
}
"""The question forms of each language, German first."""

PLACEHOLDERS = {
    "de": {"actor": "AKTEUR", "object": "OBJEKT", "verb": "VERB", "unit": "EINHEIT", "body": "GREMIUM"},
    "en": {"actor": "ACTOR", "object": "OBJECT", "verb": "ACTION", "unit": "UNIT", "body": "BODY"},
}
_NAME_KINDS = frozenset({"WORD", "NAME", "ART"})


@dataclass(frozen=True)
class Nearest:
    """The nearest form, filled with the question's words, and a word that looks like an
    unknown verb (German: a lowercase word that is no word of the question's own)."""

    form: Form
    filled: str
    unknown_verb: str | None


def nearest(words: Sequence[Word], language: str, kind: str | None = None) -> Nearest:
    """The form of ``language`` (of the question ``kind``, when given) nearest to the
    classified ``words``, filled in with them."""
    said = {normalise(w.text) for w in words if w.kind not in _NAME_KINDS or w.kind == "ART"}
    verbs = [w.text for w in words if w.kind == "VERB"]
    unknown = None
    if not verbs:
        unknown = next((w.text for w in words[1:] if w.kind == "WORD" and w.text[:1].islower()
                        and w.text.isalpha() and normalise(w.text) not in _PREPOSITIONS), None)
    groups = _groups([w for w in words if w.text != unknown])
    best: tuple[float, Form] | None = None
    for form in FORMS[language]:
        if kind is not None and form.kind != kind:
            continue
        keys = form.keywords
        shared = sum(k in said for k in keys)
        names = [s for s in form.slots if s != "verb"]
        has_verb = "verb" in form.slots
        score = 2 * shared - (len(keys) - shared) - abs(len(names) - len(groups))
        score += 1 if has_verb == bool(verbs or unknown) else -1
        if best is None or score > best[0]:
            best = (score, form)
    assert best is not None
    return Nearest(best[1], _fill(best[1], groups, verbs, language), unknown)


_PREPOSITIONS = frozenset({"ueber", "about", "mit", "with", "bei", "auf", "on", "at", "zu", "to", "fuer",
                           "for", "von", "of", "in", "an", "aus", "nach", "by"})


def shown(form: Form) -> str:
    """The form as help shows it: ``wer darf OBJEKT VERB?``."""
    return re.sub(r"\{(\w+)\}", lambda m: PLACEHOLDERS[form.language][m.group(1)], form.template)


def _groups(words: Sequence[Word]) -> list[str]:
    """The runs of name words, a new run at each article: ``der Regierungsrat``, ``die Strategie``."""
    groups: list[list[str]] = []
    run = False
    for w in words:
        if w.kind in _NAME_KINDS:
            if not run or w.kind == "ART":
                groups.append([])
            groups[-1].append(w.text)
            run = True
        else:
            run = False
    return [" ".join(g) for g in groups
            if any(KEYWORDS.get(normalise(x)) != "ART" for x in g)  # not an article alone
            and not (len(g) == 1 and g[0][:1].islower() and normalise(g[0]) in _PREPOSITIONS)]


def _fill(form: Form, groups: list[str], verbs: list[str], language: str) -> str:
    names = iter(groups)
    verb = iter(verbs)
    placeholder = PLACEHOLDERS[language]

    def slot(match: re.Match[str]) -> str:
        name = match.group(1)
        if name == "verb":
            return next(verb, placeholder[name])
        text = next(names, placeholder[name])
        before = form.template[:match.start()].split()
        first, _, rest = text.partition(" ")
        if before and rest and KEYWORDS.get(normalise(before[-1])) == "ART" == KEYWORDS.get(normalise(first)):
            return rest  # "Mitglieder des {body}" takes the name without its own article
        return text

    return re.sub(r"\{(\w+)\}", slot, form.template)


LISTED = (
    *(shown(f) for f in FORMS["de"]),
    *(shown(f) for f in FORMS["en"]),
    "a Datalog query such as member(steuerungsausschuss, X)",
)
"""The question forms, German first, as ``--help`` lists them."""
