"""The ``people`` command: a people database's schema and data.

``people migrate URL`` creates or migrates the schema (Alembic, one transaction);
``people import FILE URL`` replaces the database's people with those of a people file (one
transaction); ``people export URL FILE`` writes them to a people file (atomically);
``people check URL`` reads them as a policy would and says what it found. ``--units FILE``
moves the optional units and unit aliases with the people; ``--lang de`` speaks German.

Exit status: 0 when done, 2 when the file, the database or the policy does not load (nothing
is changed then).
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from kdv_policy.cli.loading import add_limit_option, limits_from, locate
from kdv_policy.cli.output import EXIT_BAD_INPUT, EXIT_OK, PROG, error, policy_error
from kdv_policy.errors import PolicyError
from kdv_policy.policy.wording import LANGUAGES, N_, say

if TYPE_CHECKING:
    from kdv_policy.data import DataSet

_URL_HELP = "database URL: sqlite:///people.db, postgresql://user@host/db, or env:NAME (the URL in $NAME)"


def add_people_command(sub: argparse._SubParsersAction, default_policy: str) -> None:
    """Register ``people`` on the command line's subparsers."""
    people = sub.add_parser(
        "people", help="a people database: create or migrate its schema, import, export, check",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description=(
            "Keep persons and their role assignments in a database (SQLite, PostgreSQL) instead of a\n"
            "people file: create the schema, move the people between a file and the database (each\n"
            "way all or nothing), check the database as a policy reads it. Credentials belong in the\n"
            "environment: give env:NAME for a URL held in the variable NAME.\n\n"
            "Exit status: 0 when done, 2 when a file, the database or the policy does not load."),
        epilog="examples:\n"
               f"  {PROG} people migrate sqlite:///people.db\n"
               f"  {PROG} people import examples/people.toml sqlite:///people.db\n"
               f"  {PROG} people export env:KDV_PEOPLE_URL people.toml\n"
               f"  {PROG} people check postgresql://kdv@db.example/kdv\n"
               f"  {PROG} people import people.toml sqlite:///people.db --units units.toml\n"
               f"  {PROG} query --people sqlite:///people.db who is responsible for DIV\n",
    )
    actions = people.add_subparsers(dest="action", metavar="ACTION", required=True)
    migrate = actions.add_parser("migrate", help="create or migrate the schema to the newest revision")
    migrate.add_argument("url", metavar="URL", help=_URL_HELP)
    _lang_option(migrate)
    migrate.set_defaults(func=cmd_migrate)
    do_import = actions.add_parser("import", help="replace the database's people with a people file's")
    do_import.add_argument("file", metavar="FILE", help="the people file (TOML)")
    do_import.add_argument("url", metavar="URL", help=_URL_HELP)
    do_import.add_argument("--units", metavar="UNITS_FILE",
                           help="also replace the database's units and unit aliases with a units file's "
                                "(units organisation.toml does not define; see docs/operations.md)")
    export = actions.add_parser("export", help="write the database's people to a people file")
    export.add_argument("url", metavar="URL", help=_URL_HELP)
    export.add_argument("file", metavar="FILE", help="the people file to write (replaced at once)")
    export.add_argument("--units", metavar="UNITS_FILE",
                        help="also write the database's units and unit aliases to this units file")
    check = actions.add_parser("check", help="read the database's people as a policy would")
    check.add_argument("url", metavar="URL", help=_URL_HELP)
    for parser, func in ((do_import, cmd_import), (export, cmd_export), (check, cmd_check)):
        parser.add_argument("--rules", metavar="DIR",
                            help="the policy whose organisation directory the roles must be in "
                                 f"({default_policy})")
        add_limit_option(parser)
        _lang_option(parser)
        parser.set_defaults(func=func)


def _lang_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--lang", choices=LANGUAGES, default="en",
                        help="the language of the output and of errors: de or en (default: en)")


def fail(err: PolicyError, lang: str) -> int:
    """A file or database that does not load, said in ``lang``; the exit status for it."""
    from kdv_policy.data.sql import SqlError

    if isinstance(err, SqlError):
        hint = say(lang, err.hint_id, **err.values) if err.hint_id else None
        error(say(lang, err.message_id, **err.values), hint, lang=lang)
    else:
        policy_error(err, lang)
    return EXIT_BAD_INPUT


def _organisation(args: argparse.Namespace) -> DataSet | None:
    from kdv_policy.data import load_data

    location = locate(args.rules)
    return load_data(location.path, limits_from(args.limit)) if location.path.is_dir() else None


def cmd_migrate(args: argparse.Namespace) -> int:
    from kdv_policy.data.sql.connect import migrate

    try:
        revision = migrate(args.url)
    except PolicyError as err:
        return fail(err, args.lang)
    print(say(args.lang, _MIGRATED, url=_shown(args.url), revision=revision))
    return EXIT_OK


def cmd_import(args: argparse.Namespace) -> int:
    from kdv_policy.data.sql.transfer import import_people

    try:
        persons, assignments = import_people(args.file, args.url, _organisation(args),
                                             limits_from(args.limit), units=args.units)
    except PolicyError as err:
        return fail(err, args.lang)
    print(say(args.lang, _IMPORTED, persons=f"{persons:,}", assignments=f"{assignments:,}", file=args.file,
              url=_shown(args.url)))
    if args.units:
        print(say(args.lang, _UNITS_IMPORTED, file=args.units))
    return EXIT_OK


def cmd_export(args: argparse.Namespace) -> int:
    from kdv_policy.data.sql.transfer import export_people

    try:
        persons, assignments = export_people(args.url, args.file, _organisation(args),
                                             limits_from(args.limit), units=args.units)
    except PolicyError as err:
        return fail(err, args.lang)
    print(say(args.lang, _EXPORTED, persons=f"{persons:,}", assignments=f"{assignments:,}", file=args.file,
              url=_shown(args.url)))
    if args.units:
        print(say(args.lang, _UNITS_EXPORTED, file=args.units))
    return EXIT_OK


def cmd_check(args: argparse.Namespace) -> int:
    from kdv_policy.data.sql.source import load_people_sql

    try:
        people = load_people_sql(args.url, _organisation(args), limits_from(args.limit))
    except PolicyError as err:
        return fail(err, args.lang)
    persons = len(people.facts.get("person", ()))
    assignments = len(people.facts.get("assignment", ()))
    units = len(people.facts.get("unit", ()))
    message = _CHECKED_UNITS if units else _CHECKED
    print(say(args.lang, message, url=people.url, persons=f"{persons:,}", assignments=f"{assignments:,}",
              units=f"{units:,}", version=people.data_version))
    return EXIT_OK


_MIGRATED = N_("the database `{url}` is at schema revision {revision}")
_IMPORTED = N_("imported {persons} persons and {assignments} assignments from `{file}` into `{url}`")
_UNITS_IMPORTED = N_("and the units and unit aliases of `{file}`")
_EXPORTED = N_("exported {persons} persons and {assignments} assignments from `{url}` to `{file}`")
_UNITS_EXPORTED = N_("and the units and unit aliases to `{file}`")
_CHECKED = N_("`{url}`: {persons} persons, {assignments} assignments, data version {version}")
_CHECKED_UNITS = N_("`{url}`: {persons} persons, {assignments} assignments, {units} units beside the "
                    "organisation file's, data version {version}")


def _shown(location: str) -> str:
    from kdv_policy.data.sql import shown_url

    return location if location.startswith("env:") else shown_url(location)
