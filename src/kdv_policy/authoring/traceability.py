"""Traceability: every sentence of the governance text → the clauses and data entries that
encode it → the policy tests that cite it; and, for the sentences nothing encodes, the reason.

The policy's ``source-text.txt`` is split into sentences (:func:`split_sentences`). A clause
encodes a sentence when one of its ``@source`` quotes lies in it (a quote spanning several
sentences encodes each); a data entry of ``organisation.toml`` with a ``source`` does too. A
policy test case covers the sentences its ``source`` lies in.

A sentence nothing encodes must say why, in the policy directory's ``traceability.toml``::

    [[unencoded]]
    sentence = "Gremien"        # the sentence, or a verbatim part of exactly one sentence
    reason = "heading"          # one of REASONS
    note = "..."                # optional

    [[note]]                    # optional: a remark shown beside an encoded sentence
    sentence = "..."
    note = "..."

Both are verified like ``@source``: the quote verbatim in the text and in exactly one
sentence, a known reason, at most one entry per sentence, and no reason for a sentence a clause
encodes. A sentence neither encoded nor explained is an error. :func:`trace` builds the
:class:`TraceReport`; :func:`markdown` renders it for docs/governance.md, :func:`embed` puts it
between the markers of a Markdown page.
"""

from __future__ import annotations

import bisect
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import tomli
from pydantic import BaseModel, Field

from kdv_policy.data import DataSet
from kdv_policy.errors import Diagnostic, PolicyLoadError, Severity
from kdv_policy.files import check_inside, display_path, read_text
from kdv_policy.language.quotes import SOURCE_TEXT, nearest
from kdv_policy.language.source import Source, Span
from kdv_policy.language.syntax import Clause
from kdv_policy.limits import DEFAULT_LIMITS, Limits
from kdv_policy.policy.wording import N_, phrase
from kdv_policy.suggest import did_you_mean

"""The governance text beside the rules."""

TRACE_FILE = "traceability.toml"
"""The file of a policy directory that says why a sentence is not encoded."""

REASONS: dict[str, str] = {
    "heading": N_("a heading of the text, not a statement."),
    "motivation": N_("motivation; it states a need, no body, role, competence or duty."),
    "background": N_("background; it states what exists or was done, no body, role, competence or duty."),
    "process": N_("a process step without a body, role, competence, date or duty of its own."),
}
"""The reasons a sentence may be left unencoded, with the words the reports show for each: catalog
message ids, so :func:`reason_text` gives them in either language."""


def reason_text(reason: str, lang: str = "en") -> str:
    """The words for a reason of :data:`REASONS` in ``lang`` (the key itself when it is unknown)."""
    message = REASONS.get(reason)
    return phrase(lang, message) if message is not None else reason

BEGIN = "<!-- traceability:begin -->"
END = "<!-- traceability:end -->"
REGENERATE = "python -m kdv_policy trace rules --embed docs/governance.md"
"""The one command that refreshes the generated part of docs/governance.md."""

ABBREVIATIONS = frozenset({
    "z.B.", "z.b.", "u.a.", "d.h.", "u.ä.", "o.ä.", "bzw.", "usw.", "etc.", "ca.", "vgl.", "evtl.", "inkl.",
    "exkl.", "bspw.", "sog.", "resp.", "Nr.", "Art.", "Abs.", "lit.", "Ziff.", "Hr.", "Fr.", "Dr.",
    "Prof.", "St.", "gem.", "ggf.", "max.", "min.", "rund.", "S.", "Bst.",
})
"""Words ending in a full stop that end no sentence (``z.B. Verband`` stays one sentence)."""

_BREAK = re.compile(r"(?<=[.!?])\s+(?=[A-ZÄÖÜ])")
_LIST_ITEM = re.compile(r"^[-*•]\s+")


# -- sentences ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Sentence:
    """One sentence of the text: its number (from 1), its words, its line and its place
    (``start``, ``end``: offsets into the text, end exclusive)."""

    number: int
    text: str
    line: int
    start: int
    end: int


