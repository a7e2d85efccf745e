"""The command line: ``python -m kdv_policy COMMAND``.

Commands: ``check`` (parse and check a policy directory) and ``query`` (ad-hoc
Datalog queries). Answers go to stdout; errors go to stderr with exit status 2.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

from . import __version__
from .api import Policy
from .errors import PolicyError, Severity
from .loader import analyse_directory
from .printer import format_value

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_BAD_INPUT = 2


def _json_value(value):
    return value.isoformat() if hasattr(value, "isoformat") else value


def cmd_check(args: argparse.Namespace) -> int:
    try:
        result, sources, _datasets = analyse_directory(args.dir)
    except PolicyError as err:
        print(err.render(), file=sys.stderr)
        return EXIT_BAD_INPUT
    diags = result.diagnostics
    errors = sum(1 for d in diags if d.severity is Severity.ERROR)
    warnings = len(diags) - errors
    if args.format == "json":
        for d in diags:
            span = d.span
            print(json.dumps({
                "path": span.path if span else None, "line": span.line if span else None,
                "col": span.col if span else None, "severity": d.severity.value,
                "code": d.code, "message": d.message, "help": d.help,
            }, ensure_ascii=False))
    else:
        for d in diags:
            print(d.render())
            print()
        where = args.dir or "the bundled policy"
        print(f"checked {len(sources)} file{'s' if len(sources) != 1 else ''} of {where}: "
              f"{errors} error{'s' if errors != 1 else ''}, {warnings} warning{'s' if warnings != 1 else ''}")
    return EXIT_FAILED if errors else EXIT_OK


def cmd_query(args: argparse.Namespace) -> int:
    try:
        policy = Policy.load(args.rules)
    except PolicyError as err:
        print(err.render(), file=sys.stderr)
        return EXIT_BAD_INPUT
    status = EXIT_OK
    for text in _queries(args.queries):
        try:
            answers = policy.ask(text)
        except PolicyError as err:
            print(err.render(), file=sys.stderr)
            status = EXIT_BAD_INPUT
            continue
        if args.format == "json":
            rows = [{k: _json_value(v) for k, v in row.items()} for row in answers]
            print(json.dumps({"query": text, "answers": rows}, ensure_ascii=False))
        else:
            _print_answers(text, answers)
    return status


def _queries(items: Sequence[str]) -> list[str]:
    out = []
    for item in items:
        if item == "-":
            out += [line.strip() for line in sys.stdin if line.strip() and not line.startswith("%")]
        else:
            out.append(item)
    return out


def _print_answers(text: str, answers) -> None:
    if not answers:
        print(f"{text}: no")
        return
    if answers == ({},):
        print(f"{text}: yes")
        return
    print(f"{text}: {len(answers)} answer{'s' if len(answers) != 1 else ''}")
    for row in answers:
        print("  " + ", ".join(f"{k} = {format_value(v)}" for k, v in row.items()))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m kdv_policy",
        description="Ask and check the governance policy of the KDV (Kanton Thurgau).",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="examples:\n"
               "  python -m kdv_policy check\n"
               "  python -m kdv_policy query \"member(steuerungsausschuss, X)\"\n",
    )
    parser.add_argument("--version", action="version", version=f"kdv_policy {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    check = sub.add_parser(
        "check", help="parse and check a policy directory, printing every problem",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Parse and check every *.dl file of a policy directory (the bundled policy by "
                    "default).\nExit status: 0 without errors (warnings allowed), 1 with errors, "
                    "2 when the directory cannot be read.",
        epilog="examples:\n  python -m kdv_policy check\n  python -m kdv_policy check my/rules\n",
    )
    check.add_argument("dir", nargs="?", help="policy directory (default: the bundled policy)")
    check.add_argument("--format", choices=("text", "json"), default="text",
                       help="text (default) or one JSON object per diagnostic")
    check.set_defaults(func=cmd_check)

    query = sub.add_parser(
        "query", help="answer ad-hoc Datalog queries",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Answer Datalog queries against a policy. Each argument is one query; `-` reads "
                    "one query per line from stdin.\nExit status: 0 when answered, 2 for a bad query.",
        epilog="examples:\n"
               "  python -m kdv_policy query \"member(steuerungsausschuss, X)\"\n"
               "  python -m kdv_policy query --format json \"chair(B, P)\"\n",
    )
    query.add_argument("queries", nargs="+", metavar="QUERY")
    query.add_argument("--rules", metavar="DIR", help="policy directory (default: the bundled policy)")
    query.add_argument("--format", choices=("text", "json"), default="text")
    query.set_defaults(func=cmd_query)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)
