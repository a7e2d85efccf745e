"""Reading data files: TOML text → validated entries → a :class:`~kdv_policy.data.facts.DataSet`.

Every problem of a file is raised as one :class:`~kdv_policy.errors.PolicyLoadError` that
names them all (see :mod:`kdv_policy.data`).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from functools import partial
from pathlib import Path
from typing import Any

import tomli as toml
from pydantic import BaseModel, ValidationError

from kdv_policy.data.facts import (
    DataSet,
    name_table,
    organisation_facts,
    organisation_origins,
    people_entries,
    people_name_table,
    people_rows,
)
from kdv_policy.data.locate import toml_error, validation_error
from kdv_policy.data.model import KIND_OF_TABLE, OrganisationDirectory, PeopleDirectory
from kdv_policy.data.origins import Origins
from kdv_policy.errors import PolicyLoadError
from kdv_policy.files import check_inside, display_path, file_error, raise_limit_help, read_text
from kdv_policy.language.source import Source
from kdv_policy.limits import DEFAULT_LIMITS, Limits

DATA_FILE = "organisation.toml"
"""The name of the data file in a policy directory."""

PEOPLE_FILE = "people.toml"
"""The usual name of a people file (:func:`load_people` also takes a directory holding one)."""


def load_data(directory: str | os.PathLike, limits: Limits = DEFAULT_LIMITS) -> DataSet | None:
    """Load ``organisation.toml`` from a policy directory; None when there is none.

    Raises :class:`~kdv_policy.errors.PolicyLoadError` listing every problem of the file (one
    that is no regular file, or larger than ``limits.max_data_file_bytes``, is not read).
    """
    directory = Path(directory)
    path = directory / DATA_FILE
    if not directory.is_dir() or not os.path.lexists(path):
        return None
    display = display_path(path)
    check_inside(path, directory, display, "data file")
    return parse_data(_read(path, display, "data file", limits), display, path, limits)


# Loading builds only what every load needs: the facts and the names. The line index of the
# text (a Source) and which entry states each fact are for error messages and explanations,
# built when one first asks (see Origins).


def parse_data(text: str, display: str = DATA_FILE, path: Path | None = None,
               limits: Limits = DEFAULT_LIMITS) -> DataSet:
    """Validate the text of a data file; ``display`` is the file name errors show."""
    raw = _toml(text, display, limits.max_nesting)
    try:
        directory = OrganisationDirectory.model_validate(raw)
    except ValidationError as err:
        raise validation_error(err, raw, Source(display, text), OrganisationDirectory) from None
    _share_fields_sets(_entries(directory))
    origins = Origins(partial(Source, display, text), partial(organisation_origins, directory))
    return DataSet(path or Path(display), directory, organisation_facts(directory), name_table(directory),
                   origins)


def load_people(path: str | os.PathLike, organisation: DataSet | None,
                limits: Limits = DEFAULT_LIMITS) -> DataSet:
    """Load a people file (``path``, or ``path/people.toml`` when ``path`` is a directory)
    against the ``organisation`` directory whose roles its assignments name (None: no
    directory, so no role can be named).

    Returns a :class:`DataSet` with the facts ``person/1`` and ``assignment/4``, the names
    of kind ``person`` and the origin of every fact. Raises
    :class:`~kdv_policy.errors.PolicyLoadError` listing every problem of the file, each as
    ``file: entry: message``; a missing file is an error too, since the caller named it.
    The file must be a regular ``*.toml`` file: any other path is refused before it is read,
    so an error never shows a line of a file that is no people file.
    """
    path = Path(path)
    if path.is_dir():
        path = path / PEOPLE_FILE
    display = display_path(path)
    if path.suffix != ".toml":
        raise file_error("file-not-toml", f"people file `{display}` is not a TOML file (`*.toml`)",
                         "a people file is TOML, named like `people.toml` (see docs/governance.md)")
    return parse_people(_read(path, display, "people file", limits), organisation, display, path, limits)


def parse_people(text: str, organisation: DataSet | None, display: str = PEOPLE_FILE,
                 path: Path | None = None, limits: Limits = DEFAULT_LIMITS) -> DataSet:
    """Validate the text of a people file against ``organisation``; ``display`` is the file
    name errors show."""
    raw = _toml(text, display, limits.max_nesting)
    directory = organisation.directory if organisation is not None else None
    roles = {r.id for r in directory.roles} if isinstance(directory, OrganisationDirectory) else set()
    reserved = {e.id: f"{_TABLE_OF_KIND.get(e.kind, e.kind)}.{e.id}"
                for e in (organisation.names if organisation is not None else ())}
    try:
        people = PeopleDirectory.model_validate(raw, context={"roles": roles, "reserved": reserved})
    except ValidationError as err:
        raise validation_error(err, raw, Source(display, text), PeopleDirectory) from None
    _share_fields_sets(people.persons)
    _share_fields_sets(a for p in people.persons for a in p.roles)
    origins = Origins(partial(Source, display, text), partial(people_entries, people), field="role")
    return DataSet(path or Path(display), people, people_rows(people), people_name_table(people), origins)


_set_fields_set = BaseModel.__pydantic_fields_set__.__set__  # type: ignore[attr-defined]


def _share_fields_sets(models: Iterable[BaseModel]) -> None:
    """Let entries of a validated file that were given the same fields share one fields set.

    Pydantic gives every model its own set of the fields its input gave (a people file of
    10,000 persons holding 15,000 roles: 25,000 sets). The entries are frozen, so their sets
    never change: one set per distinct set of fields holds the same, and the cyclic collector,
    which visits every set on each of its passes over the policy, has tens of thousands fewer
    objects to visit. Entries of one kind are given a few sets of fields; at most
    ``_SHARED_SETS`` of them are shared per kind."""
    seen: dict[type, list[set[str]]] = {}
    for model in models:
        fields = model.__pydantic_fields_set__
        known = seen.get(type(model))
        if known is None:
            seen[type(model)] = [fields]
            continue
        for same in known:
            if same == fields:
                if same is not fields:
                    _set_fields_set(model, same)
                break
        else:
            if len(known) < _SHARED_SETS:
                known.append(fields)


_SHARED_SETS = 8


def _entries(directory: BaseModel) -> Iterator[BaseModel]:
    """The entries of the tables of a validated file."""
    for table in directory.__dict__.values():
        if type(table) is tuple:
            yield from (entry for entry in table if isinstance(entry, BaseModel))


_TABLE_OF_KIND = {kind: table for table, kind in KIND_OF_TABLE.items()}


def read_toml(path: Path, display: str, what: str, limits: Limits = DEFAULT_LIMITS) -> dict:
    """A TOML file of the policy directory, read with the data files' bounds (size, nesting)."""
    return _toml(_read(path, display, what, limits), display, limits.max_nesting)