def split_sentences(text: str) -> list[Sentence]:
    """The sentences of a governance text, in order.

    Each line is split on its own: a heading is a sentence, a list item's marker (``- ``) is
    dropped, and a line breaks after ``.``, ``!`` or ``?`` followed by a space and a capital
    letter — except after an abbreviation (:data:`ABBREVIATIONS`, e.g. ``z.B.``) or an
    ordinal number (``1. Januar``).
    """
    out: list[Sentence] = []
    offset = 0
    for number, raw in enumerate(text.splitlines(keepends=True), start=1):
        line = raw.rstrip("\r\n")
        body = line.strip()
        start = offset + (len(line) - len(line.lstrip()))
        marker = _LIST_ITEM.match(body)
        if marker:
            body, start = body[marker.end():], start + marker.end()
        offset += len(raw)
        if not body:
            continue
        at = 0
        for cut in _BREAK.finditer(body):
            if _no_end(body[at:cut.start()]):
                continue
            out.append(Sentence(len(out) + 1, body[at:cut.start()], number, start + at, start + cut.start()))
            at = cut.end()
        out.append(Sentence(len(out) + 1, body[at:], number, start + at, start + len(body)))
    return out


def _no_end(before: str) -> bool:
    """Does ``before`` (text up to a full stop and a space) end in a word that ends no sentence?"""
    last = before.rsplit(None, 1)[-1] if before.split() else ""
    return last in ABBREVIATIONS or bool(re.fullmatch(r"\d{1,2}\.", last))


def sentences_of(quote: str, text: str, sentences: Sequence[Sentence]) -> tuple[list[Sentence], int]:
    """The sentences that the occurrences of ``quote`` in ``text`` overlap, and how many
    occurrences there are (0: the quote is not verbatim). ``sentences`` in text order."""
    if not quote:
        return [], 0
    ends = [s.end for s in sentences]
    found: dict[int, Sentence] = {}
    count = 0
    at = text.find(quote)
    while at >= 0:
        count += 1
        end = at + len(quote)
        index = bisect.bisect_right(ends, at)  # the first sentence ending after the occurrence starts
        while index < len(sentences) and sentences[index].start < end:
            found.setdefault(sentences[index].number, sentences[index])
            index += 1
        at = text.find(quote, at + 1)
    return [found[n] for n in sorted(found)], count


HINTS = 50
"""Misquotes that get a nearest-sentence hint (each hint compares the quote with every sentence)."""


def nearest_sentence(quote: str, sentences: Sequence[Sentence]) -> Sentence | None:
    """The sentence closest to a misquote (for a hint), found as ``check`` finds it."""
    found = nearest(quote, [s.text for s in sentences])
    return None if found is None else sentences[found]


# -- the report ------------------------------------------------------------------------------------


class ClauseRef(BaseModel):
    """A fact or rule citing a sentence."""

    id: str | None = Field(description="the clause's @id")
    predicate: str = Field(description="the predicate it defines, as name/arity")
    location: str | None = Field(default=None, description="file:line of the clause")
    quote: str = Field(description="the @source quote that lies in the sentence")
    basis: str = Field("text", description="text, structure or interpretation")
    interpretation: str | None = Field(default=None, description="the interpretation it belongs to, if any")


class DataRef(BaseModel):
    """An entry of the organisation directory citing a sentence."""

    entry: str = Field(description="the entry, as table.id (phases: phases.NUMBER)")
    file: str = Field(description="the data file")
    quote: str


class TestRef(BaseModel):
    """A policy test case citing a sentence."""

    __test__: ClassVar[bool] = False  # not a pytest test class

    file: str
    line: int
    name: str
    passed: bool | None = Field(default=None, description="the result when the tests were run, else null")


class SentenceTrace(BaseModel):
    """One sentence and what traces to it."""

    number: int
    text: str
    line: int = Field(description="the line of the sentence in the source text")
    status: str = Field(description="encoded, explained (not encoded, with a reason) or untraced")
    clauses: list[ClauseRef] = []
    data: list[DataRef] = []
    tests: list[TestRef] = []
    reason: str | None = Field(default=None, description="for an explained sentence: why it is not encoded")
    note: str | None = Field(default=None, description="a remark of traceability.toml")


class Problem(BaseModel):
    """An error or warning of the traceability check."""

    severity: str
    code: str
    message: str
    location: str | None = None
    help: str | None = None


class TraceReport(BaseModel):
    """Every sentence of the text with what encodes and tests it, the counts and the problems."""

    directory: str
    sentences: list[SentenceTrace]
    encoded: int = Field(description="sentences a clause or data entry encodes")
    explained: int = Field(description="sentences not encoded, each with a reason")
    untraced: int = Field(description="sentences neither encoded nor explained (errors)")
    uncited_clauses: list[ClauseRef] = Field(
        [], description="clauses that cite no sentence (structure), with their basis")
    tests_run: bool = False
    problems: list[Problem] = []

    @property
    def errors(self) -> int:
        return sum(p.severity == "error" for p in self.problems)

    @property
    def ok(self) -> bool:
        return self.errors == 0


