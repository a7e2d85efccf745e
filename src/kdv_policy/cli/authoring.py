"""The author's commands: ``check``, ``test``, ``graph`` and ``fmt``.

Each reads the policy given on its command line, else the one of the working directory, else
the bundled one (:mod:`kdv_policy.cli.loading`) — except ``fmt``, which never rewrites the
installed copy.
"""

from __future__ import annotations

import argparse
import difflib
import json
import sys
from pathlib import Path

from kdv_policy.cli.loading import announce, chosen_interpretations, limits_from, load_policy, locate
from kdv_policy.cli.output import (
    EXIT_BAD_INPUT,
    EXIT_FAILED,
    EXIT_OK,
    error,
    policy_error,
    render_diagnostic,
)
from kdv_policy.data.facts import DataSet
from kdv_policy.errors import Diagnostic, PolicyError, count_errors, count_warnings
from kdv_policy.files import read_text, write_atomic
from kdv_policy.limits import Limits
from kdv_policy.policy.api import Policy
from kdv_policy.policy.configuration import read_configuration
from kdv_policy.policy.loader import LoadedProgram, analyse_directory
from kdv_policy.policy.results import Interpretation
from kdv_policy.policy.wording import N_, phrase, say


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'s' if count != 1 else ''}"


def cmd_check(args: argparse.Namespace) -> int:
    """``check``: every diagnostic of the rule and data files, then the governance invariants."""
    limits = limits_from(args.limit)
    try:
        location = locate(args.dir)
        result, sources, (data, people) = analyse_directory(location.path, limits=limits)
    except PolicyError as err:
        policy_error(err)
        return EXIT_BAD_INPUT
    lang = getattr(args, "lang", None) or "en"
    try:
        diags = result.diagnostics + _vocabulary(data, people, lang, limits)
    except PolicyError as err:
        policy_error(err)
        return EXIT_BAD_INPUT
    if result.program is not None:  # a program that checks: do its governance invariants hold?
        from kdv_policy.authoring.invariants import as_diagnostics

        try:
            checked = LoadedProgram(location.path, result.program, sources, result.warnings, data, people)
            policy = Policy(checked, limits=limits)  # the program checked above, not reloaded
            policy.materialise()  # every rule within the evaluation limits, as a load would need
            diags = diags + tuple(as_diagnostics(policy))
        except PolicyError as err:
            policy_error(err)
            return EXIT_BAD_INPUT
    errors = count_errors(diags)
    warnings = count_warnings(diags)
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
            print(render_diagnostic(d, lang))
            print()
        where = args.dir if location.how == "given" else location.describe()
        files = _counted(lang, len(sources), _FILES)
        print(say(lang, "checked {files} of {where}: {errors}, {warnings}", files=files, where=str(where),
                  errors=_counted(lang, errors, _ERRORS), warnings=_counted(lang, warnings, _WARNINGS)))
    return EXIT_FAILED if errors else EXIT_OK


_FILES = (N_("1 file"), N_("{n} files"))
_ERRORS = (N_("1 error"), N_("{n} errors"))
_WARNINGS = (N_("1 warning"), N_("{n} warnings"))


def _counted(lang: str, count: int, words: tuple[str, str]) -> str:
    return phrase(lang, words[0]) if count == 1 else say(lang, words[1], n=str(count))


def _vocabulary(data: DataSet | None, people: DataSet | None, lang: str,
                limits: Limits) -> tuple[Diagnostic, ...]:
    """What of the data files' verbs and names German questions and answers cannot use (warnings)."""
    from kdv_policy.files import display_path
    from kdv_policy.language.source import Source
    from kdv_policy.policy.vocabulary import vocabulary_diagnostics

    out: list[Diagnostic] = []
    for dataset in (data, people):
        if dataset is None:
            continue
        shown = display_path(dataset.path)
        text = read_text(dataset.path, shown, limit=limits.max_data_file_bytes,
                         limit_name="max_data_file_bytes",
                         what="data file", advice=None)
        out += vocabulary_diagnostics(dataset.directory, Source(shown, text), lang)
    return tuple(out)


