"""Reading the people of a database: rows → the same validated :class:`PeopleDirectory` and
facts a people file gives, in one consistent snapshot, bounded, all or nothing."""

from __future__ import annotations

import datetime
import hashlib
import itertools
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from sqlalchemy import Connection, func, select
from sqlalchemy.exc import SQLAlchemyError

from kdv_policy.data.facts import DataSet, FactValue, people_entries, people_name_table, people_rows
from kdv_policy.data.model import (
    KIND_OF_TABLE,
    DirectoryError,
    OrganisationDirectory,
    PeopleDirectory,
    Problem,
)
from kdv_policy.data.origins import Origins
from kdv_policy.data.sql import N_, SqlError, resolve_url, shown_url
from kdv_policy.data.sql.connect import check_schema, make_engine, reason
from kdv_policy.data.sql.schema import (
    assignments,
    people_changes,
    person_aliases,
    persons,
    unit_aliases,
    units,
)
from kdv_policy.data.sql.units import UNIT_COLUMNS, UNIT_KEYS, merge_units
from kdv_policy.errors import Diagnostic, PolicyLoadError, Severity
from kdv_policy.limits import DEFAULT_LIMITS, Limits

CANNOT_READ = N_("cannot read the people database `{url}`: {reason}")

_TABLE_OF_KIND = {kind: table for table, kind in KIND_OF_TABLE.items()}
_ASSIGNMENT_COLUMN = {"role": "role", "from": "valid_from", "until": "valid_until"}


@dataclass(frozen=True)
class SqlPeople(DataSet):
    """The people of a database: a :class:`DataSet` that also says which data it was read from.

    ``counter`` is the database's change counter when it was read, ``content`` the rows in a
    canonical form (the policy version hashes it), ``data_version`` ``counter-hash``."""

    url: str = ""
    counter: int = 0
    location: str = field(default="", repr=False)  # as given (a URL, or env:NAME): to watch it
    content: bytes = field(default=b"", repr=False)

    @property
    def data_version(self) -> str:
        return f"{self.counter}-{hashlib.sha256(self.content).hexdigest()[:16]}"


class _RowOrigins(Origins):
    """Where a fact of a database comes from: ``URL: persons[id=...]`` (no lines to show)."""

    def __init__(self, shown: str, people: PeopleDirectory,
                 units: dict[tuple[str, tuple[FactValue, ...]], str] | None = None) -> None:
        self._shown = shown
        self._people = people
        self._units = units or {}
        self._found: dict[tuple[str, tuple[FactValue, ...]], str] | None = None

    def get(self, key: tuple[str, tuple[FactValue, ...]]) -> str | None:
        unit_row = self._units.get(key)
        if unit_row is not None:
            return f"{self._shown}: {unit_row}"
        if self._found is None:
            found: dict[tuple[str, tuple[FactValue, ...]], str] = {}
            for entry, rows in people_entries(self._people).items():
                for predicate, row in rows:
                    found.setdefault((predicate, row), entry)
            self._found = found
        found_entry = self._found.get(key)
        return f"{self._shown}: {row_key(found_entry, self._people)}" if found_entry is not None else None

    # the base class's other attributes are never used: a database has no lines to show


def load_people_sql(location: str, organisation: DataSet | None,
                    limits: Limits = DEFAULT_LIMITS) -> SqlPeople:
    """Read the people of the database at ``location`` (a URL or ``env:NAME``), checked against
    the ``organisation`` directory as a people file is; raise :class:`PolicyLoadError` naming
    every bad row (``table[key].column: message``), or the limit a table exceeds."""
    url = resolve_url(location)
    shown = shown_url(url)
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            if connection.dialect.name == "postgresql":  # one snapshot for every table
                connection = connection.execution_options(isolation_level="REPEATABLE READ")
            with connection.begin():
                counter, raw = read_rows(connection, shown, limits)
    except SQLAlchemyError as err:
        raise SqlError(CANNOT_READ, url=shown, reason=reason(err)) from None
    finally:
        engine.dispose()
    merged, problems = merge_units(organisation, raw.get("units", []), raw.get("unit_aliases", []))
    people_raw = {key: value for key, value in raw.items() if key not in UNIT_KEYS}
    try:
        people = validate_rows(people_raw, merged.organisation, shown)
    except PolicyLoadError as err:
        if not problems:
            raise
        raise rows_error(shown, problems, err.diagnostics) from None
    if problems:
        raise rows_error(shown, problems)
    facts = people_rows(people)
    for predicate, rows in merged.facts.items():
        facts[predicate] = [*facts.get(predicate, ()), *rows]
    return SqlPeople(Path(shown), people, facts, [*merged.names, *people_name_table(people)],
                     _RowOrigins(shown, people, merged.origins), url=shown, counter=counter,
                     content=canonical(raw), location=location)