# -- traceability.toml ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    """One ``[[unencoded]]`` or ``[[note]]`` entry of traceability.toml."""

    table: str
    sentence: str
    reason: str | None
    note: str | None
    span: Span


_KEYS = {"unencoded": ("sentence", "reason", "note"), "note": ("sentence", "note")}
_REQUIRED = {"unencoded": ("sentence", "reason"), "note": ("sentence", "note")}


def read_entries(path: Path, limits: Limits = DEFAULT_LIMITS) -> tuple[list[Entry], list[Diagnostic]]:
    """The entries of a traceability.toml and the problems of its form (unknown tables or keys,
    values that are no strings). A file that is no TOML raises :class:`PolicyLoadError`."""
    display = display_path(path)
    text = read_text(path, display, limit=limits.max_data_file_bytes, limit_name="max_data_file_bytes",
                     what="traceability file", advice=None)
    source = Source(display, text)
    try:
        raw = tomli.loads(text)
    except tomli.TOMLDecodeError as err:
        raise PolicyLoadError(f"{display}: error: {err} [trace-syntax]") from None
    headers = _headers(text)
    problems: list[Diagnostic] = []
    entries: list[Entry] = []

    def problem(code: str, message: str, span: Span, help: str | None = None) -> None:
        problems.append(Diagnostic(code, Severity.ERROR, message, span, help, source))

    whole = Span(display, 0, 0, 0, 0)
    for table, value in raw.items():
        if table not in _KEYS:
            hint = did_you_mean(table, _KEYS)
            problem("trace-key", f"unknown table `{table}`", whole,
                    hint or "the tables are `[[unencoded]]` and `[[note]]`")
            continue
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            problem("trace-key", f"`{table}` must be an array of tables, written `[[{table}]]`", whole)
            continue
        for index, item in enumerate(value):
            lines = headers.get(table, [])
            line = lines[index] if index < len(lines) else 0
            span = Span(display, line, 1 if line else 0, line, len(table) + 5 if line else 0)
            where = f"`[[{table}]]` entry {index + 1}"
            bad = False
            for key in item:
                if key not in _KEYS[table]:
                    hint = did_you_mean(key, _KEYS[table])
                    problem("trace-key", f"{where} has the unknown key `{key}`", span,
                            hint or f"its keys are {', '.join(f'`{k}`' for k in _KEYS[table])}")
                    bad = True
            for key in _REQUIRED[table]:
                if key not in item:
                    problem("trace-key", f"{where} lacks `{key}`", span)
                    bad = True
            for key, val in item.items():
                if key in _KEYS[table] and not isinstance(val, str):
                    problem("trace-key", f"{where}: `{key}` must be a string", span)
                    bad = True
            if not bad:
                entries.append(Entry(table, item["sentence"], item.get("reason"), item.get("note"), span))
    return entries, problems


def _headers(text: str) -> dict[str, list[int]]:
    """The line of each ``[[table]]`` header, per table, in order."""
    found: dict[str, list[int]] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        match = re.match(r"\s*\[\[\s*([A-Za-z_-]+)\s*\]\]", line)
        if match:
            found.setdefault(match.group(1), []).append(number)
    return found


# -- building the report ---------------------------------------------------------------------------


