"""The verbs a question may use, read from the policy directory's ``[[actions]]``.

An action of ``organisation.toml`` names its canonical id (``approve``), its German name
(``genehmigen``), aliases (``verabschieden``, ``approve``) and ``forms``: the inflected forms
people type (``genehmigt``, ``verabschiedet``, ``approves``) and the separable ones, written
as the finite verb and its particle (``nimmt ab``: "wer nimmt die Schwerpunktplanung ab?").
A one-word name, alias or form that starts with a lowercase letter is a verb; a capitalised
one (``Umsetzung``) is a noun and only ever part of a name. Nothing here knows German
grammar: a new verb needs only its entry in the data. :func:`vocabulary_diagnostics` tells
``check`` what of the data a German question or answer cannot use.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from kdv_policy.errors import Diagnostic, Severity
from kdv_policy.language.source import Source, Span
from kdv_policy.policy.names import normalise


@dataclass(frozen=True)
class Vocabulary:
    """Verb words (normalised, ``verabschiedet``) and separable verbs (``(nimmt, ab)``) → action id."""

    verbs: dict[str, str] = field(default_factory=dict)
    separable: dict[tuple[str, str], str] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)
    """Action id → its name (``approve`` → ``genehmigen``), as an error lists the verbs."""

    @classmethod
    def of(cls, actions: Iterable[tuple[str, str, Iterable[str], Iterable[str]]]) -> Vocabulary:
        """The vocabulary of actions given as ``(id, name, aliases, forms)``."""
        verbs: dict[str, str] = {}
        separable: dict[tuple[str, str], str] = {}
        names: dict[str, str] = {}
        for action_id, name, aliases, forms in actions:
            names.setdefault(action_id, name)
            for word in (action_id, name, *aliases, *forms):
                parts = word.split()
                if not parts or not parts[0][:1].islower():
                    continue
                if len(parts) == 1:
                    verbs.setdefault(normalise(word), action_id)
                elif len(parts) == 2 and word in forms:
                    separable.setdefault((normalise(parts[0]), normalise(parts[1])), action_id)
        return cls(verbs, separable, names)

    def verb(self, word: str) -> str | None:
        """The action a one-word verb form names, or None."""
        return self.verbs.get(normalise(word))

    def particles(self) -> set[str]:
        """The particles of the separable verbs (``ab``, ``frei``)."""
        return {particle for _, particle in self.separable}


EMPTY = Vocabulary()


# -- what the vocabulary cannot inflect (``check``) ----------------------------------------------

_CASE_ARTICLES: dict[str, dict[str, tuple[str, ...]]] = {
    "der": {"nominative": ("der",), "genitive": ("des",), "dative": ("dem",), "accusative": ("den",)},
    "das": {"nominative": ("das",), "genitive": ("des",), "dative": ("dem",), "accusative": ("das",)},
    # "die": feminine or plural (the dative plural takes "den")
    "die": {"nominative": ("die",), "genitive": ("der",), "dative": ("der", "den"), "accusative": ("die",)},
}
_CASES = ("nominative", "genitive", "dative", "accusative")
_DECLINED = ("bodies", "units", "objects")
"""The tables whose names answers decline: each needs its article (roles and persons may give one)."""


def vocabulary_diagnostics(directory: object, source: Source, lang: str = "en") -> list[Diagnostic]:
    """Warnings for the verbs and names of a data file that answers and questions cannot use in
    German: an action without a German verb (``verb-name``) or without inflected ``forms``
    (``verb-forms``); a body, unit or object without its ``article`` (``name-article``); a
    masculine or neuter name without its ``genitive`` (``name-genitive``); a case form that does
    not start with its article's case (``name-case``). Each at the ``file:line`` of its entry (or
    of the field), worded in ``lang``. ``directory`` is an organisation or a people directory."""
    from kdv_policy.data.locate import EntryIndex, locate_entry
    from kdv_policy.policy.wording import N_, say

    index = EntryIndex(source)
    out: list[Diagnostic] = []

    def warn(table: str, entry_id: str, field_name: str | None, code: str, message: str, help_text: str,
             **values: str) -> None:
        span = locate_entry(source, f"{table}.{entry_id}", index=index)
        if span is not None and field_name is not None:
            span = _field_span(source, index.lines, span, field_name) or span
        out.append(Diagnostic(code, Severity.WARNING, say(lang, message, **values), span,
                              say(lang, help_text, **values), source))

    for action in getattr(directory, "actions", ()):
        last = action.name.split()[-1]
        if not last[:1].islower() or action.name == action.id:
            warn("actions", action.id, "name", "verb-name",
                 N_("action `{id}` has no German verb: its name `{name}` is no lowercase infinitive"),
                 N_("write the German infinitive as its `name` (`name = \"genehmigen\"`) and the English "
                    "verb as an alias, so questions and answers in both languages can use it"),
                 id=action.id, name=action.name)
        if not action.forms:
            warn("actions", action.id, None, "verb-forms",
                 N_("action `{id}` gives no inflected `forms`: a question with `{name}` inflected "
                    "(\"wer ... ?\") cannot be read"),
                 N_("add the forms people type, e.g. `forms = [\"genehmigt\", \"approves\"]`; a separable "
                    "verb as its finite form and particle, `\"nimmt ab\"`"),
                 id=action.id, name=action.name)
    for table in (*_DECLINED, "roles", "persons"):
        for entry in getattr(directory, table, ()):
            article = getattr(entry, "article", None)
            if article is None:
                if table in _DECLINED:
                    warn(table, entry.id, None, "name-article",
                         N_("`{id}` has no German `article`: answers cannot decline `{name}` "
                            "(\"des ...\", \"dem ...\")"),
                         N_("add `article = \"der\"`, `\"die\"` or `\"das\"` (for `der` and `das` also "
                            "the `genitive`)"),
                         id=entry.id, name=entry.name)
                continue
            if article in ("der", "das") and entry.genitive is None:
                ending = "es" if entry.name[-1:] in ("s", "x", "z") else "s"
                warn(table, entry.id, "article", "name-genitive",
                     N_("`{id}` has the article `{article}` but no `genitive`: answers would write "
                        "`des {name}`"),
                     N_("add the genitive as the name is declined, e.g. `genitive = \"{example}\"`"),
                     id=entry.id, article=article, name=entry.name, example=f"des {entry.name}{ending}")
            for case in _CASES:
                form = getattr(entry, case, None)
                expected = _CASE_ARTICLES[article][case]
                if form is not None and form.split()[0] not in expected:
                    warn(table, entry.id, case, "name-case",
                         N_("the `{case}` of `{id}` is `{form}`, which does not start with `{expected}`"),
                         N_("write the `{case}` with its article, as a sentence needs it (`{article}` → "
                            "`{expected} ...`)"),
                         case=case, id=entry.id, form=form, expected="` or `".join(expected),
                         article=article)
    return sorted(out, key=Diagnostic.sort_key)


def _field_span(source: Source, lines: list[str], entry: Span, field_name: str) -> Span | None:
    """The ``field = ...`` line of the entry whose ``id`` line is ``entry``, if it has one."""
    start = entry.line
    while start > 1 and not lines[start - 1].lstrip().startswith("[["):
        start -= 1
    for number in range(start, len(lines) + 1):
        line = lines[number - 1]
        if number > start and line.lstrip().startswith("[["):
            break
        if re.match(rf"\s*{re.escape(field_name)}\s*=", line):
            col = len(line) - len(line.lstrip()) + 1
            return Span(source.path, number, col, number, len(line.rstrip()) + 1)
    return None
