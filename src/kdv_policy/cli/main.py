"""The command line: ``python -m kdv_policy COMMAND`` (see docs/cli.md).

Commands: ``query`` (questions such as ``may Regierungsrat approve Strategie``, or Datalog),
``explain`` (the proof tree of an answer), ``check`` (parse and check a policy directory),
``test`` (run policy test files), ``graph`` (the governance as Mermaid or DOT), ``fmt``
(the canonical layout of rule files) and ``diff`` (the decisions a change flips). One
function per command; the question forms are parsed in :mod:`kdv_policy.policy.questions`, the
graph is drawn in :mod:`kdv_policy.authoring.graph`. Answers go to stdout, errors to stderr.

Exit status: 0 when every question was answered (yes or no alike), 1 when ``--fail-on-deny``
is given and a yes/no question was answered no (``check``: errors; ``test``: failures),
2 for bad input: an unknown or ambiguous name, a syntax error, an unknown question form, a
policy directory that does not load.
"""

from __future__ import annotations

import argparse
import contextlib
import difflib
import io
import json
import os
import subprocess
import sys
import tarfile
import tempfile
import textwrap
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TextIO

from kdv_policy._version import __version__
from kdv_policy.errors import PolicyError, PolicyLoadError, Severity
from kdv_policy.files import read_text
from kdv_policy.policy.api import Policy
from kdv_policy.policy.loader import LoadedProgram, analyse_directory, bundled_rules
from kdv_policy.policy.questions import (
    FORMS,
    Query,
    QuestionError,
    Style,
    error_json,
    is_keyword,
    parse,
    parse_words,
    quote,
)

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_BAD_INPUT = 2

PROG = "python -m kdv_policy"


# -- helpers ----------------------------------------------------------------------------------------


def style_for(stream: TextIO) -> Style:
    """Colour only on a terminal, and never when ``NO_COLOR`` is set (https://no-color.org)."""
    isatty = getattr(stream, "isatty", None)
    tty = bool(isatty and isatty())
    return Style(tty and not os.environ.get("NO_COLOR") and os.environ.get("TERM") != "dumb")


def _error(message: str) -> None:
    style = style_for(sys.stderr)
    print(f"{style.no('error:')} {message}", file=sys.stderr)


def _report(text: str, err: PolicyError) -> None:
    """An error to stderr: a syntax error with its caret, a name error with its suggestions."""
    if err.diagnostics:
        print(err.render(), file=sys.stderr)
    elif isinstance(err, QuestionError):
        _error(str(err))
    else:
        _error(f"{err}\n  in: {text}")


def _load(args: argparse.Namespace) -> Policy | None:
    try:
        return Policy.load(args.rules, at=getattr(args, "at", None), people=getattr(args, "people", None))
    except PolicyError as err:
        print(err.render(), file=sys.stderr)
        return None


def _lines(stream: Iterable[str]) -> list[str]:
    """One query per line; blank lines and ``%`` comment lines skipped."""
    return [s for s in (line.strip() for line in stream) if s and not s.startswith("%")]


Item = tuple[str, Callable[[], Query]]


def _items(queries: Sequence[str], file: str | None) -> list[Item]:
    """The queries to answer, in order: the arguments (``-``: stdin's lines), then the file's lines.

    When the first argument is a bare question keyword (``may``, ``who``, ...), all arguments
    form one question, an argument with a space counting as one (quoted) name.
    """
    items: list[Item] = []
    texts: list[str] = []
    if queries and is_keyword(queries[0]):
        words = list(queries)
        items.append((quote(words), lambda: parse_words(words)))
    else:
        for q in queries:
            texts += _lines(sys.stdin) if q == "-" else [q]
    if file is not None:
        texts += _lines(Path(file).read_text(encoding="utf-8").splitlines())
    return items + [(t, lambda t=t: parse(t)) for t in texts]


