"""The command line: ``python -m kdv_policy COMMAND`` (see docs/cli.md) — the parser and :func:`main`.

Commands: ``query`` (questions such as ``may Regierungsrat approve Strategie``, or Datalog),
``explain`` (the proof tree of an answer), ``check`` (parse and check a policy directory),
``test`` (run policy test files), ``graph`` (the governance as Mermaid or DOT), ``fmt``
(the canonical layout of rule files), ``diff`` (the decisions a change flips) and ``trace``
(each sentence of the text to its rules and tests, :mod:`~kdv_policy.cli.trace`). They live
by group: :mod:`~kdv_policy.cli.ask` (query, explain; their input in
:mod:`~kdv_policy.cli.batch`), :mod:`~kdv_policy.cli.authoring` (check, test, graph, fmt),
:mod:`~kdv_policy.cli.diff` (diff; git revisions in :mod:`~kdv_policy.cli.revision`); which
policy a command reads is decided in :mod:`~kdv_policy.cli.loading`, what it prints besides
answers in :mod:`~kdv_policy.cli.output`. Answers go to stdout, errors to stderr.

Exit status: 0 when every question was answered (yes or no alike), 1 when ``--fail-on-deny``
is given and a yes/no question was answered no (``check``: errors; ``test``: failures),
2 for bad input: an unknown or ambiguous name, a syntax error, an unknown question form, a
policy directory that does not load; 141 when the reader of the output went away.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import textwrap
from collections.abc import Callable, Sequence
from typing import Any

from kdv_policy._version import __version__
from kdv_policy.cli.loading import add_interpretation_options, add_limit_option, add_verify_key_option
from kdv_policy.cli.output import EXIT_BAD_INPUT, PROG, reader_gone
from kdv_policy.policy.forms import LISTED as FORMS
from kdv_policy.policy.wording import LANGUAGES

__all__ = ["build_parser", "main"]

_RAW = argparse.RawDescriptionHelpFormatter


# -- the parser ---------------------------------------------------------------------------------------

def _wrap(*paragraphs: str) -> str:
    """Help text: each paragraph filled to 79 columns, a blank line between paragraphs."""
    return "\n\n".join(textwrap.fill(p, 79) for p in paragraphs)


_FORMS_HELP = "question forms:\n" + "\n".join(f"  {f}" for f in FORMS) + "\n"

_QUERY_EXAMPLES = f"""\
examples:
  {PROG} query may Regierungsrat approve Strategie
  {PROG} query may Departementschef DIV verabschieden Strategie
  {PROG} query who may approve Schwerpunktplanung
  {PROG} query members of StA
  {PROG} query --format json "chair of Steuerungsausschuss" "who serves Bezirksamt Arbon"
  {PROG} query "member(steuerungsausschuss, X), not chair(steuerungsausschuss, X)"
  {PROG} query --at 2020-06-30 --fail-on-deny may KDV umsetzen Strategie
  {PROG} query --people examples/people.toml may "Erika Muster" definieren Strategie
  {PROG} query --file questions.txt
  echo "who is responsible for DEK" | {PROG} query -
"""


DEFAULT_POLICY = "default: ./rules, or the current directory, when it holds *.dl files, else the bundled one"


def _policy_options(parser: argparse.ArgumentParser, people: bool = True) -> None:
    parser.add_argument("--rules", metavar="DIR", help=f"policy directory ({DEFAULT_POLICY})")
    add_limit_option(parser)
    add_interpretation_options(parser)
    if people:
        parser.add_argument("--people", metavar="FILE",
                            help="people file: persons and the roles they hold (e.g. examples/people.toml), "
                                 "or a database URL (sqlite:///people.db, postgresql://..., env:NAME)")
        parser.add_argument("--at", metavar="YYYY-MM-DD",
                            help="ask as of this date (default: timeless, everything the text says)")
    add_verify_key_option(parser)


def _lang_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--lang", choices=LANGUAGES, default=None,
                        help="the language of answers and explanations: de or en (default: the policy's, "
                             "`[policy] language` of policy.toml; German for the bundled policy)")


def _authoring_lang_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--lang", choices=LANGUAGES, default=None,
                        help="the language of the human output and of errors: de or en (default: en)")


def _query_inputs(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("queries", nargs="*", metavar="QUERY",
                        help="a question or Datalog query per argument (`-`: one per line from stdin); "
                             "when the first argument is a question keyword, all arguments form one question")
    parser.add_argument("--file", metavar="PATH",
                        help="read queries from a file, one per line (blank and %% lines skipped)")
    parser.add_argument("--format", choices=("text", "json"), default="text",
                        help="text (default) or one JSON object per line per query (docs/cli.md)")


def _imported(module: str, function: str) -> Callable[..., Any]:
    """``function`` of ``kdv_policy.cli.<module>``, importing the module now."""
    found: Callable[..., Any] = getattr(importlib.import_module(f"kdv_policy.cli.{module}"), function)
    return found


def _later(module: str, function: str) -> Callable[[argparse.Namespace], int]:
    """A command's function, imported from ``kdv_policy.cli.<module>`` when the command runs."""
    def run(args: argparse.Namespace) -> int:
        status: int = _imported(module, function)(args)
        return status
    return run


