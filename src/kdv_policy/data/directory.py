"""Organisation data → facts: the directory of units, roles and bodies, validated.

The governance text names bodies (Gremien) and roles ("Departementschef DIV", "alle
Generalsekretäre"); which units and roles a canton actually has is data, not policy. A
policy directory may hold that data as ``organisation.toml`` beside its ``*.dl`` rules::

    [[unit_kinds]]  id, name, administration (part of the cantonal administration?)
    [[functions]]   id, name                      what a role does: departementschef, ...
    [[phases]]      number, name, started?, source?
    [[units]]       id, kind, name, parent?, abbreviations, aliases
    [[roles]]       id, unit (a unit or a body), function, name, abbreviations, aliases
    [[bodies]]      id, name, abbreviations, aliases, phase (default 1), established?, source?
    [[actions]]     id, name, aliases             the verbs users type: verabschieden → approve
    [[objects]]     id, name, aliases             what competences are about: strategie, ...

:func:`load_data` reads and validates it (pydantic v2 models, unknown fields rejected,
every reference checked) and returns a :class:`DataSet`: the facts it states, by
predicate, and a name table for resolving the names users type. Every problem is
reported as ``file: entry: message`` (TOML syntax errors as ``file:line:col``) in one
:class:`~kdv_policy.errors.PolicyLoadError` that names them all.

Facts (each predicate is declared in ``rules/organisation.dl`` or ``rules/dates.dl``)::

    unit(U)  unit_kind(U, K)  parent(U, P)  administrative_kind(K)
    role(R)  role_of(R, Unit_or_body, Function)
    body(B)  in_phase(B, N)  established(B, Date)  phase_started(N, Date)

People are data of their own, in an optional ``people.toml`` that may live anywhere (it is
not part of a policy directory, and a policy without one has no persons)::

    [[persons]]         id, name, aliases
    [[persons.roles]]   role (a role of the organisation directory), from, until?

:func:`load_people` (or :func:`parse_people` for text) reads it against an organisation
:class:`DataSet`, since assignments name the directory's roles: an unknown role is an error
with a did-you-mean, and a person id may not repeat an id of the directory. It returns a
:class:`DataSet` of its own, with the facts (declared in ``rules/people.dl``)::

    person(P)  assignment(P, Role, From, Until)      Until = 9999-12-31 when open-ended

and a name table of kind ``person``. The two data sets state disjoint predicates, so a
caller combines them as ``{**organisation.facts, **people.facts}``,
``organisation.names + people.names`` and ``organisation.origin(...) or people.origin(...)``.
"""

from __future__ import annotations

import datetime
import os
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property, partial
from pathlib import Path
from typing import Annotated, Any, NamedTuple, get_args

import tomli
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    ValidationInfo,
    model_validator,
)

from kdv_policy.errors import Diagnostic, PolicyLoadError, Severity
from kdv_policy.files import display_path, read_text
from kdv_policy.language.source import Source, Span
from kdv_policy.suggest import did_you_mean

DATA_FILE = "organisation.toml"
"""The name of the data file in a policy directory."""

PEOPLE_FILE = "people.toml"
"""The usual name of a people file (:func:`load_people` also takes a directory holding one)."""

OPEN_END = datetime.date(9999, 12, 31)
"""The ``Until`` of an assignment without an end date."""

Id = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$")]
"""An id is a bare atom of the rule language: lowercase ASCII letters, digits and `_`."""
Name = Annotated[str, StringConstraints(pattern=r"\S")]
"""A name is any text that is not blank."""

DATA_PREDICATES = {
    "unit": 1, "unit_kind": 2, "parent": 2, "administrative_kind": 1, "role": 1, "role_of": 3,
    "body": 1, "in_phase": 2, "established": 2, "phase_started": 2,
}
"""Every predicate a data file gives facts for, with its arity (declared in ``rules/*.dl``)."""