def _read(path: Path, display: str, what: str, limits: Limits) -> str:
    # one people file and one organisation file per policy: splitting is no way out, raising is
    return read_text(path, display, limit=limits.max_data_file_bytes, limit_name="max_data_file_bytes",
                     what=what, advice=None)


def _toml(text: str, display: str, max_nesting: int) -> dict:
    """The TOML document, nested at most ``max_nesting`` tables and arrays deep."""
    try:
        raw = toml.loads(text)
    except toml.TOMLDecodeError as err:
        raise toml_error(err, Source(display, text)) from None
    except RecursionError:  # the parser's own bound on nesting, below ours only if ours was raised
        raise _too_deep(display, max_nesting) from None
    if _depth(raw, max_nesting) > max_nesting:
        raise _too_deep(display, max_nesting)
    return raw


def _depth(value: object, bound: int) -> int:
    """How deep tables and arrays nest in ``value`` (its top table not counted), counted up
    to ``bound + 1`` (level by level, without recursion: a deep document must not exhaust the
    stack; only tables and arrays are kept, so a level costs a pass over its values)."""
    depth = 0
    level: list[Any] = [value]  # tables (dicts) and arrays (lists)
    while level:
        below: list[Any] = []
        for item in level:
            children = item.values() if type(item) is dict else item  # a table or an array
            below += [child for child in children if type(child) in _CONTAINERS]
        if not below:
            return depth
        depth += 1
        if depth > bound:
            return depth
        level = below
    return depth


_CONTAINERS = frozenset({dict, list})  # what the TOML parser makes tables and arrays of


def _too_deep(display: str, max_nesting: int) -> PolicyLoadError:
    return file_error("data-nesting", f"`{display}` nests tables and arrays more than {max_nesting} levels "
                      "deep (`max_nesting`)", "an organisation or people file needs only a few levels; "
                      + raise_limit_help("max_nesting") + " if yours needs more")