def _elsewhere(module: str, function: str, *args: str) -> Callable[[argparse._SubParsersAction], None]:
    """What registers a command defined in ``kdv_policy.cli.<module>``, imported when the
    command's parser is built (``function(sub, *args)``)."""
    def add(sub: argparse._SubParsersAction) -> None:
        _imported(module, function)(sub, *args)
    return add


def _add_query(sub: argparse._SubParsersAction) -> None:
    query = sub.add_parser(
        "query", help="answer questions (may, who may, members of, ...) and Datalog queries",
        formatter_class=_RAW,
        description=_wrap(
            "Answer questions about the governance, or ad-hoc Datalog queries. Names are resolved as "
            "people type them: ids, official names, abbreviations, any case, umlauts or ae/oe/ue; names "
            "of several words in double quotes, or unquoted.",
            "Text output: the answer in one line, then a short why (--explain: the proof tree).",
            "Exit status: 0 when every question was answered (yes or no), 1 with --fail-on-deny when one "
            "was answered no, 2 for a bad question or policy.") + "\n\n" + _FORMS_HELP,
        epilog=_QUERY_EXAMPLES,
    )
    _query_inputs(query)
    _policy_options(query)
    _lang_option(query)
    query.add_argument("--explain", action="store_true", help="print the full proof tree (or why-not)")
    query.add_argument("--fail-on-deny", action="store_true",
                       help="exit 1 when a yes/no question (may, is ... a consumer) is answered no")
    query.set_defaults(func=_later("ask", "cmd_query"))


def _add_explain(sub: argparse._SubParsersAction) -> None:
    explain = sub.add_parser(
        "explain", help="the proof tree (or why-not) of an answer",
        formatter_class=_RAW,
        description=_wrap(
            "Explain answers as indented trees: each node with the id of its rule or fact and the "
            "sentence of the governance text it cites. Takes the question forms of `query`, or a ground "
            "Datalog atom.",
            "Exit status: 0 when explained, 2 for a bad question or policy.") + "\n\n" + _FORMS_HELP,
        epilog="examples:\n"
               f"  {PROG} explain may Steuerungsausschuss umsetzen Strategie\n"
               f"  {PROG} explain may Planungsausschuss abnehmen Schwerpunktplanung\n"
               f"  {PROG} explain \"member(steuerungsausschuss, staatsschreiber)\"\n"
               f"  {PROG} explain --format json chair of StA\n",
    )
    _query_inputs(explain)
    _policy_options(explain)
    _lang_option(explain)
    explain.set_defaults(func=_later("ask", "cmd_explain"))


def _add_check(sub: argparse._SubParsersAction) -> None:
    check = sub.add_parser(
        "check", help="parse and check a policy directory, printing every problem",
        formatter_class=_RAW,
        description=_wrap(
            "Parse and check every *.dl file of a policy directory (by default ./rules, or the current "
            "directory, when it holds *.dl files, else the bundled policy).",
            "Exit status: 0 without errors (warnings allowed), 1 with errors, 2 when the directory "
            "cannot be read."),
        epilog=f"examples:\n  {PROG} check\n  {PROG} check my/rules\n  {PROG} check --format json my/rules\n",
    )
    check.add_argument("dir", nargs="?", help=f"policy directory ({DEFAULT_POLICY})")
    add_limit_option(check)
    check.add_argument("--format", choices=("text", "json"), default="text",
                       help="text (default) or one JSON object per diagnostic")
    _authoring_lang_option(check)
    check.set_defaults(func=_later("authoring", "cmd_check"))