PEOPLE_PREDICATES = {"person": 1, "assignment": 4}
"""Every predicate a people file gives facts for, with its arity (declared in ``rules/people.dl``)."""

FactValue = str | int | datetime.date
Facts = dict[str, list[tuple[FactValue, ...]]]


# -- the models -------------------------------------------------------------------------------


class _Entry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _Named(_Entry):
    id: Id
    name: Name
    abbreviations: tuple[Name, ...] = ()
    aliases: tuple[Name, ...] = ()

    def all_names(self) -> tuple[str, ...]:
        return (self.name, *self.abbreviations, *self.aliases)


class UnitKind(_Entry):
    """A kind of unit: departement, amt, gemeinde, ... ``administration`` tells whether units
    of this kind belong to the cantonal administration (the text's "Verwaltungseinheiten")."""

    id: Id
    name: Name
    administration: bool


class Function(_Entry):
    """What a role does within its unit: departementschef, generalsekretaer, leitung, ..."""

    id: Id
    name: Name


class Phase(_Entry):
    """A phase of the organisation's build-up; ``started`` only once it is known."""

    number: Annotated[int, Field(ge=1)]
    name: Name
    started: datetime.date | None = None
    source: Name | None = None


class Unit(_Named):
    """An organisational unit: a Departement, an Amt, a Gemeinde, an association, ..."""

    kind: Id
    parent: Id | None = None


class Role(_Named):
    """A position held in a unit (or in a body that is also an organisational unit, such as
    the Kompetenzzentrum): "Departementschef DIV", "Leitung des Kompetenzzentrums"."""

    unit: Id
    function: Id


class Body(_Named):
    """A body (Gremium) of the governance: Regierungsrat, Steuerungsausschuss, ..."""

    phase: Annotated[int, Field(ge=1)] = 1
    established: datetime.date | None = None
    source: Name | None = None


class Action(_Named):
    """A canonical action (``approve``) with the German verbs that mean it."""


class ObjectEntry(_Named):
    """An object of competences (``strategie``) with its German names."""


class Problem(NamedTuple):
    """A problem across entries: the entry (``units.div``, ``persons.erika_muster.roles[0]``),
    the message, and the field a diagnostic should point at (the entry's id line when None)."""

    entry: str
    message: str
    field: str | None = None


class DirectoryError(ValueError):
    """Problems across entries (references, duplicates), each a :class:`Problem`."""

    def __init__(self, problems: Iterable[tuple[str, str] | tuple[str, str, str | None]]) -> None:
        self.problems = [Problem(*problem) for problem in problems]
        super().__init__("; ".join(f"{p.entry}: {p.message}" for p in self.problems))


class OrganisationDirectory(_Entry):
    """The whole data file, with every cross-reference checked."""

    unit_kinds: tuple[UnitKind, ...] = ()
    functions: tuple[Function, ...] = ()
    phases: tuple[Phase, ...] = ()
    units: tuple[Unit, ...] = ()
    roles: tuple[Role, ...] = ()
    bodies: tuple[Body, ...] = ()
    actions: tuple[Action, ...] = ()
    objects: tuple[ObjectEntry, ...] = ()

    @model_validator(mode="after")
    def _references(self) -> OrganisationDirectory:
        problems = _reference_problems(self)
        if problems:
            raise DirectoryError(problems)
        return self


NAMED_TABLES = ("units", "roles", "bodies", "actions", "objects")
"""The tables whose entries share one id space and appear in the name table."""

_KIND_OF_TABLE = {
    "units": "unit", "roles": "role", "bodies": "body", "actions": "action", "objects": "object",
}