def _gather(args: argparse.Namespace) -> list[Item] | None:
    if not args.queries and args.file is None:
        _error("no query given: write one as arguments, `-` for stdin, or --file PATH")
        return None
    try:
        return _items(args.queries, args.file)
    except (OSError, UnicodeDecodeError) as err:
        _error(f"cannot read the queries from {args.file}: {getattr(err, 'strerror', None) or err}")
        return None


# -- commands ---------------------------------------------------------------------------------------


def _answer_each(args: argparse.Namespace, answer: Callable[[str, Query, Policy, Style, bool], str]) -> int:
    """Load the policy, then answer every query in order: stdout gets each answer, stderr (and,
    in JSON, stdout) each bad query. Returns EXIT_BAD_INPUT when one was bad, else EXIT_OK."""
    items = _gather(args)
    if items is None:
        return EXIT_BAD_INPUT
    policy = _load(args)
    if policy is None:
        return EXIT_BAD_INPUT
    style = style_for(sys.stdout)
    bad = False
    first = True
    for text, make in items:
        try:
            out = answer(text, make(), policy, style, first)
        except PolicyError as err:
            _report(text, err)
            if args.format == "json":
                print(json.dumps(error_json(text, err), ensure_ascii=False))
            bad = True
            continue
        print(out)
        first = False
    return EXIT_BAD_INPUT if bad else EXIT_OK


def cmd_query(args: argparse.Namespace) -> int:
    denied = False

    def answer(text: str, query: Query, policy: Policy, style: Style, first: bool) -> str:
        nonlocal denied
        reply = query.ask(policy)
        out = (json.dumps(reply.json(), ensure_ascii=False) if args.format == "json"
               else reply.text(style, explain=args.explain))
        denied = denied or reply.denied
        return out

    status = _answer_each(args, answer)
    if status == EXIT_OK and denied and args.fail_on_deny:
        return EXIT_FAILED
    return status


def cmd_explain(args: argparse.Namespace) -> int:
    def answer(text: str, query: Query, policy: Policy, style: Style, first: bool) -> str:
        explanation = query.explanation(policy)
        if args.format == "json":
            return json.dumps({"query": text, "kind": query.kind,
                               "explanation": explanation.model_dump(mode="json")}, ensure_ascii=False)
        head, _, rest = explanation.render().partition("\n")
        return ("" if first else "\n") + style.bold(head) + ("\n" + rest if rest else "")

    return _answer_each(args, answer)


def cmd_check(args: argparse.Namespace) -> int:
    try:
        result, sources, (data, people) = analyse_directory(args.dir)
    except PolicyError as err:
        print(err.render(), file=sys.stderr)
        return EXIT_BAD_INPUT
    diags = result.diagnostics
    if result.program is not None:  # a program that checks: do its governance invariants hold?
        from kdv_policy.authoring.invariants import as_diagnostics

        try:
            root = Path(args.dir) if args.dir else bundled_rules()
            checked = LoadedProgram(root, result.program, sources, result.warnings, data, people)
            diags = diags + tuple(as_diagnostics(Policy(checked)))  # the program checked above, not reloaded
        except PolicyError as err:
            print(err.render(), file=sys.stderr)
            return EXIT_BAD_INPUT
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


def cmd_test(args: argparse.Namespace) -> int:
    from kdv_policy.authoring import policytests

    try:
        report = policytests.run_tests(Path(args.dir) if args.dir else None,
                                       people=Path(args.people) if args.people else None)
    except PolicyError as err:
        print(err.render(), file=sys.stderr)
        return EXIT_BAD_INPUT
    print(report.model_dump_json() if args.format == "json" else report.render(args.verbose))
    return EXIT_FAILED if report.failed else EXIT_OK


def cmd_graph(args: argparse.Namespace) -> int:
    from kdv_policy.authoring.graph import dot, mermaid

    policy = _load(args)
    if policy is None:
        return EXIT_BAD_INPUT
    print(dot(policy) if args.format == "dot" else mermaid(policy), end="")
    return EXIT_OK


