"""Moving people between a people file (TOML) and a database, each way all or nothing.

:func:`import_people` validates the file (as a people file, and no overlapping assignments),
then replaces the database's people in one transaction: a reader sees the old people or the
new, never a mix, and a failure leaves the old. :func:`export_people` reads the database (as a
policy would, every row checked) and writes the file atomically.
"""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import delete, insert
from sqlalchemy.exc import SQLAlchemyError

from kdv_policy.data.facts import DataSet
from kdv_policy.data.model import PeopleDirectory
from kdv_policy.data.read import load_people
from kdv_policy.data.sql import resolve_url, shown_url
from kdv_policy.data.sql.connect import check_schema, make_engine, reason
from kdv_policy.data.sql.schema import assignments, person_aliases, persons
from kdv_policy.data.sql.source import load_people_sql, overlaps
from kdv_policy.errors import Diagnostic, PolicyLoadError, Severity
from kdv_policy.files import display_path, write_atomic
from kdv_policy.limits import DEFAULT_LIMITS, Limits

_BATCH = 5_000


def import_people(path: str | Path, location: str, organisation: DataSet | None,
                  limits: Limits = DEFAULT_LIMITS) -> tuple[int, int]:
    """Replace the people of the database at ``location`` with those of the people file
    ``path``, in one transaction; return (persons, assignments) written."""
    people_file = load_people(path, organisation, limits)
    people = people_file.directory
    assert isinstance(people, PeopleDirectory)
    shown_file = display_path(Path(path))
    problems = overlaps(people)
    if problems:
        diags = tuple(Diagnostic("data-invalid", Severity.ERROR, f"{shown_file}: {p.entry}: {p.message}")
                      for p in problems)
        raise PolicyLoadError("\n".join(d.message for d in diags), diags)
    person_rows = [{"id": p.id, "name": p.name} for p in people.persons]
    alias_rows = [{"person_id": p.id, "position": i, "alias": a}
                  for p in people.persons for i, a in enumerate(p.aliases)]
    assignment_rows = [{"person_id": p.id, "role": a.role, "valid_from": a.from_, "valid_until": a.until}
                       for p in people.persons for a in p.roles]
    for name, rows in (("persons", person_rows), ("person_aliases", alias_rows),
                       ("assignments", assignment_rows)):
        if len(rows) > limits.max_people_rows:
            raise PolicyLoadError(f"`{shown_file}` gives {len(rows):,} rows for the table `{name}`, more "
                                  f"than the limit `max_people_rows` of {limits.max_people_rows:,}")
    url = resolve_url(location)
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            check_schema(connection, shown_url(url))
            for table in (assignments, person_aliases, persons):
                connection.execute(delete(table))
            for table, rows in ((persons, person_rows), (person_aliases, alias_rows),
                                (assignments, assignment_rows)):
                for start in range(0, len(rows), _BATCH):  # SQLAlchemy sends each batch in few statements
                    connection.execute(insert(table), rows[start:start + _BATCH])
    except SQLAlchemyError as err:
        raise PolicyLoadError(f"cannot write the people to `{shown_url(url)}` (nothing was changed): "
                              f"{reason(err)}") from None
    finally:
        engine.dispose()
    return len(person_rows), len(assignment_rows)


def export_people(location: str, path: str | Path, organisation: DataSet | None,
                  limits: Limits = DEFAULT_LIMITS) -> tuple[int, int]:
    """Write the people of the database at ``location`` to the people file ``path`` (atomically);
    return (persons, assignments) written."""
    people = load_people_sql(location, organisation, limits).directory
    assert isinstance(people, PeopleDirectory)
    write_atomic(Path(path), people_toml(people, shown_url(resolve_url(location))))
    return len(people.persons), sum(len(p.roles) for p in people.persons)


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
