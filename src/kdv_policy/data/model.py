"""The organisation and people files as pydantic models, with every cross-reference checked.

Each table of a data file is a tuple of frozen entries; unknown fields are errors. The whole
file (:class:`OrganisationDirectory`, :class:`PeopleDirectory`) checks what no single entry
can: ids used twice, references to entries that do not exist, cycles of ``parent``, names
that would resolve to two entries. Those problems are raised together as one
:class:`DirectoryError`, each a :class:`Problem` naming its entry.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Annotated, Any, Literal, NamedTuple

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    model_validator,
)

from kdv_policy.suggest import did_you_mean

Id = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$")]
"""An id is a bare atom of the rule language: lowercase ASCII letters, digits and `_`."""
Name = Annotated[str, StringConstraints(pattern=r"\S")]
"""A name is any text that is not blank."""


# -- the models -------------------------------------------------------------------------------


class _Entry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


Article = Literal["der", "die", "das"]
"""The definite article of a German name in the nominative: its grammatical gender (plural: ``die``)."""


class _Named(_Entry):
    id: Id
    name: Name
    abbreviations: tuple[Name, ...] = ()
    aliases: tuple[Name, ...] = ()
    # the German forms an answer's sentence needs: "der Steuerungsausschuss", "des
    # Steuerungsausschusses", "dem Steuerungsausschuss", "den Steuerungsausschuss"
    article: Article | None = None
    nominative: Name | None = None
    genitive: Name | None = None
    dative: Name | None = None
    accusative: Name | None = None

    @model_validator(mode="after")
    def _forms_need_the_article(self) -> _Named:
        if self.article is None and (self.nominative or self.genitive or self.dative or self.accusative):
            raise ValueError(f"`{self.id}` gives case forms but no `article`; add `article = \"der\"`, "
                             "`\"die\"` or `\"das\"`")
        # a masculine or neuter name without its `genitive` loads ("des Name"): `check` warns
        return self

    def all_names(self) -> tuple[str, ...]:
        return (self.name, *self.abbreviations, *self.aliases)


class UnitKind(_Entry):
    """A kind of unit: departement, amt, gemeinde, ... ``administration`` tells whether units
    of this kind belong to the cantonal administration (the text's "Verwaltungseinheiten")."""

    id: Id
    name: Name
    administration: bool


class Function(_Named):
    """What a role does within its unit: departementschef, generalsekretaer, leitung, ...
    Its names (``DV`` for the Digitalisierungsverantwortlichen) name the group of roles with
    this function: never one actor, so a question about one asks for the role."""


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


Form = Annotated[str, StringConstraints(pattern=r"^[^\W\d_][\w-]*( [^\W\d_][\w-]*)?$")]
"""A verb form: one word (``genehmigt``), or a separable verb's finite form and particle (``nimmt ab``)."""


class Action(_Named):
    """A canonical action (``approve``) with the German verbs that mean it. ``forms`` are the
    inflected forms a question may use (``verabschiedet``, ``approves``); a separable verb is
    written as its finite form and particle (``nimmt ab``), as in "wer nimmt ... ab?"."""

    forms: tuple[Form, ...] = ()

    def all_names(self) -> tuple[str, ...]:
        return (*super().all_names(), *self.forms)


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

KIND_OF_TABLE = {
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
            if entry.abbreviations or entry.aliases or getattr(entry, "forms", ()):
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
    """A person, with the roles of the organisation directory they hold or held, and optionally
    the German forms of their name an answer's sentence needs: a name without an article
    (``Erika Muster``) may give its ``genitive`` (``Erika Musters``) alone; with an ``article``
    (``die Staatsschreiberin Erika Muster``) every form not given is the article's case form
    before the name."""

    id: Id
    name: Name
    aliases: tuple[Name, ...] = ()
    roles: tuple[Assignment, ...] = ()
    article: Article | None = None
    nominative: Name | None = None
    genitive: Name | None = None
    dative: Name | None = None
    accusative: Name | None = None


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