def change_counter(connection: Connection) -> int:
    return int(connection.execute(select(people_changes.c.counter).where(people_changes.c.id == 1))
               .scalar() or 0)


def read_rows(connection: Connection, shown: str, limits: Limits) -> tuple[int, dict[str, Any]]:
    """The change counter and the people in the shape of a people file (``{"persons": [...]}``),
    persons by id, each with its aliases and assignments; each table's rows counted first."""
    check_schema(connection, shown)
    counter = change_counter(connection)
    for table in (persons, person_aliases, assignments, units, unit_aliases):
        count = connection.execute(select(func.count()).select_from(table)).scalar() or 0
        if count > limits.max_people_rows:
            raise SqlError(N_("the table `{table}` of the people database `{url}` holds {count} rows, more "
                              "than the limit `max_people_rows` of {limit}"), code="data-limit",
                           hint_id=N_("raise it with `Limits(max_people_rows=...)` or "
                                      "`--limit max_people_rows=...`"),
                           table=table.name, url=shown, count=f"{count:,}",
                           limit=f"{limits.max_people_rows:,}")
    aliases: dict[str, list[str]] = {}
    for alias_row in connection.execute(
            select(person_aliases.c.person_id, person_aliases.c.alias)
            .order_by(person_aliases.c.person_id, person_aliases.c.position)):
        aliases.setdefault(alias_row[0], []).append(alias_row[1])
    roles: dict[str, list[dict[str, Any]]] = {}
    for held in connection.execute(
            select(assignments.c.person_id, assignments.c.role, assignments.c.valid_from,
                   assignments.c.valid_until)
            .order_by(assignments.c.person_id, assignments.c.valid_from, assignments.c.role)):
        entry: dict[str, Any] = {"role": held[1], "from": _date(held[2])}
        if held[3] is not None:
            entry["until"] = _date(held[3])
        roles.setdefault(held[0], []).append(entry)
    rows = []
    for person_row in connection.execute(select(persons.c.id, persons.c.name).order_by(persons.c.id)):
        person_id = person_row[0]
        person: dict[str, Any] = {"id": person_id, "name": person_row[1]}
        if person_id in aliases:
            person["aliases"] = aliases[person_id]
        if person_id in roles:
            person["roles"] = roles[person_id]
        rows.append(person)
    found: dict[str, Any] = {"persons": rows}
    unit_rows = [dict(zip(UNIT_COLUMNS, r, strict=True)) for r in connection.execute(
        select(*(units.c[name] for name in UNIT_COLUMNS)).order_by(units.c.id))]
    alias_rows = [{"unit_id": r[0], "position": r[1], "alias": r[2]} for r in connection.execute(
        select(unit_aliases.c.unit_id, unit_aliases.c.position, unit_aliases.c.alias)
        .order_by(unit_aliases.c.unit_id, unit_aliases.c.position))]
    if unit_rows or alias_rows:  # a database without units reads as it did before they could be given
        found.update(units=unit_rows, unit_aliases=alias_rows)
    return counter, found


def _date(value: object) -> object:
    return value.date() if isinstance(value, datetime.datetime) else value


def canonical(raw: dict[str, Any]) -> bytes:
    """The rows as canonical JSON: the same data gives the same bytes on any database."""
    return json.dumps(raw, sort_keys=True, default=str, ensure_ascii=False, separators=(",", ":")).encode()


def validate_rows(raw: dict[str, Any], organisation: DataSet | None, shown: str) -> PeopleDirectory:
    """The people validated as a people file is (:class:`PeopleDirectory`), then the checks a
    database adds (:func:`overlaps`); every problem named ``table[key].column``."""
    directory = organisation.directory if organisation is not None else None
    roles = {r.id for r in directory.roles} if isinstance(directory, OrganisationDirectory) else set()
    reserved = {e.id: f"{_TABLE_OF_KIND.get(e.kind, e.kind)}.{e.id}"
                for e in (organisation.names if organisation is not None else ())}
    problems: list[tuple[str, str]] = []
    try:
        people = PeopleDirectory.model_validate(raw, context={"roles": roles, "reserved": reserved})
    except ValidationError as err:
        for e in err.errors():
            error = (e.get("ctx") or {}).get("error")
            if isinstance(error, DirectoryError):
                problems += [(_problem_location(p, raw), p.message) for p in error.problems]
            else:
                problems.append((_error_location(e["loc"], raw), _message(e)))
        raise rows_error(shown, problems) from None
    problems += [(_problem_location(p, raw), p.message) for p in overlaps(people)]
    if problems:
        raise rows_error(shown, problems)
    return people