def _reference_problems(d: OrganisationDirectory) -> list[tuple[str, str]]:
    problems: list[tuple[str, str]] = []

    def unique(table: str, keys: Iterable[Any], what: str) -> None:
        seen: set[Any] = set()
        for key in keys:
            if key in seen:
                problems.append((f"{table}.{key}", f"{what} `{key}` is defined twice"))
            seen.add(key)

    unique("unit_kinds", (k.id for k in d.unit_kinds), "unit kind")
    unique("functions", (f.id for f in d.functions), "function")
    unique("phases", (p.number for p in d.phases), "phase")
    owner: dict[str, str] = {}
    for table in NAMED_TABLES:
        for entry in getattr(d, table):
            if entry.id in owner:
                problems.append((f"{table}.{entry.id}",
                                 f"id `{entry.id}` is already used by {owner[entry.id]}.{entry.id}"))
            else:
                owner[entry.id] = table

    kinds = {k.id for k in d.unit_kinds}
    functions = {f.id for f in d.functions}
    phases = {p.number for p in d.phases}
    units = {u.id for u in d.units}
    bodies = {b.id for b in d.bodies}

    def missing(entry: str, field_name: str, value: Any, known: Iterable[Any], what: str) -> None:
        hint = did_you_mean(str(value), [str(k) for k in known]) if isinstance(value, str) else None
        problems.append((entry, f"`{field_name}` names {what} `{value}`, which is not defined in this file"
                                + (f"; {hint}" if hint else "")))

    for u in d.units:
        if u.kind not in kinds:
            missing(f"units.{u.id}", "kind", u.kind, kinds, "the unit kind")
        if u.parent is not None and u.parent not in units:
            missing(f"units.{u.id}", "parent", u.parent, units, "the unit")
    for r in d.roles:
        if r.unit not in units and r.unit not in bodies:
            missing(f"roles.{r.id}", "unit", r.unit, units | bodies, "the unit or body")
        if r.function not in functions:
            missing(f"roles.{r.id}", "function", r.function, functions, "the function")
    for b in d.bodies:
        if b.phase not in phases:
            missing(f"bodies.{b.id}", "phase", b.phase, phases, "the phase")

    parent_of = {u.id: u.parent for u in d.units if u.parent in units}
    for u in d.units:
        seen = {u.id}
        at = parent_of.get(u.id)
        while at is not None:
            if at == u.id:
                problems.append((f"units.{u.id}", f"unit `{u.id}` is its own ancestor (a cycle of `parent`)"))
                break
            if at in seen:
                break  # a cycle above this unit; reported for the units on it
            seen.add(at)
            at = parent_of.get(at)

    name_owner: dict[str, str] = {}
    for table in NAMED_TABLES:
        for entry in getattr(d, table):
            mine = f"{table}.{entry.id}"
            if entry.abbreviations or entry.aliases:
                names: Iterable[str] = dict.fromkeys(entry.all_names())  # a repeated name counts once
            else:
                names = (entry.name,)
            for name in names:
                key = name.casefold()
                other = name_owner.setdefault(key, mine)
                if other != mine:
                    problems.append((mine, f"the name `{name}` is already used by {other}; "
                                           "names must resolve to one entry"))
    return problems


# -- people ----------------------------------------------------------------------------------


class Assignment(_Entry):
    """A role a person holds, from ``from`` to ``until`` (both days included; open-ended
    without ``until``)."""

    role: Id
    from_: datetime.date = Field(alias="from")
    until: datetime.date | None = None


class Person(_Entry):
    """A person, with the roles of the organisation directory they hold or held."""

    id: Id
    name: Name
    aliases: tuple[Name, ...] = ()
    roles: tuple[Assignment, ...] = ()


class PeopleDirectory(_Entry):
    """The whole people file. Validated with the context ``{"roles": ..., "reserved": ...}``:
    the role ids assignments may name, and the ids of the organisation directory (id →
    ``table.id``) that no person may take."""

    persons: tuple[Person, ...] = ()

    @model_validator(mode="after")
    def _references(self, info: ValidationInfo) -> PeopleDirectory:
        context = info.context or {}
        problems = _people_problems(self, set(context.get("roles", ())), dict(context.get("reserved", {})))
        if problems:
            raise DirectoryError(problems)
        return self


