"""Reading data files: TOML text → validated entries → a :class:`~kdv_policy.data.facts.DataSet`.

Every problem of a file is raised as one :class:`~kdv_policy.errors.PolicyLoadError` that
names them all (see :mod:`kdv_policy.data`).
"""

from __future__ import annotations

import os
from functools import partial
from pathlib import Path

import tomli
from pydantic import ValidationError

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
from kdv_policy.files import display_path, read_text
from kdv_policy.language.source import Source

DATA_FILE = "organisation.toml"
"""The name of the data file in a policy directory."""

PEOPLE_FILE = "people.toml"
"""The usual name of a people file (:func:`load_people` also takes a directory holding one)."""


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
        raise validation_error(err, raw, Source(display, text), OrganisationDirectory) from None
    origins = Origins(partial(Source, display, text), partial(organisation_origins, directory))
    return DataSet(path or Path(display), directory, organisation_facts(directory), name_table(directory),
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
        raise validation_error(err, raw, Source(display, text), PeopleDirectory) from None
    origins = Origins(partial(Source, display, text), partial(people_entries, people), field="role")
    return DataSet(path or Path(display), people, people_rows(people), people_name_table(people), origins)


_TABLE_OF_KIND = {kind: table for table, kind in KIND_OF_TABLE.items()}


def _read(path: Path, display: str) -> str:
    return read_text(path, display)


def _toml(text: str, display: str) -> dict:
    try:
        return tomli.loads(text)
    except tomli.TOMLDecodeError as err:
        raise toml_error(err, Source(display, text)) from None