def cmd_fmt(args: argparse.Namespace) -> int:
    from kdv_policy.language.formatter import format_source
    from kdv_policy.policy.loader import rule_files

    try:
        files = rule_files(Path(args.path) if args.path else bundled_rules())
    except PolicyError as err:
        print(err.render(), file=sys.stderr)
        return EXIT_BAD_INPUT
    changed, broken = [], False
    check = args.check or args.diff  # showing a diff never writes
    for path in files:
        try:
            text = read_text(path, str(path))
            formatted = format_source(text, str(path))
        except PolicyError as err:
            print(err.render(), file=sys.stderr)
            broken = True
            continue
        if formatted == text:
            continue
        changed.append(path)
        if check:
            print(f"would reformat {path}")
            if args.diff:
                sys.stdout.writelines(difflib.unified_diff(
                    text.splitlines(keepends=True), formatted.splitlines(keepends=True),
                    f"{path} (now)", f"{path} (formatted)"))
        else:
            path.write_text(formatted, encoding="utf-8")
            print(f"reformatted {path}")
    if broken:
        return EXIT_BAD_INPUT
    if not changed:
        print(f"{len(files)} file{'s' if len(files) != 1 else ''} already formatted")
    return EXIT_FAILED if (check and changed) else EXIT_OK


def cmd_diff(args: argparse.Namespace) -> int:
    from kdv_policy.policy.diff import diff as diff_policies

    try:
        with contextlib.ExitStack() as stack:
            old_dir = _revision(args.old, args.new, stack)
            options = dict(at=args.at, people=args.people)
            old, new = Policy.load(old_dir, **options), Policy.load(args.new, **options)
            result = diff_policies(old, new, explain=args.explain or args.format == "json")
    except PolicyError as err:
        print(err.render(), file=sys.stderr)
        return EXIT_BAD_INPUT
    print(result.model_dump_json() if args.format == "json" else result.render(explain=args.explain))
    return EXIT_FAILED if result else EXIT_OK


def _revision(old: str, new: str, stack: contextlib.ExitStack) -> str:
    """``git:REV`` → the policy directory ``new`` as it was at revision REV, in a temporary copy."""
    if not old.startswith("git:"):
        return old
    rev = old[len("git:"):]
    directory = Path(new).resolve()
    try:
        top = subprocess.run(["git", "-C", str(directory), "rev-parse", "--show-toplevel"],
                             capture_output=True, text=True, check=True).stdout.strip()
        relative = directory.relative_to(Path(top).resolve()).as_posix()
        archive = subprocess.run(["git", "-C", top, "archive", "--format=tar", rev, "--", relative],
                                 capture_output=True, check=True).stdout
    except (OSError, ValueError, subprocess.CalledProcessError) as err:
        detail = getattr(err, "stderr", b"") or str(err)
        detail = detail.decode(errors="replace") if isinstance(detail, bytes) else detail
        raise PolicyLoadError(f"cannot read `{new}` at git revision `{rev}`: {detail.strip()}") from None
    target = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="kdv-diff-")))
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(target, filter="data")
    return str(target / relative)


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


def _policy_options(parser: argparse.ArgumentParser, people: bool = True) -> None:
    parser.add_argument("--rules", metavar="DIR", help="policy directory (default: the bundled policy)")
    if people:
        parser.add_argument("--people", metavar="FILE",
                            help="people file: persons and the roles they hold (e.g. examples/people.toml)")
        parser.add_argument("--at", metavar="YYYY-MM-DD",
                            help="ask as of this date (default: timeless, everything the text says)")


