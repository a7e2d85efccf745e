"""Moving people between a people file (TOML) and a database, each way all or nothing.

:func:`import_people` validates the file (as a people file, and no overlapping assignments),
then replaces the database's people in one transaction: a reader sees the old people or the
new, never a mix, and a failure leaves the old. :func:`export_people` reads the database (as a
policy would, every row checked) and writes the file atomically.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Table, delete, func, insert, select
from sqlalchemy.exc import SQLAlchemyError

from kdv_policy.data.facts import DataSet
from kdv_policy.data.model import PeopleDirectory
from kdv_policy.data.read import load_people, read_toml
from kdv_policy.data.sql import N_, SqlError, resolve_url, shown_url
from kdv_policy.data.sql.connect import check_schema, make_engine, reason
from kdv_policy.data.sql.schema import assignments, person_aliases, persons, unit_aliases
from kdv_policy.data.sql.schema import units as units_table
from kdv_policy.data.sql.source import (
    CANNOT_READ,
    load_people_sql,
    overlaps,
    read_rows,
    rows_error,
    validate_rows,
)
from kdv_policy.data.sql.units import UNIT_COLUMNS, UNIT_KEYS, merge_units
from kdv_policy.errors import Diagnostic, PolicyLoadError, Severity
from kdv_policy.files import display_path, write_atomic
from kdv_policy.limits import DEFAULT_LIMITS, Limits

_BATCH = 5_000


def import_people(path: str | Path, location: str, organisation: DataSet | None,
                  limits: Limits = DEFAULT_LIMITS, units: str | Path | None = None) -> tuple[int, int]:
    """Replace the people of the database at ``location`` with those of the people file
    ``path``, and with ``units`` (a units file, :func:`read_units_file`) its units and their
    aliases too, in one transaction; return (persons, assignments) written."""
    unit_rows: list[dict[str, Any]] | None = None
    unit_alias_rows: list[dict[str, Any]] = []
    file_organisation = organisation
    if units is not None:
        unit_rows, unit_alias_rows = read_units_file(units, limits)
        merged, unit_problems = merge_units(organisation, unit_rows, unit_alias_rows)
        if unit_problems:
            shown_units = display_path(Path(units))
            diags = tuple(Diagnostic("data-invalid", Severity.ERROR, f"{shown_units}: {where}: {message}")
                          for where, message in unit_problems)
            raise PolicyLoadError("\n".join(d.message for d in diags), diags)
        organisation = merged.organisation
    people_file = load_people(path, organisation, limits)
    people = people_file.directory
    assert isinstance(people, PeopleDirectory)
    shown_file = display_path(Path(path))
    problems = overlaps(people)
    if problems:
        diags = tuple(Diagnostic("data-invalid", Severity.ERROR, f"{shown_file}: {p.entry}: {p.message}")
                      for p in problems)
        raise PolicyLoadError("\n".join(d.message for d in diags), diags)
    person_rows: list[dict[str, Any]] = [{"id": p.id, "name": p.name} for p in people.persons]
    alias_rows: list[dict[str, Any]] = [{"person_id": p.id, "position": i, "alias": a}
                  for p in people.persons for i, a in enumerate(p.aliases)]
    assignment_rows: list[dict[str, Any]] = [
        {"person_id": p.id, "role": a.role, "valid_from": a.from_, "valid_until": a.until}
        for p in people.persons for a in p.roles]
    for name, rows in (("persons", person_rows), ("person_aliases", alias_rows),
                       ("assignments", assignment_rows)):
        if len(rows) > limits.max_people_rows:
            raise SqlError(N_("`{file}` gives {count} rows for the table `{table}`, more than the limit "
                              "`max_people_rows` of {limit}"), code="data-limit", file=shown_file,
                           count=f"{len(rows):,}", table=name, limit=f"{limits.max_people_rows:,}")
    url = resolve_url(location)
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            check_schema(connection, shown_url(url))
            replaced: list[tuple[Table, list[dict[str, Any]]]] = [
                (persons, person_rows), (person_aliases, alias_rows), (assignments, assignment_rows)]
            if unit_rows is not None:
                replaced += [(units_table, unit_rows), (unit_aliases, unit_alias_rows)]
            for table, _ in reversed(replaced):
                connection.execute(delete(table))
            for table, rows in replaced:
                for start in range(0, len(rows), _BATCH):  # SQLAlchemy sends each batch in few statements
                    connection.execute(insert(table), rows[start:start + _BATCH])
            if unit_rows is None:  # the units the database keeps must fit the new people too
                _check_with_kept_units(connection, shown_url(url), file_organisation, limits)
    except SQLAlchemyError as err:
        raise SqlError(N_("cannot write the people to `{url}` (nothing was changed): {reason}"),
                       url=shown_url(url), reason=reason(err)) from None
    finally:
        engine.dispose()
    return len(person_rows), len(assignment_rows)


def _check_with_kept_units(connection: Connection, shown: str, organisation: DataSet | None,
                           limits: Limits) -> None:
    """Read back, before the commit, what a policy would read when the database keeps units:
    a person whose id one of them takes fails the import (and the transaction is rolled back)."""
    if not any(connection.execute(select(func.count()).select_from(table)).scalar()
               for table in (units_table, unit_aliases)):
        return
    raw = read_rows(connection, shown, limits)[1]
    merged, problems = merge_units(organisation, raw.get("units", []), raw.get("unit_aliases", []))
    if problems:
        raise rows_error(shown, problems)
    validate_rows({key: value for key, value in raw.items() if key not in UNIT_KEYS}, merged.organisation,
                  shown)


def export_people(location: str, path: str | Path, organisation: DataSet | None,
                  limits: Limits = DEFAULT_LIMITS, units: str | Path | None = None) -> tuple[int, int]:
    """Write the people of the database at ``location`` to the people file ``path``, and with
    ``units`` its units and their aliases to that units file (each atomically, after the whole
    database was read and checked); return (persons, assignments) written."""
    people = load_people_sql(location, organisation, limits).directory
    assert isinstance(people, PeopleDirectory)
    shown = shown_url(resolve_url(location))
    unit_text = None
    if units is not None:
        engine = make_engine(resolve_url(location))
        try:
            with engine.connect() as connection:
                raw = read_rows(connection, shown, limits)[1]
        except SQLAlchemyError as err:
            raise SqlError(CANNOT_READ, url=shown, reason=reason(err)) from None
        finally:
            engine.dispose()
        unit_text = units_toml(raw.get("units", []), raw.get("unit_aliases", []), shown)
    write_atomic(Path(path), people_toml(people, shown))
    if units is not None and unit_text is not None:
        write_atomic(Path(units), unit_text)
    return len(people.persons), sum(len(p.roles) for p in people.persons)


def read_units_file(path: str | Path, limits: Limits = DEFAULT_LIMITS
                    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The rows of the tables ``units`` and ``unit_aliases`` a units file gives::

        [[units]]            # a unit the organisation file does not define
        id = "gemeinde_muster"
        name = "Gemeinde Muster"
        kind = "gemeinde"
        parent = "div"       # optional, as are aliases, article and the case forms
        aliases = ["Muster"]

        [[unit_aliases]]     # further names of a unit of the organisation file
        unit_id = "div"
        aliases = ["Innendepartement"]

    The file is read with the data files' bounds; its shape is checked here, its units by
    :func:`~kdv_policy.data.sql.units.merge_units`."""
    path = Path(path)
    shown = display_path(path)
    raw = read_toml(path, shown, "units file", limits)
    problems: list[str] = []
    for key in raw:
        if key not in ("units", "unit_aliases"):
            problems.append(f"`{key}` is no table of a units file (`units`, `unit_aliases`)")
    unit_rows: list[dict[str, Any]] = []
    alias_rows: list[dict[str, Any]] = []
    for index, entry in enumerate(_tables(raw, "units", problems, shown)):
        unknown = set(entry) - {*UNIT_COLUMNS, "aliases"}
        if unknown:
            problems.append(f"units[{index}]: unknown field `{sorted(unknown)[0]}`")
        unit_rows.append({column: entry.get(column) for column in UNIT_COLUMNS})
        alias_rows += _alias_rows(entry.get("id"), entry.get("aliases", []), f"units[{index}]", problems)
    for index, entry in enumerate(_tables(raw, "unit_aliases", problems, shown)):
        unknown = set(entry) - {"unit_id", "aliases"}
        if unknown:
            problems.append(f"unit_aliases[{index}]: unknown field `{sorted(unknown)[0]}`")
        alias_rows += _alias_rows(entry.get("unit_id"), entry.get("aliases", []), f"unit_aliases[{index}]",
                                  problems)
    for name, rows in (("units", unit_rows), ("unit_aliases", alias_rows)):
        if len(rows) > limits.max_people_rows:
            problems.append(f"{len(rows):,} rows for the table `{name}`, more than the limit "
                            f"`max_people_rows` of {limits.max_people_rows:,}")
    if problems:
        diags = tuple(Diagnostic("data-invalid", Severity.ERROR, f"{shown}: {p}") for p in problems)
        raise PolicyLoadError("\n".join(d.message for d in diags), diags)
    return unit_rows, alias_rows


