"""The verbs a question may use, read from the policy directory's ``[[actions]]``.

An action of ``organisation.toml`` names its canonical id (``approve``), its German name
(``genehmigen``), aliases (``verabschieden``, ``approve``) and ``forms``: the inflected forms
people type (``genehmigt``, ``verabschiedet``, ``approves``) and the separable ones, written
as the finite verb and its particle (``nimmt ab``: "wer nimmt die Schwerpunktplanung ab?").
A one-word name, alias or form that starts with a lowercase letter is a verb; a capitalised
one (``Umsetzung``) is a noun and only ever part of a name. Nothing here knows German
grammar: a new verb needs only its entry in the data.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

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