def _people_problems(d: PeopleDirectory, roles: set[str], reserved: dict[str, str]) -> list[Problem]:
    problems: list[Problem] = []
    seen: set[str] = set()
    for person in d.persons:  # entry names are formatted only for a problem: a large file has none
        if person.id in seen:
            problems.append(Problem(f"persons.{person.id}", f"person `{person.id}` is defined twice"))
        seen.add(person.id)
        if person.id in reserved:
            problems.append(Problem(f"persons.{person.id}", f"id `{person.id}` is already used by "
                                    f"{reserved[person.id]} of the organisation directory"))
        for index, assignment in enumerate(person.roles):
            if assignment.role not in roles:
                hint = (did_you_mean(assignment.role, roles) if roles
                        else "no organisation directory was given")
                problems.append(Problem(
                    f"persons.{person.id}.roles[{index}]",
                    f"`role` names the role `{assignment.role}`, which is not defined in the "
                    "organisation directory" + (f"; {hint}" if hint else ""), "role"))
            if assignment.until is not None and assignment.until < assignment.from_:
                problems.append(Problem(
                    f"persons.{person.id}.roles[{index}]",
                    f"`until` ({assignment.until}) is before `from` ({assignment.from_})", "until"))
    return problems


# -- the data set -----------------------------------------------------------------------------


@dataclass(frozen=True)
class NameEntry:
    """A name a user may type for an entity: its official name, abbreviations and aliases."""

    id: str
    kind: str  # unit, role, body, action, object or person
    name: str
    abbreviations: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()


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
    return _organisation_facts(d), _organisation_entries(d)


def _organisation_facts(d: OrganisationDirectory) -> Facts:
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


def _organisation_entries(d: OrganisationDirectory) -> dict[tuple[str, str], list[tuple[str, tuple]]]:
    """For each entry ``(table, id)`` of a directory, the facts it gives (the rows of
    :func:`_organisation_facts`, entry by entry)."""
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


def _organisation_origins(d: OrganisationDirectory) -> dict[str, list[tuple[str, tuple]]]:
    """:func:`_organisation_entries` keyed as :class:`Origins` names entries: ``units.div``."""
    return {f"{table}.{key}": rows for (table, key), rows in _organisation_entries(d).items()}


def name_table(d: OrganisationDirectory) -> list[NameEntry]:
    """Every named entity of the directory, in file order."""
    return [NameEntry(e.id, _KIND_OF_TABLE[table], e.name, tuple(e.abbreviations), tuple(e.aliases))
            for table in NAMED_TABLES for e in getattr(d, table)]


def people_facts(d: PeopleDirectory) -> tuple[Facts, dict[str, list[tuple[str, tuple]]]]:
    """The facts a people file states, and for each entry the facts it gave."""
    return _people_facts(d), _people_entries(d)


def _people_facts(d: PeopleDirectory) -> Facts:
    """The facts a people file states, by predicate, each in file order and each row once.
    An open-ended assignment ends on :data:`OPEN_END`."""
    persons = d.persons
    return {
        "person": list(dict.fromkeys([(p.id,) for p in persons])),
        "assignment": list(dict.fromkeys([(p.id, a.role, a.from_, a.until or OPEN_END)
                                          for p in persons for a in p.roles])),
    }


def _people_entries(d: PeopleDirectory) -> dict[str, list[tuple[str, tuple]]]:
    """For each entry of a people file (``persons.erika_muster``, ``persons.erika_muster.roles[0]``),
    the facts it gives (the rows of :func:`_people_facts`)."""
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
    return [NameEntry(p.id, "person", p.name, (), tuple(p.aliases)) for p in d.persons]


# -- loading ----------------------------------------------------------------------------------


def load_data(directory: str | os.PathLike) -> DataSet | None:
    """Load ``organisation.toml`` from a policy directory; None when there is none.

    Raises :class:`~kdv_policy.errors.PolicyLoadError` listing every problem of the file.
    """
    directory = Path(directory)
    path = directory / DATA_FILE
    if not directory.is_dir() or not path.is_file():
        return None
    display = display_path(path)
    return parse_data(_read(path, display), display, path)