def trace(directory: str | os.PathLike | None = None, *, run_tests: bool = False,
          limits: Limits | None = None) -> TraceReport:
    """The traceability report of a policy directory (the bundled one when None).

    ``run_tests``: run the policy tests (``tests/*.yaml``) and record each case's result;
    otherwise the cases are only read. Raises :class:`~kdv_policy.errors.PolicyError` when the
    policy, its text, its tests or its traceability.toml do not load; the problems of the
    traceability itself (a sentence neither encoded nor explained, a wrong reason) are in the
    report's ``problems``.
    """
    from kdv_policy.limits import as_limits
    from kdv_policy.policy.loader import bundled_rules, load_program

    limits = as_limits(limits)
    root = Path(directory) if directory is not None else bundled_rules()
    loaded = load_program(root, limits=limits)
    text_path = root / SOURCE_TEXT
    if not os.path.lexists(text_path):
        raise PolicyLoadError(f"policy directory `{display_path(root)}` has no `{SOURCE_TEXT}`: "
                              "traceability needs the governance text the rules cite")
    check_inside(text_path, root, display_path(text_path), "governance text")
    text = read_text(text_path, display_path(text_path), limit=limits.max_data_file_bytes,
                     limit_name="max_data_file_bytes", what="governance text", advice=None)
    sentences = split_sentences(text)
    problems: list[Problem] = []
    rows = {s.number: SentenceTrace(number=s.number, text=s.text, line=s.line, status="untraced")
            for s in sentences}

    uncited: list[ClauseRef] = []
    for clause in loaded.program.clauses:
        quotes = _annotation_values(clause, "source")
        ref = clause_ref(clause)
        if not quotes:
            uncited.append(ref)
        for quote in quotes:
            owners, count = sentences_of(quote, text, sentences)
            if count == 0:
                problems.append(_misquote(f"the `@source` of `{ref.id or ref.predicate}`", quote, sentences,
                                          ref.location, "trace-citation", problems))
            elif count > 1:
                problems.append(Problem(
                    severity="warning", code="trace-ambiguous", location=ref.location,
                    message=f"the `@source` of `{ref.id or ref.predicate}` occurs {count} times in the text; "
                            "it is traced to every sentence it occurs in",
                    help="quote more words, so that the quote names one place of the text"))
            for owner in owners:
                rows[owner.number].clauses.append(ref.model_copy(update={"quote": quote}))

    if loaded.data is not None:
        for data_ref in _data_refs(loaded.data):
            owners, count = sentences_of(data_ref.quote, text, sentences)
            if count == 0:
                problems.append(_misquote(f"the `source` of `{data_ref.entry}`", data_ref.quote, sentences,
                                          data_ref.file, "trace-citation", problems))
            for owner in owners:
                rows[owner.number].data.append(data_ref)

    for number, test in _test_refs(root, text, sentences, run_tests, limits):
        rows[number].tests.append(test)

    trace_path = root / TRACE_FILE
    if os.path.lexists(trace_path):
        check_inside(trace_path, root, display_path(trace_path), "traceability file")
        entries, form = read_entries(trace_path, limits)
        problems += [_problem(d) for d in form]
        _apply(entries, text, sentences, rows, problems)

    for row in rows.values():
        if row.clauses or row.data:
            row.status = "encoded"
        if row.status == "untraced":
            problems.append(Problem(
                severity="error", code="trace-untraced",
                location=f"{display_path(text_path)}:{row.line}",
                message=f"sentence {row.number} is neither encoded nor explained: « {_short(row.text)} »",
                help="cite it with `@source(...)` in the fact or rule that encodes it, or say why it is "
                     f"not encoded in `{TRACE_FILE}`: `[[unencoded]]` with `sentence` and `reason` "
                     f"(one of {', '.join(f'`{r}`' for r in REASONS)})"))
    ordered = [rows[s.number] for s in sentences]
    return TraceReport(
        directory=display_path(root), sentences=ordered,
        encoded=sum(r.status == "encoded" for r in ordered),
        explained=sum(r.status == "explained" for r in ordered),
        untraced=sum(r.status == "untraced" for r in ordered),
        uncited_clauses=uncited, tests_run=run_tests, problems=problems)


