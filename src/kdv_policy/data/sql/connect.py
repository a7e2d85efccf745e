"""Engines and migrations: a URL → a SQLAlchemy engine; the schema brought to :data:`HEAD` by Alembic."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, select
from sqlalchemy.exc import SQLAlchemyError

from kdv_policy.data.sql import N_, SqlError, driver_url, resolve_url, shown_url
from kdv_policy.data.sql.schema import HEAD, VERSION_TABLE

MIGRATIONS = Path(__file__).parent / "migrations"

_BAD_URL = N_("cannot use the database URL `{url}`: {reason}")

CONNECT_TIMEOUT = 10
"""Seconds to wait for a database to accept a connection."""


def make_engine(location: str, *, create: bool = False, **options: Any) -> Engine:
    """An engine for a URL (or ``env:NAME``): psycopg 3 for PostgreSQL, a busy timeout and
    foreign keys for SQLite; a bounded connection timeout for both. A SQLite file must exist
    unless ``create`` (reading never leaves an empty database behind)."""
    url = driver_url(resolve_url(location))
    if not create and url.startswith("sqlite"):
        from sqlalchemy.engine import make_url

        try:
            database = make_url(url).database
        except (SQLAlchemyError, ValueError) as err:
            raise SqlError(_BAD_URL, url=shown_url(url), reason=reason(err)) from None
        if database and database != ":memory:" and not Path(database).is_file():
            raise SqlError(N_("the SQLite database `{database}` does not exist; create it with "
                              "`python -m kdv_policy people migrate {url}`"), database=database,
                           url=shown_url(url))
    connect_args: dict[str, Any] = {}
    if url.startswith("sqlite"):
        connect_args["timeout"] = 30  # seconds another writer may hold the file's lock
    elif url.startswith("postgresql"):
        connect_args["connect_timeout"] = CONNECT_TIMEOUT
    try:
        engine = create_engine(url, connect_args=connect_args, **options)
    except (SQLAlchemyError, ImportError, ValueError) as err:
        raise SqlError(_BAD_URL, url=shown_url(url), reason=reason(err)) from None
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
    return engine


def _sqlite_pragmas(connection: Any, _record: Any) -> None:
    # Python's sqlite3 begins a transaction only before a write, so the reads of one load would
    # each see the latest commit; transactions are begun explicitly instead (SQLAlchemy's recipe),
    # so a load reads one snapshot
    connection.isolation_level = None
    cursor = connection.cursor()
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.execute("PRAGMA journal_mode = WAL")  # readers do not wait for a writer
    cursor.close()


def _sqlite_begin(connection: Connection) -> None:
    connection.exec_driver_sql("BEGIN")


def reason(err: BaseException) -> str:
    """The first line of a database error, without SQLAlchemy's background link."""
    original = getattr(err, "orig", None)
    text = str(original if original is not None else err).strip()
    first = text.splitlines()[0] if text else type(err).__name__
    return first[:300]


def migrate(location: str, revision: str = "head") -> str:
    """Bring the database's schema to ``revision`` (default: the newest) with Alembic, in one
    transaction; return the revision it is at afterwards."""
    from alembic import command
    from alembic.config import Config

    engine = make_engine(location, create=True)
    try:
        with engine.begin() as connection:
            config = Config()
            config.set_main_option("script_location", str(MIGRATIONS))
            config.attributes["connection"] = connection
            command.upgrade(config, revision)
            return schema_revision(connection) or "base"
    except SQLAlchemyError as err:
        raise SqlError(N_("cannot migrate the database `{url}`: {reason}"), url=shown_url(str(engine.url)),
                       reason=reason(err)) from None
    finally:
        engine.dispose()


def schema_revision(connection: Connection) -> str | None:
    """The revision the database is at (None: no kdv_policy schema)."""
    from sqlalchemy import inspect
    from sqlalchemy.sql import column, table

    if not inspect(connection).has_table(VERSION_TABLE):
        return None
    found = connection.execute(select(column("version_num")).select_from(table(VERSION_TABLE))).scalar()
    return str(found) if found is not None else None


def check_schema(connection: Connection, shown: str) -> None:
    """Raise unless the database is at the revision this version reads (:data:`HEAD`)."""
    revision = schema_revision(connection)
    if revision is None:
        raise SqlError(N_("the database `{url}` has no kdv_policy schema, not `{head}`; create or migrate it "
                          "with `python -m kdv_policy people migrate URL`"), url=shown, head=HEAD)
    if revision != HEAD:
        raise SqlError(N_("the database `{url}` is at schema revision `{revision}`, not `{head}`; create or "
                          "migrate it with `python -m kdv_policy people migrate URL`"),
                       url=shown, revision=revision, head=HEAD)