def _add_test(sub: argparse._SubParsersAction) -> None:
    test = sub.add_parser(
        "test", help="run the policy's test files",
        formatter_class=_RAW,
        description=_wrap(
            "Run the policy test files (tests/*.yaml) of a policy directory (by default ./rules, or the "
            "current directory, when it holds *.dl files, else the bundled policy) and report failures "
            "with file:line, expected and actual answer and the explanation, then the counts and the "
            "rules no test exercised.",
            "Exit status: 0 when every test passed, 1 when one failed, 2 when the policy or a test file "
            "does not load."),
        epilog=f"examples:\n  {PROG} test\n  {PROG} test -v my/rules\n  {PROG} test --format json\n",
    )
    test.add_argument("dir", nargs="?", help=f"policy directory ({DEFAULT_POLICY})")
    add_limit_option(test)
    test.add_argument("--people", metavar="FILE", help="people file for the tests")
    add_interpretation_options(test)
    _lang_option(test)
    test.add_argument("--format", choices=("text", "json"), default="text",
                      help="text report (default) or the report as JSON")
    test.add_argument("-v", "--verbose", action="store_true", help="list every test, not only failures")
    test.set_defaults(func=_later("authoring", "cmd_test"))


def _add_graph(sub: argparse._SubParsersAction) -> None:
    graph = sub.add_parser(
        "graph", help="draw the governance: bodies, members, chairs, delegations, services",
        formatter_class=_RAW,
        description=_wrap(
            "Print the governance as a graph: the bodies with their members and chair, the partners, "
            "the delegations and whom the service providers serve (grouped by unit kind). Mermaid (a "
            "`flowchart LR` for Markdown pages) or DOT (for Graphviz)."),
        epilog=f"examples:\n  {PROG} graph\n  {PROG} graph --format dot | dot -Tsvg > governance.svg\n"
               f"  {PROG} graph --rules my/rules\n",
    )
    graph.add_argument("--format", choices=("mermaid", "dot"), default="mermaid",
                       help="mermaid (default) or dot")
    _policy_options(graph, people=False)
    _lang_option(graph)
    graph.set_defaults(func=_later("authoring", "cmd_graph"))


def _add_fmt(sub: argparse._SubParsersAction) -> None:
    fmt = sub.add_parser(
        "fmt", help="rewrite rule files in the canonical layout",
        formatter_class=_RAW,
        description=_wrap(
            "Rewrite every *.dl file under PATH (a file or a policy directory; default: ./rules, or the "
            "current directory, when it holds *.dl files) in one canonical layout: spacing, annotations "
            "above their rule, long bodies wrapped one literal a line, comments kept. Formatting never "
            "changes a program's meaning.",
            "Exit status: 0 when done (or, with --check, when nothing would change), 1 with --check "
            "when a file would change, 2 when a file does not parse or cannot be written (it is then "
            "left as it was)."),
        epilog=f"examples:\n  {PROG} fmt rules\n  {PROG} fmt --check rules\n"
               f"  {PROG} fmt --check --diff rules\n",
    )
    fmt.add_argument("path", nargs="?", metavar="PATH", help="a rule file or directory")
    fmt.add_argument("--check", action="store_true", help="change nothing; exit 1 if a file would change")
    fmt.add_argument("--diff", action="store_true", help="show what would change; implies --check")
    fmt.set_defaults(func=_later("authoring", "cmd_fmt"))


def _add_diff(sub: argparse._SubParsersAction) -> None:
    diff = sub.add_parser(
        "diff", help="the decisions a policy change flips",
        formatter_class=_RAW,
        description=_wrap(
            "Compare two versions of a policy and list every decision that differs — may for every "
            "(actor, action, object), membership, chairs, who serves whom, responsibilities, consumers "
            "— as gained (+) or lost (-), grouped by body and action. OLD may be `git:REV` for NEW as it "
            "was at a git revision.",
            "Exit status: 0 when no decision changed, 1 when one did (usable as a CI gate), 2 when a "
            "version does not load."),
        epilog="examples:\n"
               f"  {PROG} diff old/rules rules\n"
               f"  {PROG} diff git:HEAD~1 rules\n"
               f"  {PROG} diff --explain --at 2021-01-01 git:main rules\n"
               f"  {PROG} diff --format json old/rules rules\n",
    )
    diff.add_argument("old", metavar="OLD", help="the old policy directory, or git:REV")
    diff.add_argument("new", metavar="NEW", help="the new policy directory")
    diff.add_argument("--at", metavar="YYYY-MM-DD", help="compare as of this date (default: timeless)")
    diff.add_argument("--people", metavar="FILE", help="people file for both versions")
    diff.add_argument("--explain", action="store_true",
                      help="show each change's explanation, from the version where it holds")
    diff.add_argument("--format", choices=("text", "json"), default="text",
                      help="text (default) or the diff as JSON (explanations included)")
    _authoring_lang_option(diff)
    add_limit_option(diff)
    add_interpretation_options(diff)
    diff.set_defaults(func=_later("diff", "cmd_diff"))