def _tables(raw: dict[str, Any], key: str, problems: list[str], shown: str) -> list[dict[str, Any]]:
    value = raw.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        problems.append(f"`{key}` must be an array of tables (`[[{key}]]`)")
        return []
    return value


def _alias_rows(unit_id: object, aliases: object, where: str, problems: list[str]) -> list[dict[str, Any]]:
    if not isinstance(aliases, list) or not all(isinstance(a, str) for a in aliases):
        problems.append(f"{where}.aliases: must be a list of strings")
        return []
    return [{"unit_id": unit_id, "position": position, "alias": alias}
            for position, alias in enumerate(aliases)]


def units_toml(unit_rows: list[dict[str, Any]], alias_rows: list[dict[str, Any]], source: str) -> str:
    """A units file's text for the rows of ``units`` and ``unit_aliases``."""
    names: dict[object, list[str]] = {}
    for row in alias_rows:
        names.setdefault(row["unit_id"], []).append(row["alias"])
    lines = [f"# A units file exported from {_comment(source)} by `python -m kdv_policy people export`.",
             "#", "#   [[units]]          id, name, kind; optional: parent, aliases, article and case forms",
             "#   [[unit_aliases]]   unit_id, aliases: further names of a unit of organisation.toml", ""]
    own = {row["id"] for row in unit_rows}
    for row in unit_rows:
        lines += ["[[units]]"]
        lines += [f"{column} = {_string(row[column])}" for column in UNIT_COLUMNS if row[column] is not None]
        if row["id"] in names:
            lines.append("aliases = [" + ", ".join(_string(a) for a in names[row["id"]]) + "]")
        lines.append("")
    for unit_id, aliases in names.items():
        if unit_id not in own:
            lines += ["[[unit_aliases]]", f"unit_id = {_string(str(unit_id))}",
                      "aliases = [" + ", ".join(_string(a) for a in aliases) + "]", ""]
    return "\n".join(lines)


def people_toml(people: PeopleDirectory, source: str) -> str:
    """A people file's text for ``people``."""
    lines = [f"# A people file exported from {_comment(source)} by `python -m kdv_policy people export`.",
             "#", "#   [[persons]]          id, name, aliases (optional)",
             "#   [[persons.roles]]    role, from, until (optional: open-ended without it)", ""]
    for person in people.persons:
        lines += ["[[persons]]", f"id = {_string(person.id)}", f"name = {_string(person.name)}"]
        if person.aliases:
            lines.append("aliases = [" + ", ".join(_string(a) for a in person.aliases) + "]")
        for assignment in person.roles:
            lines += ["", "[[persons.roles]]", f"role = {_string(assignment.role)}",
                      f"from = {assignment.from_.isoformat()}"]
            if assignment.until is not None:
                lines.append(f"until = {assignment.until.isoformat()}")
        lines.append("")
    return "\n".join(lines)


def _string(text: str) -> str:
    """A TOML basic string (JSON's escapes are TOML's)."""
    return json.dumps(text, ensure_ascii=False)


def _comment(text: str) -> str:
    return "".join(c if c.isprintable() else "?" for c in text)
