"""The organisation's units a database adds to those of the organisation file.

The tables ``units`` (id, name, kind, parent) and ``unit_aliases`` (unit_id, position, alias)
are optional. They *add* to the organisation file, never replace it: a unit of the table is a
unit the file does not define (its ``kind`` one of the file's unit kinds, its ``parent`` a unit
of the file or of the table), and an alias is a further name of a unit of either. The file must
stand on its own (its roles name its own units), so a policy without the database still loads.
The merged units are checked as the file's are (:class:`~kdv_policy.data.model.Unit` for each
row, then every cross-reference of :class:`~kdv_policy.data.model.OrganisationDirectory`: ids
and names used twice, unknown kinds and parents, cycles); a clash with the file is an error
naming the table, the row's key and the column, like every other bad row.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from kdv_policy.data.facts import DataSet, Facts, FactValue, NameEntry, name_table, organisation_facts
from kdv_policy.data.model import OrganisationDirectory, Unit, _reference_problems

UNIT_KEYS = ("units", "unit_aliases")
UNIT_COLUMNS = ("id", "name", "kind", "parent", "article", "nominative", "genitive", "dative", "accusative")
"""The columns of the table ``units``: the fields of a unit of organisation.toml but its
abbreviations (give them as aliases)."""
"""The keys of the rows :func:`merge_units` reads (the shape :func:`read_rows` gives them)."""

_CLASH = re.compile(r"the name `(?P<name>.*)` is already used by (?P<other>\S+);")


@dataclass(frozen=True)
class MergedUnits:
    """The organisation with the database's units (``organisation``: what the people are checked
    against), and what the database adds to the file's facts and names."""

    organisation: DataSet | None
    facts: Facts
    names: list[NameEntry]
    origins: dict[tuple[str, tuple[FactValue, ...]], str]


def unit_key(unit_id: object) -> str:
    return f"units[id={unit_id}]"


def alias_key(unit_id: object, position: object) -> str:
    return f"unit_aliases[unit_id={unit_id}, position={position}]"


def merge_units(organisation: DataSet | None, units: list[dict[str, Any]],
                aliases: list[dict[str, Any]]) -> tuple[MergedUnits, list[tuple[str, str]]]:
    """The organisation with ``units`` and ``aliases`` (rows as dicts, in key order) added, and
    the problems of those rows as ``(table[key].column, message)``; nothing added when any."""
    if not units and not aliases:
        return MergedUnits(organisation, {}, [], {}), []
    base = organisation.directory if organisation is not None else None
    directory = base if isinstance(base, OrganisationDirectory) else OrganisationDirectory()
    file_units = {u.id: u for u in directory.units}
    taken = {e.id: f"{table}.{e.id}" for table in ("units", "roles", "bodies", "actions", "objects")
             for e in getattr(directory, table)}
    problems: list[tuple[str, str]] = []
    added: dict[str, Unit] = {}
    for row in units:
        key = unit_key(row.get("id"))
        if row.get("id") in taken:
            problems.append((f"{key}.id", f"id `{row['id']}` is already used by {taken[row['id']]} "
                                          "of the organisation file; the table `units` adds units, "
                                          "it does not redefine them"))
            continue
        fields = {k: v for k, v in row.items() if v is not None}
        try:
            unit = Unit.model_validate(fields)
        except ValidationError as err:
            for e in err.errors():
                column = str(e["loc"][0]) if e["loc"] else "id"
                problems.append((f"{key}.{column}", _message(e)))
            continue
        added[unit.id] = unit
    names_of: dict[str, list[str]] = {}
    for row in aliases:
        key = alias_key(row.get("unit_id"), row.get("position"))
        unit_id, alias = row.get("unit_id"), row.get("alias")
        if unit_id not in file_units and unit_id not in added:
            if not any(u.get("id") == unit_id for u in units):  # a bad unit row is named already
                problems.append((f"{key}.unit_id", f"`unit_id` names the unit `{unit_id}`, which neither "
                                                   "the organisation file nor the table `units` defines"))
            continue
        if not isinstance(alias, str) or not alias.strip():
            problems.append((f"{key}.alias", "an alias must not be blank"))
            continue
        names_of.setdefault(str(unit_id), []).append(alias)
    # the rows that passed are merged, so the problems of references come with the rows' own
    merged_units = [u.model_copy(update={"aliases": (*u.aliases, *names_of.get(u.id, ()))})
                    if u.id in names_of else u for u in (*directory.units, *added.values())]
    merged = directory.model_copy(update={"units": tuple(merged_units)})
    for entry, message in _reference_problems(merged):
        problems.append(_located(entry, message, added, names_of, aliases))
    if problems:
        return MergedUnits(organisation, {}, [], {}), problems
    new = added.values()
    facts: Facts = {"unit": [(u.id,) for u in new], "unit_kind": [(u.id, u.kind) for u in new],
                    "parent": [(u.id, u.parent) for u in new if u.parent is not None]}
    facts = {predicate: rows for predicate, rows in facts.items() if rows}
    extra_names = [entry for entry in name_table(merged)
                   if entry.kind == "unit" and (entry.id in added or entry.id in names_of)]
    origins = {(predicate, row): unit_key(row[0]) for predicate, rows in facts.items() for row in rows}
    path = organisation.path if organisation is not None else Path("organisation.toml")
    origin_of = organisation.origins if organisation is not None else None
    merged_set = DataSet(path, merged, organisation_facts(merged), name_table(merged), origin_of)
    return MergedUnits(merged_set, facts, extra_names, origins), []


def _located(entry: str, message: str, added: dict[str, Unit], names_of: dict[str, list[str]],
             aliases: list[dict[str, Any]]) -> tuple[str, str]:
    """A problem of the merged directory as the row of the database it comes from (the file
    alone was valid, so every problem involves one)."""
    clash = _CLASH.search(message)
    if clash:  # the row that gives the name: this entry's, or the other's if this one is the file's
        name = clash.group("name").casefold()
        for candidate, owner in ((entry, clash.group("other")), (clash.group("other"), entry)):
            table, _, unit_id = candidate.partition(".")
            if table != "units":
                continue
            # the message names the entry the row's name clashes with, not the row's own unit
            said = (f"the name `{clash.group('name')}` is already used by {owner}; names must resolve "
                    "to one entry")
            if unit_id in added and added[unit_id].name.casefold() == name:
                return f"{unit_key(unit_id)}.name", said
            for row in aliases:
                if row.get("unit_id") == unit_id and str(row.get("alias", "")).casefold() == name:
                    return f"{alias_key(unit_id, row.get('position'))}.alias", said
    table, _, unit_id = entry.partition(".")
    if table == "units" and unit_id in added:
        column = ("kind" if message.startswith("`kind`") else
                  "parent" if "parent" in message else "id")
        return f"{unit_key(unit_id)}.{column}", message
    return entry, message


def _message(error: Any) -> str:
    text = str(error.get("msg", "invalid"))
    if error.get("type") == "string_pattern_mismatch":
        value = error.get("input")
        if isinstance(value, str) and len(value) < 200:
            return (f"`{value}` is not an id: an id is lowercase letters, digits and `_`, starting with "
                    "a letter" if error["loc"] and error["loc"][0] in ("id", "kind", "parent")
                    else "must not be blank")
    return text[:1].lower() + text[1:]