# Loading builds only what every load needs: the facts and the names. The line index of the
# text (a Source) and which entry states each fact are for error messages and explanations,
# built when one first asks (see Origins).


def parse_data(text: str, display: str = DATA_FILE, path: Path | None = None) -> DataSet:
    """Validate the text of a data file; ``display`` is the file name errors show."""
    raw = _toml(text, display)
    try:
        directory = OrganisationDirectory.model_validate(raw)
    except ValidationError as err:
        raise _validation_error(err, raw, Source(display, text), OrganisationDirectory) from None
    origins = Origins(partial(Source, display, text), partial(_organisation_origins, directory))
    return DataSet(path or Path(display), directory, _organisation_facts(directory), name_table(directory),
                   origins)


def load_people(path: str | os.PathLike, organisation: DataSet | None) -> DataSet:
    """Load a people file (``path``, or ``path/people.toml`` when ``path`` is a directory)
    against the ``organisation`` directory whose roles its assignments name (None: no
    directory, so no role can be named).

    Returns a :class:`DataSet` with the facts ``person/1`` and ``assignment/4``, the names
    of kind ``person`` and the origin of every fact. Raises
    :class:`~kdv_policy.errors.PolicyLoadError` listing every problem of the file, each as
    ``file: entry: message``; a missing file is an error too, since the caller named it.
    """
    path = Path(path)
    if path.is_dir():
        path = path / PEOPLE_FILE
    display = display_path(path)
    if not path.is_file():
        raise PolicyLoadError(f"people file `{display}` does not exist")
    return parse_people(_read(path, display), organisation, display, path)


def parse_people(text: str, organisation: DataSet | None, display: str = PEOPLE_FILE,
                 path: Path | None = None) -> DataSet:
    """Validate the text of a people file against ``organisation``; ``display`` is the file
    name errors show."""
    raw = _toml(text, display)
    directory = organisation.directory if organisation is not None else None
    roles = {r.id for r in directory.roles} if isinstance(directory, OrganisationDirectory) else set()
    reserved = {e.id: f"{_TABLE_OF_KIND.get(e.kind, e.kind)}.{e.id}"
                for e in (organisation.names if organisation is not None else ())}
    try:
        people = PeopleDirectory.model_validate(raw, context={"roles": roles, "reserved": reserved})
    except ValidationError as err:
        raise _validation_error(err, raw, Source(display, text), PeopleDirectory) from None
    origins = Origins(partial(Source, display, text), partial(_people_entries, people), field="role")
    return DataSet(path or Path(display), people, _people_facts(people), people_name_table(people), origins)


_TABLE_OF_KIND = {kind: table for table, kind in _KIND_OF_TABLE.items()}


def _read(path: Path, display: str) -> str:
    return read_text(path, display)


def _toml(text: str, display: str) -> dict:
    try:
        return tomli.loads(text)
    except tomli.TOMLDecodeError as err:
        raise _toml_error(err, Source(display, text)) from None


_EntryFacts = Mapping[str, list[tuple[str, tuple]]]


class Origins:
    """Where each fact of a data file is written, looked up when asked (an explanation shows it):
    ``file:line: entry``, the line being the entry's (a nested entry's ``field`` line if any).

    ``source`` and ``by_entry`` (for each entry, the facts it gives) are functions that compute
    them, called on the first lookup: a load that is never asked for an origin does not pay
    for them. (Two threads may both compute them; either result is the same.)"""

    def __init__(self, source: Callable[[], Source], by_entry: Callable[[], _EntryFacts],
                 field: str | None = None) -> None:
        self._make_source = source
        self._make_entries = by_entry
        self._field = field
        self._labels: dict[str, str] = {}
        self._index: _EntryIndex | None = None

    @cached_property
    def _source(self) -> Source:
        return self._make_source()

    @cached_property
    def _entry_of(self) -> dict[tuple[str, tuple[FactValue, ...]], str]:
        entry_of: dict[tuple[str, tuple[FactValue, ...]], str] = {}
        for entry, rows in self._make_entries().items():
            for predicate, row in rows:
                entry_of.setdefault((predicate, row), entry)
        return entry_of

    def get(self, key: tuple[str, tuple[FactValue, ...]]) -> str | None:
        entry = self._entry_of.get(key)
        if entry is None:
            return None
        label = self._labels.get(entry)
        if label is None:
            source = self._source
            if self._index is None:
                self._index = _EntryIndex(source)
            where = _locate_entry(source, entry, self._field, self._index)
            label = f"{source.path}:{where.line}: {entry}" if where else f"{source.path}: {entry}"
            self._labels[entry] = label
        return label