def _apply(entries: Iterable[Entry], text: str, sentences: Sequence[Sentence], rows: dict[int, SentenceTrace],
           problems: list[Problem]) -> None:
    """Attach the reasons and notes of traceability.toml to their sentences, checking each."""
    seen: dict[tuple[str, int], Entry] = {}
    for entry in entries:
        where = str(entry.span) if entry.span.line else entry.span.path
        exact = [s for s in sentences if s.text == entry.sentence]
        owners, count = (exact, 1) if exact else sentences_of(entry.sentence, text, sentences)
        if count == 0:
            problems.append(_misquote(f"the `sentence` of a `[[{entry.table}]]` entry", entry.sentence,
                                      sentences, where, "trace-misquote", problems))
            continue
        if len(owners) != 1:
            problems.append(Problem(
                severity="error", code="trace-ambiguous", location=where,
                message=f"the `sentence` « {_short(entry.sentence)} » lies in {len(owners)} sentences "
                        f"({', '.join(str(s.number) for s in owners)})",
                help="quote the whole sentence, or enough of it to name one"))
            continue
        row = rows[owners[0].number]
        key = (entry.table, row.number)
        if key in seen:
            problems.append(Problem(severity="error", code="trace-duplicate", location=where,
                                    message=f"sentence {row.number} has a second `[[{entry.table}]]` entry",
                                    help=f"merge it with the one at {seen[key].span}"))
            continue
        seen[key] = entry
        if entry.table == "note":
            row.note = entry.note
            continue
        if entry.reason not in REASONS:
            hint = did_you_mean(entry.reason or "", REASONS)
            problems.append(Problem(
                severity="error", code="trace-reason", location=where,
                message=f"`{entry.reason}` is no reason a sentence may be left unencoded",
                help=hint or f"the reasons are {', '.join(f'`{r}`' for r in REASONS)}"))
            continue
        if row.clauses or row.data:
            ids = ", ".join(f"`{c.id or c.predicate}`" for c in row.clauses) or \
                ", ".join(f"`{d.entry}`" for d in row.data)
            problems.append(Problem(
                severity="error", code="trace-reason-encoded", location=where,
                message=f"sentence {row.number} has a reason not to be encoded (`{entry.reason}`), "
                        f"but {ids} encode it",
                help="remove the `[[unencoded]]` entry (a remark on an encoded sentence is a `[[note]]`)"))
            continue
        row.status, row.reason = "explained", entry.reason
        if entry.note:
            row.note = entry.note


def _annotation_values(clause: Clause, name: str) -> tuple[str, ...]:
    return tuple(str(a.args[0].value) for a in clause.annotations if a.name == name and a.args)


def clause_ref(clause: Clause) -> ClauseRef:
    """What a trace says of a clause: its id, predicate, ``file:line`` and basis (text, structure or
    interpretation, with the interpretation's id); its quote is left empty."""
    interpretation = next(iter(_annotation_values(clause, "interpretation")), None)
    if interpretation is not None:
        basis = "interpretation"
    elif _annotation_values(clause, "structure"):
        basis = "structure"
    else:
        basis = "text"
    span = clause.span
    return ClauseRef(id=clause.id, predicate=clause.head.signature, quote="",
                     location=f"{span.path}:{span.line}" if span is not None else None,
                     basis=basis, interpretation=interpretation)


def _data_refs(data: DataSet) -> list[DataRef]:
    directory = data.directory
    file = display_path(data.path)
    refs = [DataRef(entry=f"bodies.{b.id}", file=file, quote=b.source)
            for b in getattr(directory, "bodies", ()) if b.source]
    refs += [DataRef(entry=f"phases.{p.number}", file=file, quote=p.source)
             for p in getattr(directory, "phases", ()) if p.source]
    return refs


def _test_refs(root: Path, text: str, sentences: Sequence[Sentence], run: bool,
               limits: Limits) -> list[tuple[int, TestRef]]:
    """(sentence number, case) for every policy test case citing a sentence; with results when ``run``."""
    from kdv_policy.authoring.policytests import find_test_files, load_test_file, run_tests

    files = find_test_files(root)
    if not files:
        return []
    results = {}
    if run:
        report = run_tests(root, limits=limits)
        results = {(r.file, r.line): r.passed for r in report.results}
    out: list[tuple[int, TestRef]] = []
    for path in files:
        for case in load_test_file(path, limits=limits).cases:
            if case.source is None:
                continue
            owners, _ = sentences_of(case.source, text, sentences)
            ref = TestRef(file=case.file.display, line=case.line, name=case.name,
                          passed=results.get((case.file.display, case.line)))
            out += [(s.number, ref) for s in owners]
    return out


def _misquote(what: str, quote: str, sentences: Sequence[Sentence], location: str | None,
              code: str, problems: Sequence[Problem] = ()) -> Problem:
    hinted = sum(p.code in ("trace-citation", "trace-misquote") for p in problems)
    near = nearest_sentence(quote, sentences) if hinted < HINTS else None
    return Problem(severity="error", code=code, location=location,
                   message=f"{what} is not a verbatim part of {SOURCE_TEXT}: « {_short(quote)} »",
                   help=f"the nearest is sentence {near.number}: « {_short(near.text)} »" if near else None)


def _problem(d: Diagnostic) -> Problem:
    where = str(d.span) if d.span is not None and d.span.line else (d.span.path if d.span else None)
    return Problem(severity=d.severity.value, code=d.code, message=d.message, location=where, help=d.help)


def _short(text: str, width: int = 90) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


# -- rendering ------------------------------------------------------------------------------------


