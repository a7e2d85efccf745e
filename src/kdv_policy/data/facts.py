"""Validated entries → facts: what a data file states, by predicate, and its name table.

A :class:`DataSet` is what loading a data file gives: the facts by predicate, the names
users may type for its entities, and (looked up when asked) where each fact is written.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the pydantic models load with the data files that need them, not with the facts
    from kdv_policy.data.model import OrganisationDirectory, PeopleDirectory
    from kdv_policy.data.origins import Origins

OPEN_END = datetime.date(9999, 12, 31)
"""The ``Until`` of an assignment without an end date."""

DATA_PREDICATES = {
    "unit": 1, "unit_kind": 2, "parent": 2, "administrative_kind": 1, "role": 1, "role_of": 3,
    "body": 1, "in_phase": 2, "established": 2, "phase_started": 2,
}
"""Every predicate a data file gives facts for, with its arity (declared in ``rules/*.dl``)."""

PEOPLE_PREDICATES = {"person": 1, "assignment": 4}
"""Every predicate a people file gives facts for, with its arity (declared in ``rules/people.dl``)."""

FactValue = str | int | datetime.date
Facts = dict[str, list[tuple[FactValue, ...]]]


@dataclass(frozen=True, slots=True)  # one per entity: no dict of its own for each
class NameEntry:
    """A name a user may type for an entity: its official name, abbreviations and aliases."""

    id: str
    kind: str  # unit, role, body, action, object, function or person
    name: str
    abbreviations: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()
    forms: Forms | None = None


@dataclass(frozen=True)
class Forms:
    """The German forms of a name a sentence needs: its article, and the name in the nominative,
    genitive, dative and accusative with its article (the nominative, dative and accusative
    default to the article's case form before the name; the data file gives the genitive of a
    masculine or neuter name, and every form an adjective of the name changes in). A person's
    name without an article has ``article`` ``""`` and the name itself where no form is given."""

    article: str
    nominative: str
    genitive: str
    dative: str
    accusative: str


_ARTICLES = {"der": ("des", "dem", "den"), "die": ("der", "der", "die"), "das": ("des", "dem", "das")}


def forms_of(entry: object) -> Forms | None:
    """The forms of a named entry of the organisation directory (None without an ``article``)."""
    get = _reader(entry)
    article = get("article", None)
    name = get("name", "")
    if article is None:  # a person's name without an article may still give its cases
        given = [get(case, None) for case in ("nominative", "genitive", "dative", "accusative")]
        if not any(given):
            return None
        nominative, genitive, dative, accusative = (form or name for form in given)
        return Forms("", nominative, genitive, dative, accusative)
    gen, dat, acc = _ARTICLES[article]
    return Forms(article, get("nominative", None) or f"{article} {name}",
                 get("genitive", None) or f"{gen} {name}",
                 get("dative", None) or f"{dat} {name}",
                 get("accusative", None) or f"{acc} {name}")


def _reader(entry: object) -> Callable[[str, Any], Any]:
    """``getattr(entry, name, default)`` for the fields of an entry. A validated entry keeps its
    fields in its ``__dict__``, which is read directly: pydantic answers a name that is no field
    of the model (``forms`` of a unit) only after raising and catching an error."""
    fields = getattr(entry, "__dict__", None)
    if fields is not None:
        return fields.get
    return lambda name, default: getattr(entry, name, default)


@dataclass(frozen=True)
class DataSet:
    """What a data file states: ``facts`` by predicate, the ``names`` table and where each
    fact comes from (``origin``). ``directory`` is the validated file: an
    :class:`OrganisationDirectory`, or a :class:`PeopleDirectory` for a people file."""

    path: Path
    directory: OrganisationDirectory | PeopleDirectory
    facts: Facts
    names: list[NameEntry]
    origins: Origins | None = field(default=None, repr=False)

    def origin(self, predicate: str, row: tuple[FactValue, ...]) -> str | None:
        """``file:line: table.id`` of the entry that states a fact, or None."""
        return self.origins.get((predicate, tuple(row))) if self.origins is not None else None


def to_facts(d: OrganisationDirectory) -> tuple[Facts, dict[tuple[str, str], list[tuple[str, tuple]]]]:
    """The facts a directory states, and for each entry ``(table, id)`` the facts it gave."""
    return organisation_facts(d), organisation_entries(d)


def organisation_facts(d: OrganisationDirectory) -> Facts:
    """The facts a directory states, by predicate (in the order of :data:`DATA_PREDICATES`),
    each predicate's rows in file order."""
    units, roles, bodies = d.units, d.roles, d.bodies
    rows: Facts = {
        "unit": [(u.id,) for u in units],
        "unit_kind": [(u.id, u.kind) for u in units],
        "parent": [(u.id, u.parent) for u in units if u.parent is not None],
        "administrative_kind": [(k.id,) for k in d.unit_kinds if k.administration],
        "role": [(r.id,) for r in roles],
        "role_of": [(r.id, r.unit, r.function) for r in roles],
        "body": [(b.id,) for b in bodies],
        "in_phase": [(b.id, b.phase) for b in bodies],
        "established": [(b.id, b.established) for b in bodies if b.established is not None],
        "phase_started": [(p.number, p.started) for p in d.phases if p.started is not None],
    }
    return {predicate: rows[predicate] for predicate in DATA_PREDICATES}


def organisation_entries(d: OrganisationDirectory) -> dict[tuple[str, str], list[tuple[str, tuple]]]:
    """For each entry ``(table, id)`` of a directory, the facts it gives (the rows of
    :func:`organisation_facts`, entry by entry)."""
    by_entry: dict[tuple[str, str], list[tuple[str, tuple]]] = {}

    def add(entry: tuple[str, str], predicate: str, *row: FactValue) -> None:
        by_entry.setdefault(entry, []).append((predicate, row))

    for k in d.unit_kinds:
        if k.administration:
            add(("unit_kinds", k.id), "administrative_kind", k.id)
    for p in d.phases:
        if p.started is not None:
            add(("phases", str(p.number)), "phase_started", p.number, p.started)
    for u in d.units:
        add(("units", u.id), "unit", u.id)
        add(("units", u.id), "unit_kind", u.id, u.kind)
        if u.parent is not None:
            add(("units", u.id), "parent", u.id, u.parent)
    for r in d.roles:
        add(("roles", r.id), "role", r.id)
        add(("roles", r.id), "role_of", r.id, r.unit, r.function)
    for b in d.bodies:
        add(("bodies", b.id), "body", b.id)
        add(("bodies", b.id), "in_phase", b.id, b.phase)
        if b.established is not None:
            add(("bodies", b.id), "established", b.id, b.established)
    return by_entry


def organisation_origins(d: OrganisationDirectory) -> dict[str, list[tuple[str, tuple]]]:
    """:func:`organisation_entries` keyed as :class:`Origins` names entries: ``units.div``."""
    return {f"{table}.{key}": rows for (table, key), rows in organisation_entries(d).items()}


def name_table(d: OrganisationDirectory) -> list[NameEntry]:
    from kdv_policy.data.model import KIND_OF_TABLE, NAMED_TABLES

    """Every named entity of the directory, in file order; then the functions (kind ``function``),
    whose names name the group of roles with the function."""
    return [*(NameEntry(e.id, KIND_OF_TABLE[table], e.name, tuple(e.abbreviations),
                        (*e.aliases, *e.__dict__.get("forms", ())),  # an action's verb forms name it too
                        forms_of(e))
              for table in NAMED_TABLES for e in getattr(d, table)),
            *(NameEntry(f.id, "function", f.name, tuple(f.abbreviations), tuple(f.aliases))
              for f in d.functions)]


def people_facts(d: PeopleDirectory) -> tuple[Facts, dict[str, list[tuple[str, tuple]]]]:
    """The facts a people file states, and for each entry the facts it gave."""
    return people_rows(d), people_entries(d)


def people_rows(d: PeopleDirectory) -> Facts:
    """The facts a people file states, by predicate, each in file order and each row once.
    An open-ended assignment ends on :data:`OPEN_END`."""
    persons = d.persons
    return {
        "person": list(dict.fromkeys([(p.id,) for p in persons])),
        "assignment": list(dict.fromkeys([(p.id, a.role, a.from_, a.until or OPEN_END)
                                          for p in persons for a in p.roles])),
    }


def people_entries(d: PeopleDirectory) -> dict[str, list[tuple[str, tuple]]]:
    """For each entry of a people file (``persons.erika_muster``, ``persons.erika_muster.roles[0]``),
    the facts it gives (the rows of :func:`people_rows`)."""
    by_entry: dict[str, list[tuple[str, tuple]]] = {}
    for person in d.persons:
        entry = f"persons.{person.id}"
        by_entry.setdefault(entry, []).append(("person", (person.id,)))
        for index, a in enumerate(person.roles):
            by_entry.setdefault(f"{entry}.roles[{index}]", []).append(
                ("assignment", (person.id, a.role, a.from_, a.until or OPEN_END)))
    return by_entry


def people_name_table(d: PeopleDirectory) -> list[NameEntry]:
    """Every person of a people file, in file order, as names of kind ``person``."""
    return [NameEntry(p.id, "person", p.name, (), tuple(p.aliases), forms_of(p)) for p in d.persons]
