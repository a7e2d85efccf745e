"""Organisation data → facts: the directory of units, roles and bodies, validated.

The governance text names bodies (Gremien) and roles ("Departementschef DIV", "alle
Generalsekretäre"); which units and roles a canton actually has is data, not policy. A
policy directory may hold that data as ``organisation.toml`` beside its ``*.dl`` rules::

    [[unit_kinds]]  id, name, administration (part of the cantonal administration?)
    [[functions]]   id, name, abbreviations, aliases   what a role does: departementschef, ...
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

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kdv_policy.data.facts import (
        DATA_PREDICATES,
        OPEN_END,
        PEOPLE_PREDICATES,
        DataSet,
        Facts,
        FactValue,
        NameEntry,
        name_table,
        people_facts,
        people_name_table,
        to_facts,
    )
    from kdv_policy.data.model import (
        Action,
        Assignment,
        Body,
        DirectoryError,
        Function,
        ObjectEntry,
        OrganisationDirectory,
        PeopleDirectory,
        Person,
        Phase,
        Problem,
        Role,
        Unit,
        UnitKind,
    )
    from kdv_policy.data.origins import Origins
    from kdv_policy.data.read import DATA_FILE, PEOPLE_FILE, load_data, load_people, parse_data, parse_people


def __getattr__(name: str) -> Any:
    """The package's names, each imported from its module on first use: reading facts and names
    from a bundle needs none of the pydantic models that validate data files."""
    module = _MODULES.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(f"kdv_policy.data.{module}"), name)
    globals()[name] = value
    return value


__all__ = [
    "DATA_FILE",
    "DATA_PREDICATES",
    "OPEN_END",
    "PEOPLE_FILE",
    "PEOPLE_PREDICATES",
    "Action",
    "Assignment",
    "Body",
    "DataSet",
    "DirectoryError",
    "FactValue",
    "Facts",
    "Function",
    "NameEntry",
    "ObjectEntry",
    "OrganisationDirectory",
    "Origins",
    "PeopleDirectory",
    "Person",
    "Phase",
    "Problem",
    "Role",
    "Unit",
    "UnitKind",
    "load_data",
    "load_people",
    "name_table",
    "parse_data",
    "parse_people",
    "people_facts",
    "people_name_table",
    "to_facts",
]

_MODULES = {
    "DATA_PREDICATES": "facts",
    "OPEN_END": "facts",
    "PEOPLE_PREDICATES": "facts",
    "DataSet": "facts",
    "Facts": "facts",
    "FactValue": "facts",
    "NameEntry": "facts",
    "name_table": "facts",
    "people_facts": "facts",
    "people_name_table": "facts",
    "to_facts": "facts",
    "Action": "model",
    "Assignment": "model",
    "Body": "model",
    "DirectoryError": "model",
    "Function": "model",
    "ObjectEntry": "model",
    "OrganisationDirectory": "model",
    "PeopleDirectory": "model",
    "Person": "model",
    "Phase": "model",
    "Problem": "model",
    "Role": "model",
    "Unit": "model",
    "UnitKind": "model",
    "Origins": "origins",
    "DATA_FILE": "read",
    "PEOPLE_FILE": "read",
    "load_data": "read",
    "load_people": "read",
    "parse_data": "read",
    "parse_people": "read",
}