_TOML_POSITION = re.compile(r"\s*\(at line (\d+), column (\d+)\)$")


def _toml_error(err: tomli.TOMLDecodeError, source: Source) -> PolicyLoadError:
    message = str(err)
    found = _TOML_POSITION.search(message)
    line, col = (int(found.group(1)), int(found.group(2))) if found else (1, 1)
    reason = message[: found.start()] if found else message
    reason = reason[:1].lower() + reason[1:]
    span = Span(source.path, line, col, line, col + 1)
    diag = Diagnostic("data-syntax", Severity.ERROR, f"invalid TOML: {reason}", span,
                      "see https://toml.io for the syntax of TOML", source)
    return PolicyLoadError(f"{source.path}:{line}:{col}: invalid TOML: {reason}", (diag,))


def _validation_error(err: ValidationError, raw: dict, source: Source,
                      root: type[BaseModel]) -> PolicyLoadError:
    """One error naming every problem: a line ``file: entry: message`` each, and a diagnostic
    each pointing at the entry's ``id = ...`` line when it can be found."""
    problems: list[tuple[str, str, Span | None]] = []
    for e in err.errors():
        loc = e["loc"]
        context = e.get("ctx") or {}
        if isinstance(context.get("error"), DirectoryError):
            for problem in context["error"].problems:
                problems.append((problem.entry, problem.message,
                                 _locate_entry(source, problem.entry, problem.field)))
            continue
        entry, fields = _entry_of(loc, raw)
        problems.append((entry, _message(e, fields, root), _locate_entry(source, entry)))
    lines = [f"{source.path}: {entry}: {message}" for entry, message, _ in problems]
    diags = tuple(Diagnostic("data-invalid", Severity.ERROR,
                             f"{entry}: {message}" if span else f"{source.path}: {entry}: {message}",
                             span, None, source)
                  for entry, message, span in problems)
    return PolicyLoadError("\n".join(lines), diags)


def _entry_of(loc: tuple, raw: dict) -> tuple[str, tuple]:
    """The entry a pydantic error location points into, and the field path within it:
    (``units.div``, ``("parent",)``), or for a table nested in an entry
    (``persons.erika_muster.roles[0]``, ``("from",)``). An entry without an id is named by
    its position: ``units[1]``."""
    if not loc:
        return "(file)", ()
    table = str(loc[0])
    if len(loc) == 1:
        return f"[[{table}]]", ()
    if not isinstance(loc[1], int):
        return table, loc[1:]
    rows = raw.get(table)
    row = rows[loc[1]] if isinstance(rows, list) and loc[1] < len(rows) else None
    key = row.get("id", row.get("number")) if isinstance(row, dict) else None
    entry = (f"{table}.{key}" if isinstance(key, (str, int)) and not isinstance(key, bool)
             else f"{table}[{loc[1]}]")
    fields = loc[2:]
    # a table nested in the entry, such as [[persons.roles]]: the entry is the nested table
    if len(fields) >= 2 and isinstance(fields[1], int) and isinstance(row, dict):
        nested = row.get(fields[0])
        if isinstance(nested, list) and fields[1] < len(nested) and isinstance(nested[fields[1]], dict):
            return f"{entry}.{fields[0]}[{fields[1]}]", fields[2:]
    return entry, fields