def render_problems(report: TraceReport) -> list[str]:
    """``location: severity: message [code]`` and its help, one problem a line (two with help)."""
    out = []
    for p in report.problems:
        where = f"{p.location}: " if p.location else ""
        out.append(f"{where}{p.severity}: {p.message} [{p.code}]")
        if p.help:
            out.append(f"  help: {p.help}")
    return out


def summary(report: TraceReport) -> str:
    total = len(report.sentences)
    return (f"{total} sentences: {report.encoded} encoded, {report.explained} explained as not encoded, "
            f"{report.untraced} neither")


def text(report: TraceReport) -> str:
    """The report as plain text: per sentence its clauses, data entries and tests; then the
    problems and the counts."""
    lines = []
    for row in report.sentences:
        lines.append(f"{row.number:>3}  {row.text}")
        if row.status == "explained":
            lines.append(f"       not encoded: {row.reason}" + (f" — {row.note}" if row.note else ""))
        elif row.status == "untraced":
            lines.append("       NOT TRACED: no clause encodes it and no reason says why")
        ids = [_id_label(c) for c in row.clauses] + [f"{d.entry} ({d.file})" for d in row.data]
        if ids:
            lines.append("       encoded by: " + ", ".join(ids))
        if row.tests or row.status == "encoded":
            lines.append("       tested by: " + _tests_label(row, report.tests_run))
        if row.note and row.status != "explained":
            lines.append(f"       note: {row.note}")
    if report.uncited_clauses:
        lines.append("")
        lines.append(f"{len(report.uncited_clauses)} clauses cite no sentence: "
                     + ", ".join(f"{_id_label(c)} ({c.basis})" for c in report.uncited_clauses))
    if report.problems:
        lines.append("")
        lines += render_problems(report)
    lines.append("")
    lines.append(summary(report))
    return "\n".join(lines) + "\n"


def _id_label(ref: ClauseRef) -> str:
    label = ref.id or ref.predicate
    return f"{label} (interpretation {ref.interpretation})" if ref.interpretation else label


def _tests_label(row: SentenceTrace, run: bool) -> str:
    if not row.tests:
        return "no test"
    count = len(row.tests)
    cases = f"{count} case{'s' if count != 1 else ''}"
    files = sorted({t.file.rsplit("/", 1)[-1] for t in row.tests})
    label = f"{cases} ({', '.join(files)})"
    if run:
        failed = sum(t.passed is False for t in row.tests)
        label += f", {failed} failed" if failed else ", all passed"
    return label


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def markdown(report: TraceReport) -> str:
    """The traceability table of docs/governance.md: one row per sentence with the ids that
    encode it, the note or the reason it is not encoded, and the tests that cite it."""
    lines = [
        f"{summary(report)}.",
        "",
        "| # | sentence | ids | note | tests |",
        "|---|---|---|---|---|",
    ]
    for row in report.sentences:
        ids = [f"`{c.id or c.predicate}`"
               + (f" (interpretation `{c.interpretation}`)" if c.interpretation else "")
               for c in row.clauses]
        ids += [f"{d.entry} ({d.file.rsplit('/', 1)[-1]})" for d in row.data]
        if row.status == "explained":
            note = f"not encoded: {REASONS[row.reason or '']}" + (f" {row.note}" if row.note else "")
        elif row.status == "untraced":
            note = "**neither encoded nor explained**"
        else:
            note = row.note or ""
        tests = _tests_label(row, report.tests_run) if (row.tests or row.status == "encoded") else "—"
        lines.append(f"| {row.number} | {_cell(row.text)} | {', '.join(ids) or '—'} | {_cell(note)} | "
                     f"{_cell(tests)} |")
    if report.uncited_clauses:
        lines += ["", f"Clauses that cite no sentence ({len(report.uncited_clauses)}): "
                  + ", ".join(f"`{c.id or c.predicate}` ({c.basis})" for c in report.uncited_clauses) + "."]
    return "\n".join(lines) + "\n"


def embed(document: str, section: str) -> str:
    """``document`` with the text between the traceability markers replaced by ``section``."""
    start, end = document.find(BEGIN), document.find(END)
    if start < 0 or end < start:
        raise ValueError(f"the document has no `{BEGIN}` ... `{END}` markers")
    note = f"<!-- generated by `{REGENERATE}`; do not edit by hand -->"
    return document[:start] + f"{BEGIN}\n{note}\n\n{section}\n{END}" + document[end + len(END):]