def rows_error(shown: str, problems: Iterable[tuple[str, str]],
               more: tuple[Diagnostic, ...] = ()) -> PolicyLoadError:
    found = list(problems)
    diags = tuple(Diagnostic("data-invalid", Severity.ERROR, f"{shown}: {where}: {message}")
                  for where, message in found) + more
    return PolicyLoadError("\n".join(d.message for d in diags), diags)


def overlaps(people: PeopleDirectory) -> list[Problem]:
    """Two assignments of one person to one role whose periods share a day."""
    problems = []
    for person in people.persons:
        by_role: dict[str, list[tuple[int, Any]]] = {}
        for index, a in enumerate(person.roles):
            by_role.setdefault(a.role, []).append((index, a))
        for held in by_role.values():
            held.sort(key=lambda item: item[1].from_)
            for (_, before), (index, after) in itertools.pairwise(held):
                if before.until is None or before.until >= after.from_:
                    end = before.until.isoformat() if before.until else "open-ended"
                    problems.append(Problem(
                        f"persons.{person.id}.roles[{index}]",
                        f"the assignment to `{after.role}` from {after.from_} overlaps the one from "
                        f"{before.from_} (until {end})", "from"))
    return problems


def _person_key(person_id: object) -> str:
    return f"persons[id={person_id}]"


def _assignment_key(person_id: object, assignment: dict[str, Any]) -> str:
    return (f"assignments[person_id={person_id}, role={assignment.get('role')}, "
            f"valid_from={assignment.get('from')}]")


def _problem_location(problem: Problem, raw: dict[str, Any]) -> str:
    """``persons.x`` → ``persons[id=x].id``; ``persons.x.roles[2]`` → ``assignments[...].column``."""
    entry = problem.entry.removeprefix("persons.")
    if ".roles[" in entry:
        person_id, index = entry.split(".roles[", 1)
        person: dict[str, Any] = next((p for p in raw.get("persons", ()) if p.get("id") == person_id), {})
        roles = person.get("roles") or []
        position = int(index.rstrip("]"))
        assignment = roles[position] if position < len(roles) else {}
        column = _ASSIGNMENT_COLUMN.get(problem.field or "role", problem.field or "role")
        return f"{_assignment_key(person_id, assignment)}.{column}"
    return f"{_person_key(entry)}.{problem.field or 'id'}"


def _error_location(loc: tuple[Any, ...], raw: dict[str, Any]) -> str:
    """A pydantic error location in the file's shape → ``table[key].column``."""
    rows = raw.get("persons", [])
    if len(loc) < 2 or not isinstance(loc[1], int) or loc[1] >= len(rows):
        return "persons"
    person: dict[str, Any] = rows[loc[1]]
    person_id = person.get("id")
    rest = loc[2:]
    if rest[:1] == ("roles",) and len(rest) >= 2 and isinstance(rest[1], int):
        assignment = (person.get("roles") or [{}])[rest[1]]
        column = _ASSIGNMENT_COLUMN.get(str(rest[2]), str(rest[2])) if len(rest) > 2 else "role"
        return f"{_assignment_key(person_id, assignment)}.{column}"
    if rest[:1] == ("aliases",) and len(rest) >= 2:
        return f"person_aliases[person_id={person_id}, position={rest[1]}].alias"
    return f"{_person_key(person_id)}.{rest[0] if rest else 'id'}"


def _message(error: Any) -> str:
    text = str(error.get("msg", "invalid"))
    if error.get("type") == "string_pattern_mismatch":
        value = error.get("input")
        return (f"`{value}` is not an id: an id is lowercase letters, digits and `_`, starting with a letter"
                if isinstance(value, str) and len(value) < 200 else "not an id")
    return text[:1].lower() + text[1:]


def row_key(entry: str, people: PeopleDirectory) -> str:
    """An entry of :func:`people_entries` as the row it is: ``persons[id=x]`` or ``assignments[...]``."""
    raw = {"persons": [{"id": p.id, "roles": [{"role": a.role, "from": a.from_} for a in p.roles]}
                       for p in people.persons if f"persons.{p.id}" == entry.split(".roles[")[0]]}
    return _problem_location(Problem(entry, ""), raw).rsplit(".", 1)[0]