def _query_inputs(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("queries", nargs="*", metavar="QUERY",
                        help="a question or Datalog query per argument (`-`: one per line from stdin); "
                             "when the first argument is a question keyword, all arguments form one question")
    parser.add_argument("--file", metavar="PATH",
                        help="read queries from a file, one per line (blank and %% lines skipped)")
    parser.add_argument("--format", choices=("text", "json"), default="text",
                        help="text (default) or one JSON object per line per query (docs/cli.md)")


def build_parser() -> argparse.ArgumentParser:
    raw = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(
        prog=PROG, formatter_class=raw,
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

    query = sub.add_parser(
        "query", help="answer questions (may, who may, members of, ...) and Datalog queries",
        formatter_class=raw,
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
    query.add_argument("--explain", action="store_true", help="print the full proof tree (or why-not)")
    query.add_argument("--fail-on-deny", action="store_true",
                       help="exit 1 when a yes/no question (may, is ... a consumer) is answered no")
    query.set_defaults(func=cmd_query)

    explain = sub.add_parser(
        "explain", help="the proof tree (or why-not) of an answer",
        formatter_class=raw,
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
    explain.set_defaults(func=cmd_explain)

    check = sub.add_parser(
        "check", help="parse and check a policy directory, printing every problem",
        formatter_class=raw,
        description=_wrap(
            "Parse and check every *.dl file of a policy directory (the bundled policy by default).",
            "Exit status: 0 without errors (warnings allowed), 1 with errors, 2 when the directory "
            "cannot be read."),
        epilog=f"examples:\n  {PROG} check\n  {PROG} check my/rules\n  {PROG} check --format json my/rules\n",
    )
    check.add_argument("dir", nargs="?", help="policy directory (default: the bundled policy)")
    check.add_argument("--format", choices=("text", "json"), default="text",
                       help="text (default) or one JSON object per diagnostic")
    check.set_defaults(func=cmd_check)

    test = sub.add_parser(
        "test", help="run the policy's test files",
        formatter_class=raw,
        description=_wrap(
            "Run the policy test files (tests/*.yaml) of a policy directory (the bundled policy by "
            "default) and report failures with file:line, expected and actual answer and the "
            "explanation, then the counts and the rules no test exercised.",
            "Exit status: 0 when every test passed, 1 when one failed, 2 when the policy or a test file "
            "does not load."),
        epilog=f"examples:\n  {PROG} test\n  {PROG} test -v my/rules\n  {PROG} test --format json\n",
    )
    test.add_argument("dir", nargs="?", help="policy directory (default: the bundled policy)")
    test.add_argument("--people", metavar="FILE", help="people file for the tests")
    test.add_argument("--format", choices=("text", "json"), default="text",
                      help="text report (default) or the report as JSON")
    test.add_argument("-v", "--verbose", action="store_true", help="list every test, not only failures")
    test.set_defaults(func=cmd_test)

    graph = sub.add_parser(
        "graph", help="draw the governance: bodies, members, chairs, delegations, services",
        formatter_class=raw,
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
    graph.set_defaults(func=cmd_graph)

    fmt = sub.add_parser(
        "fmt", help="rewrite rule files in the canonical layout",
        formatter_class=raw,
        description=_wrap(
            "Rewrite every *.dl file under PATH (a file or a policy directory; default: the bundled "
            "policy) in one canonical layout: spacing, annotations above their rule, long bodies "
            "wrapped one literal a line, comments kept. Formatting never changes a program's meaning.",
            "Exit status: 0 when done (or, with --check, when nothing would change), 1 with --check "
            "when a file would change, 2 when a file does not parse."),
        epilog=f"examples:\n  {PROG} fmt rules\n  {PROG} fmt --check rules\n"
               f"  {PROG} fmt --check --diff rules\n",
    )
    fmt.add_argument("path", nargs="?", metavar="PATH", help="a rule file or directory")
    fmt.add_argument("--check", action="store_true", help="change nothing; exit 1 if a file would change")
    fmt.add_argument("--diff", action="store_true", help="show what would change; implies --check")
    fmt.set_defaults(func=cmd_fmt)

    diff = sub.add_parser(
        "diff", help="the decisions a policy change flips",
        formatter_class=raw,
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
    diff.set_defaults(func=cmd_diff)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status (``--help`` and ``--version``: 0, usage errors: 2)."""
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as stop:
        return stop.code if isinstance(stop.code, int) else (0 if stop.code is None else EXIT_BAD_INPUT)
    try:
        return args.func(args)
    except BrokenPipeError:  # the reader went away (`... | head`): stop quietly
        with contextlib.suppress(OSError, ValueError):  # a stdout without a file descriptor
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_FAILED
