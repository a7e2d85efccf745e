"""The ``report`` command: the auditor's report of a policy as a static website (docs/audit.md).

Exit status: 0 when written, 2 when the policy, its people file, its tests, the older version
(``--against``) do not load or the directory cannot be written.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import time

from kdv_policy.cli.loading import (
    add_interpretation_options,
    add_limit_option,
    limits_from,
    locate,
    with_interpretations,
)
from kdv_policy.cli.output import EXIT_BAD_INPUT, EXIT_OK, PROG, policy_error
from kdv_policy.errors import PolicyError


def add_report_command(sub: argparse._SubParsersAction, default_policy: str) -> None:
    """Register ``report`` on the command line's subparsers."""
    report = sub.add_parser(
        "report", help="write the auditor's report: a self-contained website of the policy",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description=(
            "Write a static website into DIR that opens from the file system with no network access:\n"
            "the governance text sentence by sentence with the rules and tests that encode it, the\n"
            "decision matrix with an explanation for every cell, the governance as a picture, what\n"
            "changed against an earlier version (--against) and the policy's provenance.\n"
            "The policy tests are run. German by default, English with --lang en.\n\n"
            "Exit status: 0 when written, 2 when a policy does not load or DIR cannot be written."),
        epilog="examples:\n"
               f"  {PROG} report -o report\n"
               f"  {PROG} report rules -o report --against git:HEAD~1\n"
               f"  {PROG} report rules -o report --lang en --people examples/people.toml\n",
    )
    report.add_argument("dir", nargs="?", metavar="POLICY", help=f"policy directory ({default_policy})")
    report.add_argument("-o", "--output", metavar="DIR", required=True,
                        help="the directory to write (created; replaced when it holds an earlier report)")
    report.add_argument("--lang", choices=("de", "en"), default="de",
                        help="the pages' language (default: de)")
    report.add_argument("--people", metavar="FILE", help="people file: adds the persons to the matrix")
    report.add_argument("--against", metavar="git:REV|DIR",
                        help="an earlier version: `git:REV` for POLICY at a git revision, or a directory; "
                             "the decisions gained and lost are shown with their proofs")
    add_limit_option(report)
    add_interpretation_options(report)
    report.set_defaults(func=cmd_report)


def cmd_report(args: argparse.Namespace) -> int:
    """``report``: load the policy (and the older one), write the site, say where."""
    from kdv_policy.policy.api import Policy
    from kdv_policy.report import generate

    started = time.perf_counter()
    try:
        location = locate(args.dir)
        limits = limits_from(args.limit)
        policy = Policy.load(location.path, people=args.people, limits=limits, lang=args.lang)
        policy = with_interpretations(policy, args)
        with contextlib.ExitStack() as stack:
            old = None
            if args.against:
                from kdv_policy.cli.revision import checkout  # git: only to compare

                old_dir = checkout(args.against, str(location.path), stack)
                old = with_interpretations(
                    Policy.load(old_dir, people=args.people, limits=limits, lang=args.lang), args)
            files = generate(policy, args.output, people=args.people, old=old, against=args.against,
                             limits=limits)
    except PolicyError as err:
        policy_error(err)
        return EXIT_BAD_INPUT
    seconds = time.perf_counter() - started
    print(f"{args.output}/index.html: report of {location.describe(policy.version)}, {len(files)} files, "
          f"{seconds:.1f} s", file=sys.stderr)
    return EXIT_OK