def _field_path(fields: tuple) -> str:
    """``aliases[1]`` for ``("aliases", 1)``, ``a.b`` for ``("a", "b")``."""
    out = ""
    for f in fields:
        out += f"[{f}]" if isinstance(f, int) else (f".{f}" if out else str(f))
    return out


def _field_names(model: type[BaseModel]) -> list[str]:
    """The fields of a model as a file spells them (their alias, e.g. ``from``)."""
    return [info.alias or name for name, info in model.model_fields.items()]


def _model_at(root: type[BaseModel], path: tuple) -> type[BaseModel] | None:
    """The model of the table that a location's ``path`` (without its last part) leads into."""
    model: type[BaseModel] = root
    for part in path:
        if isinstance(part, int):
            continue
        info = next((i for n, i in model.model_fields.items() if (i.alias or n) == part), None)
        inner = [a for a in get_args(info.annotation) if isinstance(a, type) and issubclass(a, BaseModel)] \
            if info is not None else []
        if not inner:
            return None
        model = inner[0]
    return model


_ID_FIELDS = ("id", "kind", "parent", "unit", "function", "role")


def _message(e: dict, fields: tuple, root: type[BaseModel]) -> str:
    name = _field_path(fields)
    kind = e["type"]
    if kind == "missing":
        return f"missing field `{name}`"
    if kind == "extra_forbidden" and len(e["loc"]) == 1:
        known = _field_names(root)
        hint = did_you_mean(str(e["loc"][0]), known, lambda c: f"`[[{c}]]`")
        return "unknown table" + (f"; {hint}" if hint else f"; the tables are {', '.join(known)}")
    if kind == "extra_forbidden":
        model = _model_at(root, e["loc"][:-1])
        known = _field_names(model) if model else []
        hint = did_you_mean(name, known)
        return f"unknown field `{name}`" + (f"; {hint}" if hint else f"; the fields are {', '.join(known)}")
    if kind == "string_pattern_mismatch" and fields and fields[-1] in _ID_FIELDS:
        return (f"`{name}` must be a lowercase id (letters a-z, digits, `_`, starting with a letter), "
                f"not `{e['input']}`")
    if kind == "string_pattern_mismatch":
        return f"`{name}` must not be blank"
    if kind in ("tuple_type", "list_type") and not fields:
        table = e["loc"][0]
        return f"`{table}` must be an array of tables: write `[[{table}]]` above each entry"
    if kind in ("tuple_type", "list_type") and _model_at(root, e["loc"]) is not None:
        table = f"{e['loc'][0]}.{fields[-1]}"
        return f"`{name}` must be an array of tables: write `[[{table}]]` above each entry"
    if kind in ("tuple_type", "list_type"):
        return f'`{name}` must be a list of strings, e.g. `{name} = ["..."]`'
    if kind.startswith("date_"):
        return f"`{name}` must be a TOML date written without quotes, e.g. `{name} = 2020-12-31`"
    text = e["msg"]
    text = text[:1].lower() + text[1:]
    return f"`{name}`: {text}" if name else text


_ENTRY = re.compile(r"^(?P<table>[A-Za-z_]+)(?:\.(?P<key>[^.\[\]]+)|\[(?P<index>\d+)\])"
                    r"(?:\.(?P<sub>[A-Za-z_]+)\[(?P<subindex>\d+)\])?$")
_HEADER = re.compile(r"^\s*\[\[\s*([A-Za-z_][A-Za-z0-9_.]*)\s*\]\]")


