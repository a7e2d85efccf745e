"""People from a SQL database: the schema, its migrations, reading, importing and exporting.

A policy reads its persons and their role assignments from a people file (TOML) or from a
database named by a URL: a SQLite file (``sqlite:///people.db``, built into Python) or any
database SQLAlchemy 2 reaches, PostgreSQL first (``postgresql://user@host/db``, through
psycopg 3). The schema (created and migrated with Alembic: ``python -m kdv_policy people
migrate URL``)::

    persons         id (primary key, a lowercase id), name
    person_aliases  person_id → persons.id, position, alias        (primary key: person_id, position)
    assignments     person_id → persons.id, role, valid_from, valid_until (null: open-ended)
                                                                   (primary key: person_id, role, valid_from)
    people_changes  id = 1, counter, updated_at                    bumped by triggers on every change
    decisions       the decision log (kdv_policy.policy.decisionlog), append-only

The rows are checked as strictly as a people file (the same models, :mod:`kdv_policy.data.model`),
and more: two assignments of one person to one role may not overlap. Every problem names the
table, the row's key and the column: ``assignments[person_id=erika_muster, role=x,
valid_from=2020-06-01].role: ...``. A database holding a bad row loads nothing.

Only this module is imported with the data stage; SQLAlchemy, Alembic and the database driver
are imported when a database is first read (``import kdv_policy`` stays light).
"""

from __future__ import annotations

import os
import re

from kdv_policy.errors import Diagnostic, PolicyLoadError, Severity

URL_PATTERN = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
ENV_PREFIX = "env:"


def N_(message: str) -> str:
    """Marks a message for the German catalog (``kdv_policy.policy.wording``, a later stage, says it)."""
    return message


class SqlError(PolicyLoadError):
    """A database that cannot be read or written. Its message is an English message id with
    its ``values`` filled in, so the command line can say it in the user's language
    (``say(lang, err.message_id, **err.values)``); ``hint_id`` likewise."""

    def __init__(self, message_id: str, *, code: str = "data-database", hint_id: str | None = None,
                 **values: str) -> None:
        self.message_id = message_id
        self.hint_id = hint_id
        self.values = values
        message = message_id.format_map(values)
        hint = hint_id.format_map(values) if hint_id is not None else None
        super().__init__(message, (Diagnostic(code, Severity.ERROR, message, None, hint),) if hint else ())


def is_url(location: object) -> bool:
    """Whether a people location is a database URL (``scheme://...``) or ``env:NAME`` (the URL
    in the environment variable ``NAME``), rather than a file path."""
    text = os.fspath(location) if isinstance(location, os.PathLike) else location
    return isinstance(text, str) and (bool(URL_PATTERN.match(text)) or text.startswith(ENV_PREFIX))


def resolve_url(location: str) -> str:
    """The URL a location names: ``env:NAME`` read from the environment, else ``location``."""
    if location.startswith(ENV_PREFIX):
        name = location[len(ENV_PREFIX):]
        value = os.environ.get(name)
        if not value:
            raise SqlError(N_("the environment variable `{name}` that should hold the people database's "
                              "URL is not set"), name=name)
        return value
    return location


def driver_url(url: str) -> str:
    """The URL with the driver SQLAlchemy should use: psycopg 3 for a bare ``postgresql://``."""
    for bare in ("postgresql://", "postgres://"):
        if url.startswith(bare):
            return "postgresql+psycopg://" + url[len(bare):]
    return url


def shown_url(url: str) -> str:
    """The URL as messages show it: a password replaced by ``***``."""
    return re.sub(r"^([^:/]+://[^:/@]*):[^@/]*@", r"\1:***@", url)


def has_password(url: str) -> bool:
    return shown_url(url) != url
