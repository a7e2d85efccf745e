"""The ``trace`` command: every sentence of the governance text → the clauses that encode it →
the policy tests that cite it, and the reason for each sentence nothing encodes.

Exit status: 0 when every sentence is encoded or explained (and, with ``--run-tests``, every
test passed), 1 when one is neither, a reason is wrong or a test failed, 2 when the policy,
its text, its tests or its ``traceability.toml`` do not load, or ``--embed`` names a page
without the markers.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from kdv_policy.cli.loading import add_limit_option, announce, limits_from, locate
from kdv_policy.cli.output import EXIT_BAD_INPUT, EXIT_FAILED, EXIT_OK, PROG, error, policy_error
from kdv_policy.errors import PolicyError
from kdv_policy.policy.wording import N_, phrase, say

if TYPE_CHECKING:
    from kdv_policy.authoring.traceability import ClauseRef, SentenceTrace, TraceReport


def add_trace_command(sub: argparse._SubParsersAction, default_policy: str) -> None:
    """Register ``trace`` on the command line's subparsers."""
    from kdv_policy.authoring.traceability import BEGIN, END, TRACE_FILE

    trace = sub.add_parser(
        "trace", help="trace every sentence of the text to its rules and tests",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description=(
            "List every sentence of the policy's source-text.txt with the facts and rules that cite it\n"
            "(@source), the data entries that cite it and the policy test cases that cite it (source:);\n"
            f"a sentence nothing encodes needs a reason in {TRACE_FILE} ([[unencoded]]).\n\n"
            "Exit status: 0 when every sentence is encoded or explained, 1 when one is neither, a\n"
            "reason is wrong or (with --run-tests) a test failed, 2 when the policy does not load."),
        epilog="examples:\n"
               f"  {PROG} trace\n"
               f"  {PROG} trace rules --run-tests\n"
               f"  {PROG} trace rules --format json\n"
               f"  {PROG} trace rules --embed docs/governance.md\n",
    )
    trace.add_argument("dir", nargs="?", metavar="POLICY", help=f"policy directory ({default_policy})")
    trace.add_argument("--format", choices=("text", "json", "markdown"), default="text",
                       help="text (default), JSON, or the Markdown table of docs/governance.md")
    trace.add_argument("--run-tests", action="store_true",
                       help="run the policy tests and show each sentence's results (slower)")
    trace.add_argument("--embed", metavar="FILE",
                       help=f"write the Markdown table into FILE between `{BEGIN}` and `{END}` "
                            "(the rest of FILE is kept; the file is replaced at once)")
    add_limit_option(trace)
    trace.add_argument("--lang", choices=("de", "en"), default=None,
                       help="the language of the text report and of errors: de or en (default: en)")
    trace.set_defaults(func=cmd_trace)


def cmd_trace(args: argparse.Namespace) -> int:
    """``trace``: the traceability report, as text, JSON or Markdown, or embedded in a page."""
    from kdv_policy.authoring import traceability as tr
    from kdv_policy.files import read_text, write_atomic

    try:
        location = locate(args.dir)
        report = tr.trace(location.path, run_tests=args.run_tests, limits=limits_from(args.limit))
    except PolicyError as err:
        policy_error(err)
        return EXIT_BAD_INPUT
    if args.embed:
        page = Path(args.embed)
        try:
            document = read_text(page, args.embed, what="page", advice=None)
            fresh = tr.embed(document, tr.markdown(report))
        except PolicyError as err:
            policy_error(err)
            return EXIT_BAD_INPUT
        except ValueError:
            error(f"`{args.embed}` has no `{tr.BEGIN}` ... `{tr.END}` markers",
                  "add the two lines where the traceability table belongs")
            return EXIT_BAD_INPUT
        if fresh != document:
            try:
                write_atomic(page, fresh)
            except PolicyError as err:
                policy_error(err)
                return EXIT_BAD_INPUT
        print(f"{args.embed}: {'updated' if fresh != document else 'already current'}; {tr.summary(report)}",
              file=sys.stderr)
    elif args.format == "json":
        print(report.model_dump_json())
    elif args.format == "markdown":
        print(tr.markdown(report), end="")
    else:
        announce(location)
        lang = getattr(args, "lang", None) or "en"
        print(tr.text(report) if lang == "en" else text(report, lang), end="")
    if args.format != "text" or args.embed:  # the problems on stderr, stdout stays the document
        for line in tr.render_problems(report):
            print(line, file=sys.stderr)
    failed_tests = any(t.passed is False for s in report.sentences for t in s.tests)
    return EXIT_FAILED if (not report.ok or failed_tests) else EXIT_OK


def text(report: TraceReport, lang: str) -> str:
    """The report as :func:`~kdv_policy.authoring.traceability.text` shows it, its words in
    ``lang``; the sentences, ids, reasons and problems as the policy writes them."""
    from kdv_policy.authoring import traceability as tr

    def clause(ref: ClauseRef) -> str:
        label = ref.id or ref.predicate
        return say(lang, "{id} (interpretation {name})", id=label, name=ref.interpretation) \
            if ref.interpretation else label

    lines = []
    for row in report.sentences:
        lines.append(f"{row.number:>3}  {row.text}")
        if row.status == "explained":
            lines.append("       " + say(lang, "not encoded: {reason}", reason=row.reason or "")
                         + (f" — {row.note}" if row.note else ""))
        elif row.status == "untraced":
            lines.append("       " + phrase(lang, "NOT TRACED: no clause encodes it and no reason says why"))
        ids = [clause(c) for c in row.clauses] + [f"{d.entry} ({d.file})" for d in row.data]
        if ids:
            lines.append("       " + say(lang, "encoded by: {ids}", ids=", ".join(ids)))
        if row.tests or row.status == "encoded":
            tests = _tests(row, report.tests_run, lang)
            lines.append("       " + say(lang, "tested by: {tests}", tests=tests))
        if row.note and row.status != "explained":
            lines.append("       " + say(lang, "note: {note}", note=row.note))
    if report.uncited_clauses:
        listed = ", ".join(f"{clause(c)} ({phrase(lang, _BASES.get(c.basis, c.basis))})"
                           for c in report.uncited_clauses)
        lines += ["", say(lang, "{n} clauses cite no sentence: {listed}", n=str(len(report.uncited_clauses)),
                          listed=listed)]
    if report.problems:
        lines += ["", *tr.render_problems(report)]
    lines += ["", say(lang, "{total} sentences: {encoded} encoded, {explained} explained as not encoded, "
                            "{untraced} neither", total=str(len(report.sentences)),
                      encoded=str(report.encoded), explained=str(report.explained),
                      untraced=str(report.untraced))]
    return "\n".join(lines) + "\n"


_BASES = {"text": N_("text"), "structure": N_("structure"), "interpretation": N_("interpretation")}


def _tests(row: SentenceTrace, run: bool, lang: str) -> str:
    if not row.tests:
        return phrase(lang, "no test")
    count = len(row.tests)
    cases = phrase(lang, "1 case") if count == 1 else say(lang, "{n} cases", n=str(count))
    files = sorted({t.file.rsplit("/", 1)[-1] for t in row.tests})
    label = f"{cases} ({', '.join(files)})"
    if run:
        failed = sum(t.passed is False for t in row.tests)
        label += ", " + (say(lang, "{n} failed", n=str(failed)) if failed else phrase(lang, "all passed"))
    return label