class _EntryIndex:
    """The lines of a data file, and where each entry's ``id =`` line and each ``[[table]]``
    header is, found in one pass (locating entries one by one would rescan the file each time)."""

    def __init__(self, source: Source) -> None:
        self.lines = source.text.splitlines()
        self.by_key: dict[tuple[str, str], int] = {}
        self.by_index: dict[tuple[str, int], int] = {}
        key_line = re.compile(r"""^\s*(?:id\s*=\s*["']([^"']*)["']|number\s*=\s*(\S+?))\s*(?:#.*)?$""")
        counts: dict[str, int] = {}
        current = None
        for number, line in enumerate(self.lines, start=1):
            header = _HEADER.match(line)
            if header:
                current = header.group(1)
                counts[current] = counts.get(current, -1) + 1
                self.by_index[(current, counts[current])] = number
                continue
            found = key_line.match(line) if current is not None else None
            if found:
                self.by_key.setdefault((current, found.group(1) or found.group(2)), number)

    def entry_line(self, table: str, key: str | None, index: int | None) -> int | None:
        if key is not None:
            return self.by_key.get((table, key))
        return self.by_index.get((table, index)) if index is not None else None


def _locate_entry(source: Source, entry: str, field: str | None = None,
                  index: _EntryIndex | None = None) -> Span | None:
    """Where an entry (``units.div``, ``units[1]``, ``persons.erika_muster.roles[0]``) is
    written: its ``id = ...`` line (or the header of an entry without an id); for a table
    nested in an entry, its ``field = ...`` line, else its ``[[table.sub]]`` header."""
    found = _ENTRY.match(entry)
    if found is None:
        return None
    table, key, position = found["table"], found["key"], found["index"]
    if index is not None:
        number = index.entry_line(table, key, None if position is None else int(position))
        lines = index.lines
    else:
        number = _entry_line(source, table, key, None if position is None else int(position))
        lines = source.text.splitlines()
    if number is None:
        return None
    if found["sub"] is None:
        return _line_span(source, number, lines[number - 1])
    sub, wanted = f"{table}.{found['sub']}", int(found["subindex"])
    count, start = -1, None
    for at in range(number, len(lines)):  # the lines after the entry's own line
        header = _HEADER.match(lines[at])
        if header:
            if start is not None or not header.group(1).startswith(f"{table}."):
                break
            if header.group(1) == sub:
                count += 1
                if count == wanted:
                    start = at + 1
                    if field is None:
                        break
            continue
        if start is not None and re.match(rf"^\s*{re.escape(field or '')}\s*=", lines[at]):
            return _line_span(source, at + 1, lines[at])
    if start is not None:
        return _line_span(source, start, lines[start - 1])
    return _line_span(source, number, lines[number - 1])


def _entry_line(source: Source, table: str, key: str | None, index: int | None) -> int | None:
    """The line of an entry of ``[[table]]``: its ``id = "key"`` (or ``number = key``) line,
    else the header of its ``index``-th ``[[table]]``."""
    current = None
    count = -1
    wanted = None
    if key is not None:
        quoted = re.escape(key)
        wanted = re.compile(rf"""^\s*(id\s*=\s*["']{quoted}["']|number\s*=\s*{quoted})\s*(#.*)?$""")
    for number, line in enumerate(source.text.splitlines(), start=1):
        found = _HEADER.match(line)
        if found:
            current = found.group(1)
            if current == table:
                count += 1
                if wanted is None and index == count:
                    return number
            continue
        if current == table and wanted is not None and wanted.match(line):
            return number
    return None


def _line_span(source: Source, number: int, line: str) -> Span:
    col = len(line) - len(line.lstrip()) + 1
    return Span(source.path, number, col, number, len(line.rstrip()) + 1)


__all__ = [
    "DATA_FILE", "DATA_PREDICATES", "OPEN_END", "PEOPLE_FILE", "PEOPLE_PREDICATES", "Action", "Assignment",
    "Body", "DataSet", "DirectoryError", "Function", "NameEntry", "ObjectEntry", "OrganisationDirectory",
    "PeopleDirectory", "Person", "Phase", "Problem", "Role", "Unit", "UnitKind", "load_data", "load_people",
    "name_table", "parse_data", "parse_people", "people_facts", "people_name_table", "to_facts",
]
