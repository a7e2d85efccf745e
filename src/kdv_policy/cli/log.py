"""The ``log`` command: what was decided about X between two days, from the decision log.

Exit status: 0 when the log was read (no decision found included), 2 when a date is bad or
the database does not answer.
"""

from __future__ import annotations

import argparse
import datetime
import json
import sys

from kdv_policy.cli.output import EXIT_BAD_INPUT, EXIT_OK, PROG, error
from kdv_policy.cli.people import fail
from kdv_policy.errors import PolicyError
from kdv_policy.policy.wording import LANGUAGES, N_, phrase, say


def add_log_command(sub: argparse._SubParsersAction) -> None:
    """Register ``log`` on the command line's subparsers."""
    log = sub.add_parser(
        "log", help="what was decided about X between two days (the decision log in a database)",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description=(
            "List the decisions of the decision log (kdv_policy.policy.decisionlog) about X (an id, or a\n"
            "name as it was asked) made from the day --from to the day --to (both included, UTC), oldest\n"
            "first: the question, the answer, the interpretations it rests on and the versions of the\n"
            "policy and of the people data it was made with.\n\n"
            "Exit status: 0 when the log was read, 2 when a date is bad or the database does not answer."),
        epilog="examples:\n"
               f"  {PROG} log sqlite:///decisions.db --about erika_muster --from 2026-03-03 --to 2026-03-03\n"
               f"  {PROG} log env:KDV_LOG_URL --about strategie --from 2026-03-01 --to 2026-03-31 --json\n",
    )
    log.add_argument("url", metavar="URL",
                     help="the decision log's database: sqlite:///FILE, postgresql://..., or env:NAME")
    log.add_argument("--about", metavar="X", help="an id or name the decision is about (default: all)")
    log.add_argument("--from", dest="start", metavar="YYYY-MM-DD", help="the first day (default: the first)")
    log.add_argument("--to", dest="end", metavar="YYYY-MM-DD", help="the last day (default: today)")
    log.add_argument("--max", type=int, default=1000, metavar="N",
                     help="show at most N decisions (default 1000, at most 10000)")
    log.add_argument("--json", action="store_true", help="the decisions as a JSON array")
    log.add_argument("--lang", choices=LANGUAGES, default="en",
                     help="the language of the text and of errors: de or en (default: en)")
    log.set_defaults(func=cmd_log)


def _day(text: str | None, what: str, lang: str) -> datetime.date | None:
    if text is None:
        return None
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        raise ValueError(say(lang, _NOT_A_DATE, option=what, text=text[:40])) from None


_NOT_A_DATE = N_("{option} `{text}` is not a date; write it as YYYY-MM-DD")
_BAD_MAX = N_("--max must be between 1 and {most}, not {given}")
_FOUND = (N_("1 decision"), N_("{n} decisions"))
_FOUND_ABOUT = (N_("1 decision about `{about}`"), N_("{n} decisions about `{about}`"))
_FIRST_MAX = N_("(the first --max)")
_ALLOWED, _DENIED = N_("allowed"), N_("denied")
_ANSWERS = N_("{n} answers")
_TEXT_ALONE = N_("the text alone")
_DETAILS = N_("policy {policy}, data {data}, {readings}; decision {decision}")


def cmd_log(args: argparse.Namespace) -> int:
    from kdv_policy.policy.decisionlog import MAX_QUERY_ROWS, decisions_about

    lang = args.lang
    try:
        start, end = _day(args.start, "--from", lang), _day(args.end, "--to", lang)
    except ValueError as err:
        error(str(err), lang=lang)
        return EXIT_BAD_INPUT
    if not 1 <= args.max <= MAX_QUERY_ROWS:
        error(say(lang, _BAD_MAX, most=f"{MAX_QUERY_ROWS:,}", given=str(args.max)), lang=lang)
        return EXIT_BAD_INPUT
    try:
        rows = decisions_about(args.url, args.about, start, end, limit=args.max)
    except PolicyError as err:
        return fail(err, lang)
    if args.json:
        json.dump(rows, sys.stdout, ensure_ascii=False, indent=2)
        print()
        return EXIT_OK
    one, many = _FOUND_ABOUT if args.about else _FOUND
    found = say(lang, one if len(rows) == 1 else many, n=str(len(rows)), about=args.about or "")
    print(found + (" " + phrase(lang, _FIRST_MAX) if len(rows) == args.max else ""))
    for row in rows:
        answer = row["answer"]
        verdict = (phrase(lang, _ALLOWED if answer["allowed"] else _DENIED) if "allowed" in answer
                   else ", ".join(answer.get("ids", ()))
                   or say(lang, _ANSWERS, n=str(answer.get("answers", 0))))
        readings = ", ".join(row["interpretations"]) or phrase(lang, _TEXT_ALONE)
        print(f"{row['time']}  {row['resolved']} → {verdict}\n    "
              + say(lang, _DETAILS, policy=row["policy_version"], data=row["data_version"] or "-",
                    readings=readings, decision=row["decision_id"]))
    return EXIT_OK