def cmd_test(args: argparse.Namespace) -> int:
    """``test``: run the policy test files and report failures and coverage."""
    from kdv_policy.authoring import policytests

    try:
        location = locate(args.dir)
        limits = limits_from(args.limit)
        configured = read_configuration(location.path, limits).adopt if location.path.is_dir() else ()
        report = policytests.run_tests(location.path, people=Path(args.people) if args.people else None,
                                       limits=limits,
                                       interpretations=chosen_interpretations(args, configured),
                                       lang=args.lang)
    except PolicyError as err:
        policy_error(err)
        return EXIT_BAD_INPUT
    if args.format == "json":
        print(report.model_dump_json())
    else:
        announce(location, report.version, report.lang)
        print(report.render(args.verbose))
    return EXIT_FAILED if report.failed else EXIT_OK


def cmd_interpretations(args: argparse.Namespace) -> int:
    """``interpretations``: the interpretations the policy declares, and which it adopts."""
    args.rules = args.dir
    loaded = load_policy(args, name_it=args.format == "text", lang=getattr(args, "lang", None) or "en")
    if loaded is None:
        return EXIT_BAD_INPUT
    policy, location = loaded
    listed = policy.interpretations
    if args.format == "json":
        print(json.dumps({"policy": location.json(policy.version),
                          "interpretations": [i.model_dump() for i in listed]}, ensure_ascii=False))
        return EXIT_OK
    lang = getattr(args, "lang", None) or "en"
    if not listed:
        print(phrase(lang, "the policy declares no interpretations: its answers follow the text alone"))
        return EXIT_OK
    print("\n\n".join(i.render() if lang == "en" else _interpretation(i, lang) for i in listed))
    adopted = policy.adopted
    counted = say(lang, "{declared} declared, {adopted} adopted", declared=str(len(listed)),
                  adopted=str(len(adopted)))
    print("\n" + counted + (f": {', '.join(adopted)}" if adopted
                            else " " + phrase(lang, "(answers follow the text alone)")))
    return EXIT_OK


def _interpretation(i: Interpretation, lang: str) -> str:
    """An interpretation as :meth:`Interpretation.render` shows it, its labels in ``lang``."""
    mark = phrase(lang, "adopted") if i.adopted else phrase(lang, "not adopted")
    rules = ", ".join(i.rules) or "-"
    return (f"{i.id} ({mark})\n  de: {i.de}\n  en: {i.en}\n  "
            + say(lang, "rationale: {rationale}", rationale=i.rationale) + "\n  "
            + say(lang, "rules: {rules}", rules=rules))


def cmd_graph(args: argparse.Namespace) -> int:
    """``graph``: the governance as Mermaid or DOT, its words in ``--lang`` (by default the policy's
    language, as for answers)."""
    from kdv_policy.authoring.graph import dot, mermaid

    loaded = load_policy(args, name_it=True)
    if loaded is None:
        return EXIT_BAD_INPUT
    policy, _ = loaded
    lang = policy.language  # `--lang`, else the policy's
    print(dot(policy, lang) if args.format == "dot" else mermaid(policy, lang), end="")
    return EXIT_OK


def cmd_fmt(args: argparse.Namespace) -> int:
    """``fmt``: rewrite rule files in the canonical layout, each file replaced at once or not at all."""
    from kdv_policy.language.formatter import format_source
    from kdv_policy.policy.loader import rule_files

    try:
        location = locate(args.path)
        if location.how == "bundled":
            error("there is no policy to format here: no `rules/` folder and no `*.dl` file in the "
                  "current directory", "name the rule file or directory: `fmt PATH`")
            return EXIT_BAD_INPUT
        files = rule_files(location.path)
    except PolicyError as err:
        policy_error(err)
        return EXIT_BAD_INPUT
    changed, broken = [], False
    check = args.check or args.diff  # showing a diff never writes
    for path in files:
        try:
            text = read_text(path, str(path))
            formatted = format_source(text, str(path))
        except PolicyError as err:
            policy_error(err)
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
            continue
        try:
            write_atomic(path, formatted)
        except PolicyError as err:
            policy_error(err)
            broken = True
            continue
        print(f"reformatted {path}")
    if broken:
        return EXIT_BAD_INPUT
    if not changed:
        print(f"{_plural(len(files), 'file')} already formatted")
    return EXIT_FAILED if (check and changed) else EXIT_OK