def _add_interpretations(sub: argparse._SubParsersAction) -> None:
    interpretations = sub.add_parser(
        "interpretations", help="list the interpretations a policy declares, and which it adopts",
        formatter_class=_RAW,
        description=_wrap(
            "List the interpretations the policy declares: readings the text does not state, each with "
            "its id, its description in German and English, its rationale, whether the policy adopts it "
            "(policy.toml `[interpretations] adopt`, or the options) and the ids of its rules.",
            "Exit status: 0 when listed, 2 when the policy does not load."),
        epilog=f"examples:\n  {PROG} interpretations\n  {PROG} interpretations --format json my/rules\n"
               f"  {PROG} interpretations --interpretation vorsitz_handelt_allein\n",
    )
    interpretations.add_argument("dir", nargs="?", help=f"policy directory ({DEFAULT_POLICY})")
    add_limit_option(interpretations)
    add_interpretation_options(interpretations)
    interpretations.add_argument("--format", choices=("text", "json"), default="text",
                                 help="text (default) or the list as JSON")
    _authoring_lang_option(interpretations)
    interpretations.set_defaults(func=_later("authoring", "cmd_interpretations"))


COMMANDS: dict[str, Callable[[argparse._SubParsersAction], None]] = {
    "query": _add_query,
    "explain": _add_explain,
    "check": _add_check,
    "test": _add_test,
    "graph": _add_graph,
    "fmt": _add_fmt,
    "diff": _add_diff,
    "interpretations": _add_interpretations,
    "trace": _elsewhere("trace", "add_trace_command", DEFAULT_POLICY),
    "report": _elsewhere("report", "add_report_command", DEFAULT_POLICY),
    "build": _elsewhere("build", "add_build_command", DEFAULT_POLICY),
    "keygen": _elsewhere("build", "add_keygen_command"),
    "people": _elsewhere("people", "add_people_command", DEFAULT_POLICY),
    "log": _elsewhere("log", "add_log_command"),
    "serve": _elsewhere("serve", "add_serve_command", DEFAULT_POLICY),
}
"""Each command and what registers it on the subparsers, in ``--help`` order."""


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The command line's parser: every command, or with ``only`` just that one (what :func:`main`
    builds: a command's options, and the modules it runs, are made only when it runs)."""
    parser = argparse.ArgumentParser(
        prog=PROG, formatter_class=_RAW,
        description=_wrap("Ask and check the governance policy of the Kompetenzzentrum Digitale Verwaltung "
                          "(KDV) of the Kanton Thurgau."),
        epilog="examples:\n"
               f"  {PROG} query may Regierungsrat approve Strategie\n"
               f"  {PROG} explain who may approve Schwerpunktplanung\n"
               f"  {PROG} check\n"
               f"  {PROG} graph --format dot | dot -Tsvg > governance.svg\n"
               "\nRun COMMAND --help for the command's options and examples; docs/cli.md has them all.\n",
    )
    parser.add_argument("--version", action="version", version=f"kdv_policy {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, add in COMMANDS.items():
        if only is None or only == name:
            add(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status (``--help`` and ``--version``: 0, usage
    errors: 2, a reader that went away: 141)."""
    try:
        try:
            words = sys.argv[1:] if argv is None else list(argv)
            only = words[0] if words and words[0] in COMMANDS else None
            args = build_parser(only).parse_args(words)
        except SystemExit as stop:
            status = stop.code if isinstance(stop.code, int) else (0 if stop.code is None else EXIT_BAD_INPUT)
        else:
            status = args.func(args)
        sys.stdout.flush()  # a closed pipe shows here, not in the interpreter's flush at exit
        return status
    except BrokenPipeError:  # the reader went away (`... | head`): stop quietly
        return reader_gone()
