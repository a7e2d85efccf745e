"""AST → checked program: the checker's stages, each a small function.

``check(modules)`` runs the stages below in order over every file of a policy
and returns a :class:`~kdv_policy.program.Program` with its warnings, or raises
:class:`~kdv_policy.errors.PolicyCheckError` carrying every error found.

Order matters in two places: declarations are collected first because every
later stage looks predicates up in them; stratification runs last and only on
clauses whose predicates and arities are known, so one typo does not cascade.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from kdv_policy.errors import (
    Diagnostic,
    DiagnosticCollector,
    PolicyCheckError,
    QueryError,
    Severity,
    expect,
    shorten,
)
from kdv_policy.language.printer import format_atom
from kdv_policy.language.program import Program, Stratum, depending_on, stratify
from kdv_policy.language.quotes import SOURCE_TEXT, GoverningText
from kdv_policy.language.source import Source, Span
from kdv_policy.language.syntax import (
    Annotation,
    Atom,
    Clause,
    Comparison,
    Declaration,
    Interpretation,
    Item,
    Literal,
    Module,
    Negation,
    Query,
    Variable,
    literal_atom,
    literal_variables,
)
from kdv_policy.suggest import did_you_mean

KNOWN_ANNOTATIONS = {
    "id": "a stable identifier of the fact or rule: `@id(rr_verabschiedet_strategie)`",
    "source": 'the sentence of the governance text the fact or rule encodes: `@source("...")`',
    "structure": 'how a rule composes what other clauses state, when no sentence states it: '
                 '`@structure("may/3 follows a delegation")`',
    "interpretation": "the interpretation the fact or rule belongs to: "
                      "`@interpretation(vorsitz_handelt_allein)`",
    "de": 'the German one-line description of an interpretation: `@de("Der Vorsitz handelt allein.")`',
    "en": 'the English one-line description of an interpretation: `@en("The chair acts alone.")`',
    "rationale": 'why an interpretation reads the text so: `@rationale("Der Text nennt nur ...")`',
}

CLAUSE_ANNOTATIONS = frozenset({"id", "source", "structure", "interpretation"})
"""The annotations of facts and rules."""
INTERPRETATION_ANNOTATIONS = ("de", "en", "rationale")
"""The annotations of an `.interpretation` declaration; it needs each of them."""
REPEATABLE = frozenset({"source"})
"""Annotations a fact or rule may give more than once (a close reading cites each sentence)."""


@dataclass
class CheckResult:
    """What the checker found: the program (None on errors) and every diagnostic, sorted."""

    program: Program | None
    diagnostics: tuple[Diagnostic, ...]

    @property
    def errors(self) -> tuple[Diagnostic, ...]:
        return tuple(d for d in self.diagnostics if d.is_error)

    @property
    def warnings(self) -> tuple[Diagnostic, ...]:
        return tuple(d for d in self.diagnostics if not d.is_error)


MAX_SUGGESTED = 100
"""Names longer than this get no did-you-mean (comparing long names costs quadratic time)."""


@dataclass
class _Context:
    modules: Sequence[Module]
    sources: Mapping[str, Source]
    diagnostics: DiagnosticCollector = field(default_factory=DiagnosticCollector)
    declarations: dict[str, Declaration] = field(default_factory=dict)
    interpretations: dict[str, Interpretation] = field(default_factory=dict)
    governing: GoverningText | None = None  # the policy's source-text.txt, when it has one
    # clauses whose every atom names a declared predicate with the declared arity
    well_formed: list[Clause] = field(default_factory=list)
    strata: tuple[Stratum, ...] = ()  # of the well-formed clauses, once stratification has run

    @property
    def clauses(self) -> list[Clause]:
        return [c for m in self.modules for c in m.clauses]

    def report(self, code: str, severity: Severity, message: str, span: Span | None,
               help: str | None = None) -> None:
        source = self.sources.get(span.path) if span else None
        self.diagnostics.add(Diagnostic(code, severity, message, span, help, source))

    def error(self, code: str, message: str, span: Span | None, help: str | None = None) -> None:
        self.report(code, Severity.ERROR, message, span, help)

    def warning(self, code: str, message: str, span: Span | None, help: str | None = None) -> None:
        self.report(code, Severity.WARNING, message, span, help)


# -- stages ---------------------------------------------------------------

def _declarations(ctx: _Context) -> None:
    """Collect `.decl`s; a predicate is declared once, with one arity."""
    for module in ctx.modules:
        for decl in module.declarations:
            first = ctx.declarations.get(decl.predicate)
            if first is not None:
                ctx.error("duplicate-declaration", f"predicate `{shorten(decl.predicate)}` is declared twice",
                          decl.span, f"first declared as `{_signature(first)}` at {first.span}")
                continue
            ctx.declarations[decl.predicate] = decl
            if len(set(decl.params)) != len(decl.params):
                dup = [p for p, n in Counter(decl.params).items() if n > 1]
                ctx.warning("duplicate-parameter",
                            f"`{shorten(decl.predicate)}` names its argument `{shorten(dup[0])}` "
                            "more than once",
                            decl.span,
                            "give each argument its own name; the names document the predicate")


def _interpretations(ctx: _Context) -> None:
    """Collect `.interpretation`s; each name is declared once."""
    for module in ctx.modules:
        for interp in module.interpretations:
            first = ctx.interpretations.get(interp.name)
            if first is not None:
                ctx.error("duplicate-interpretation",
                          f"interpretation `{shorten(interp.name)}` is declared twice", interp.span,
                          f"first declared at {first.span}; give each interpretation one declaration")
                continue
            ctx.interpretations[interp.name] = interp


def _annotations(ctx: _Context) -> None:
    """Only known annotations, each with one string or atom argument, at most once per item
    (``@source`` may be repeated), each on the kind of item it belongs to."""
    for module in ctx.modules:
        for item in module.items:
            seen: set[str] = set()
            for ann in item.annotations:
                if ann.name not in KNOWN_ANNOTATIONS:
                    hint = _did_you_mean(ann.name, KNOWN_ANNOTATIONS, lambda c: f"`@{c}`")
                    known = ", ".join(f"@{k}" for k in KNOWN_ANNOTATIONS)
                    ctx.error("unknown-annotation", f"unknown annotation `@{shorten(ann.name)}`", ann.span,
                              hint or f"the known annotations are {known}")
                    continue
                if ann.name in seen and ann.name not in REPEATABLE:
                    ctx.error("duplicate-annotation", f"`@{ann.name}` is given twice", ann.span,
                              "give each annotation once per fact or rule")
                seen.add(ann.name)
                if len(ann.args) != 1 or not isinstance(ann.args[0].value, str):
                    ctx.error("annotation-argument", f"`@{ann.name}` takes one string or atom argument",
                              ann.span, KNOWN_ANNOTATIONS[ann.name])
                else:
                    _placement(ctx, item, ann)


def _placement(ctx: _Context, item: Item, ann: Annotation) -> None:
    """An annotation stands on the kind of item it describes."""
    if isinstance(item, Interpretation):
        if ann.name not in INTERPRETATION_ANNOTATIONS:
            ctx.error("annotation-argument", f"`@{ann.name}` does not belong on an interpretation",
                      ann.span, "an interpretation takes `@de(\"...\")`, `@en(\"...\")` and "
                                "`@rationale(\"...\")`; its facts and rules carry `@interpretation(name)`")
    elif isinstance(item, Declaration):
        if ann.name == "id":
            ctx.error("annotation-argument", "`@id` belongs on facts and rules, not declarations",
                      ann.span, "a declaration is identified by its predicate name")
        elif ann.name != "source":
            ctx.error("annotation-argument", f"`@{ann.name}` does not belong on a declaration",
                      ann.span, KNOWN_ANNOTATIONS[ann.name])
    elif ann.name not in CLAUSE_ANNOTATIONS:
        ctx.error("annotation-argument", f"`@{ann.name}` belongs on an `.interpretation`, not a fact or rule",
                  ann.span, "describe the reading once, above `.interpretation name.`, and mark the "
                            "fact or rule `@interpretation(name)`")


def _ids(ctx: _Context) -> None:
    """Ids are unique across the whole policy."""
    seen: dict[str, Span | None] = {}
    for clause in ctx.clauses:
        ann = clause.annotation("id")
        cid = clause.id
        if cid is None or ann is None:
            continue
        if cid in seen:
            ctx.error("duplicate-id", f"id `{shorten(cid)}` is used twice", ann.span,
                      f"first used at {seen[cid]}; ids must be unique across the policy")
        else:
            seen[cid] = ann.span


def _predicates(ctx: _Context) -> None:
    """Every atom names a declared predicate with the declared number of arguments."""
    for clause in ctx.clauses:
        ok = True
        for atom in [clause.head] + [a for a in map(literal_atom, clause.body) if a is not None]:
            ok &= _check_atom(ctx, atom)
        if ok:
            ctx.well_formed.append(clause)


def _check_atom(ctx: _Context, atom: Atom) -> bool:
    decl = ctx.declarations.get(atom.predicate)
    if decl is None:
        hint = _did_you_mean(atom.predicate, ctx.declarations,
                             lambda c: f"`{_signature(ctx.declarations[c])}`")
        declare = shorten(f".decl {atom.predicate}({', '.join(_param_names(atom))})", MAX_CODE)
        ctx.error("undeclared-predicate", f"predicate `{_signature(atom)}` is not declared", atom.span,
                  hint or f"declare it: `{declare}`")
        return False
    if decl.arity != atom.arity:
        declared = shorten(f"{decl.predicate}({', '.join(decl.params)})", MAX_CODE)
        ctx.error("arity-mismatch",
                  f"`{shorten(atom.predicate)}` takes {decl.arity} argument{'s' if decl.arity != 1 else ''}, "
                  f"but {atom.arity} {'were' if atom.arity != 1 else 'was'} given",
                  atom.span, f"did you mean `{_signature(decl)}`? it is declared as "
                             f"`{declared}` at {decl.span}")
        return False
    return True


MAX_CODE = 200
"""Characters of rule text (a declaration, an atom) a message or help quotes at most."""


def _signature(node: Atom | Declaration) -> str:
    """``predicate/arity``, with a long predicate name shortened."""
    return f"{shorten(node.predicate)}/{node.arity}"


def _did_you_mean(word: str, candidates: Iterable[str], render: Callable[[str], str]) -> str | None:
    """:func:`did_you_mean`, but none for a name too long to compare cheaply."""
    if len(word) > MAX_SUGGESTED:
        return None
    return did_you_mean(word, [c for c in candidates if len(c) <= MAX_SUGGESTED], render)


def _param_names(atom: Atom) -> list[str]:
    return [t.name.lower() if isinstance(t, Variable) and t.name != "_" else f"arg{i + 1}"
            for i, t in enumerate(atom.args)]


def _safety(ctx: _Context) -> None:
    """Range restriction: every variable of the head, of a negation or of a comparison
    appears in a positive body atom; `_` is allowed only where a value may be anything."""
    for clause in ctx.clauses:
        _check_safety(ctx, clause.head, clause.body, clause.span)
        _singletons(ctx, clause)


def _check_safety(ctx: _Context, head: Atom | None, body: Sequence[Literal], span: Span | None) -> None:
    bound = {v.name for lit in body if isinstance(lit, Atom) for v in literal_variables(lit)}
    reported: set[str] = set()

    def unsafe(var: Variable, where: str, help: str) -> None:
        if var.name in reported:
            return
        reported.add(var.name)
        ctx.error("unsafe-variable",
                  f"variable `{shorten(var.name)}` {where} is not bound by a positive body atom",
                  var.span or span, help)

    if head is not None:
        for var in literal_variables(head):
            if var.name == "_":
                ctx.error("unsafe-variable", "the wildcard `_` cannot appear in a head", var.span or span,
                          "a head names every value it derives; use a variable bound in the body")
            elif var.name not in bound:
                what = "a fact" if not body else "the head"
                unsafe(var, f"in {what}",
                       "facts are ground: write a constant" if not body else
                       f"add a body atom that binds `{shorten(var.name)}`, e.g. a type predicate")
    for lit in body:
        if isinstance(lit, Negation):
            for var in literal_variables(lit):
                if var.name != "_" and var.name not in bound:
                    unsafe(var, "under `not`",
                           f"bind `{shorten(var.name)}` in a positive atom of the same body, or write `_` "
                           "if any value will do")
        elif isinstance(lit, Comparison):
            for var in literal_variables(lit):
                if var.name == "_":
                    ctx.error("unsafe-variable", "the wildcard `_` cannot appear in a comparison",
                              var.span or span, "compare a variable bound in a positive body atom")
                elif var.name not in bound:
                    unsafe(var, "in a comparison",
                           f"bind `{shorten(var.name)}` in a positive body atom; "
                           "comparisons only test values")


def _singletons(ctx: _Context, clause: Clause) -> None:
    counts: Counter[str] = Counter()
    first: dict[str, Variable] = {}
    for lit in (clause.head, *clause.body):
        for var in literal_variables(lit):
            counts[var.name] += 1
            first.setdefault(var.name, var)
    for name, n in counts.items():
        if n == 1 and not name.startswith("_") and clause.body:
            ctx.warning("singleton-variable", f"variable `{shorten(name)}` occurs only once in this rule",
                        first[name].span, f"if any value will do, write `_` or `_{shorten(name)}`; "
                                          "otherwise check the spelling")


def _stratification(ctx: _Context) -> Program | None:
    """Negation may not pass through recursion: the program must be stratifiable."""
    strata, violations = stratify(ctx.declarations, ctx.well_formed)
    ctx.strata = strata
    for head, negated in violations:
        for clause in ctx.well_formed:
            if clause.head.predicate != head:
                continue
            for lit in clause.body:
                if isinstance(lit, Negation) and lit.atom.predicate == negated:
                    cycle = ("itself" if head == negated
                             else f"`{shorten(negated)}`, which depends on `{shorten(head)}`")
                    ctx.error("unstratifiable-negation",
                              f"`{shorten(head)}` depends on the negation of {cycle}",
                              lit.span, "negation through recursion has no single meaning; "
                                        "split the predicate so the negated part does not depend on the head")
    return Program(dict(ctx.declarations), tuple(ctx.well_formed), strata, dict(ctx.interpretations))


def _inputs(ctx: _Context) -> None:
    """Input relations are filled by a request only, and a request is evaluated with one join per
    rule: no fact or rule of the policy states an input relation, and no predicate that depends
    on one is recursive (its work per request could not be bounded before it runs)."""
    inputs = {p for p, d in ctx.declarations.items() if d.input}
    if not inputs:
        return
    for clause in ctx.clauses:
        head = clause.head.predicate
        if head in inputs:
            kind = "fact" if clause.is_fact else "rule"
            ctx.error("input-defined", f"`{shorten(head)}` is an input relation, so no {kind} of the policy "
                      "may state it", clause.head.span or clause.span,
                      f"a request fills `{shorten(head)}`; to state its rows in the policy, declare it with "
                      "`.decl` instead, or state them in a relation of their own and join both in a rule")
    dependent = depending_on(inputs, ctx.well_formed)
    for stratum in ctx.strata:
        members = set(stratum.predicates)
        if not stratum.recursive or not members & dependent:
            continue
        clause = next(c for c in ctx.well_formed if c.head.predicate in members
                      and any(a is not None and a.predicate in members for a in map(literal_atom, c.body)))
        lit = next(lit for lit in clause.body
                   if (a := literal_atom(lit)) is not None and a.predicate in members)
        head = clause.head.predicate
        ctx.error("recursive-input",
                  f"`{shorten(head)}` depends on an input relation and is recursive", lit.span or clause.span,
                  "a request is evaluated with one join per rule over the evaluated policy, so a predicate a "
                  "request can change cannot be recursive; compute the recursion over the policy's own "
                  "relations and join the request's rows in a rule after it")


def _unused(ctx: _Context) -> None:
    """Warn about declarations that no fact, rule or body mentions."""
    used = set()
    for clause in ctx.clauses:
        used.add(clause.head.predicate)
        used.update(a.predicate for a in map(literal_atom, clause.body) if a is not None)
    for name, decl in ctx.declarations.items():
        if name not in used:
            ctx.warning("unused-predicate", f"predicate `{_signature(decl)}` is declared but never used",
                        decl.span, "remove the declaration, or add the facts or rules it was meant for")


def _bases(ctx: _Context) -> None:
    """Every fact and rule has one basis: the text (`@source`), the structure (`@structure`) or
    a declared interpretation (`@interpretation`, which may also cite the sentences it reads).
    An interpretation is described (`@de`, `@en`, `@rationale`) and used."""
    used: set[str] = set()
    for clause in ctx.clauses:
        structure = clause.annotation("structure")
        interp = clause.annotation("interpretation")
        if structure is not None and (clause.citation is not None or interp is not None):
            other = "`@interpretation`" if interp is not None else "`@source`"
            ctx.error("conflicting-basis", f"`@structure` and {other} are given together", structure.span,
                      "a structural rule composes what other clauses state and cites no sentence; "
                      "a rule a sentence states cites it with `@source`, a reading the text does not "
                      "state belongs to an `@interpretation`")
        name = clause.interpretation
        if interp is None or name is None:
            continue
        if name in ctx.interpretations:
            used.add(name)
            continue
        hint = _did_you_mean(name, ctx.interpretations, lambda c: f"`@interpretation({c})`")
        ctx.error("unknown-interpretation", f"interpretation `{shorten(name)}` is not declared", interp.span,
                  hint or f"declare it in a rule file: `.interpretation {shorten(name)}.` with `@de`, "
                          "`@en` and `@rationale` above it")
    for name, decl in ctx.interpretations.items():
        for needed in INTERPRETATION_ANNOTATIONS:
            if decl.text(needed) is None:
                ctx.error("incomplete-interpretation",
                          f"interpretation `{shorten(name)}` has no `@{needed}`", decl.span,
                          KNOWN_ANNOTATIONS[needed])
        if name not in used:
            ctx.warning("unused-interpretation",
                        f"interpretation `{shorten(name)}` is declared but no fact or rule belongs to it",
                        decl.span, "mark the facts and rules of the reading "
                                   f"`@interpretation({shorten(name)})`, or remove the declaration")


def _quotes(ctx: _Context) -> None:
    """Every `@source` is a verbatim part of the governance text (when the policy has one)."""
    if ctx.governing is None:
        return
    for module in ctx.modules:
        for item in module.items:
            for ann in item.annotations:
                if ann.name != "source" or len(ann.args) != 1 or not isinstance(ann.args[0].value, str):
                    continue
                quote = ann.args[0].value
                if ctx.governing.contains(quote):
                    continue
                nearest = ctx.governing.nearest_sentence(quote)
                help = (f"the nearest sentence of {SOURCE_TEXT} is: « {shorten(nearest, MAX_CODE)} »"
                        if nearest else f"{SOURCE_TEXT} is empty")
                ctx.error("misquote", f"`@source` quote `{shorten(quote)}` is not a verbatim part of "
                          f"{SOURCE_TEXT}", ann.span,
                          help + "; copy the words exactly (line breaks and runs of spaces count as "
                          "one space)")


def _citations(ctx: _Context) -> None:
    """Warn about facts and rules that have no basis: no citation, structure or interpretation."""
    for clause in ctx.clauses:
        if clause.basis is None:
            kind = "fact" if clause.is_fact else "rule"
            head = shorten(format_atom(clause.head), MAX_CODE)
            ctx.warning("missing-citation", f"{kind} `{head}` has no citation",
                        clause.head.span or clause.span,
                        'add `@source("...")` with the sentence of the governance text it encodes; '
                        'a rule that only composes others takes `@structure("...")`, a reading the text '
                        "does not state `@interpretation(name)`")


STAGES: tuple[tuple[str, Callable[[_Context], object]], ...] = (
    ("declarations", _declarations),  # first: every later stage looks predicates up here
    ("interpretations", _interpretations),
    ("annotations", _annotations),
    ("ids", _ids),
    ("predicates", _predicates),
    ("safety", _safety),
    ("stratification", _stratification),  # last among errors: only well-formed clauses
    ("inputs", _inputs),  # after stratification: reads its strata
    ("unused", _unused),
    ("bases", _bases),
    ("quotes", _quotes),
    ("citations", _citations),
)


def analyse(modules: Sequence[Module], sources: Mapping[str, Source] | None = None,
            max_diagnostics: int | None = None, source_text: str | None = None) -> CheckResult:
    """Run every stage and return the program (None if there are errors) and all diagnostics.

    Each file keeps at most ``max_diagnostics`` (default: ``Limits.max_diagnostics_per_file``),
    errors first; the rest are counted in one last diagnostic of the file (``and N more``).
    With ``source_text`` (the policy's governance text), every ``@source`` quote must be a
    verbatim part of it (error ``misquote``).
    """
    _expect_modules(modules, sources)
    if source_text is not None:
        expect(source_text, str, "the source text")
    ctx = _Context(list(modules), dict(sources or {}), DiagnosticCollector(max_diagnostics))
    ctx.governing = GoverningText(source_text) if source_text is not None else None
    program = None
    for _name, stage in STAGES:
        result = stage(ctx)
        if isinstance(result, Program):
            program = result
    if ctx.diagnostics.errors:
        program = None
    return CheckResult(program, ctx.diagnostics.diagnostics())


def _expect_modules(modules: object, sources: object) -> None:
    expect(modules, (list, tuple), "the modules")
    for module in modules:  # type: ignore[attr-defined]
        expect(module, Module, "each module")
    if sources is not None:
        expect(sources, Mapping, "the sources")


def check(modules: Sequence[Module], sources: Mapping[str, Source] | None = None,
          max_diagnostics: int | None = None, source_text: str | None = None) -> CheckResult:
    """Like :func:`analyse`, but raise :class:`PolicyCheckError` when there are errors."""
    result = analyse(modules, sources, max_diagnostics, source_text)
    if result.program is None:
        raise PolicyCheckError(result.diagnostics)
    return result


def check_query(query: Query, program: Program, source: Source | None = None) -> Query:
    """Check an ad-hoc query against a program: declared predicates, arities, safety."""
    ctx = _Context([], {source.path: source} if source else {})
    ctx.declarations = dict(program.declarations)
    for lit in query.body:
        atom = literal_atom(lit)
        if atom is not None:
            _check_atom(ctx, atom)
    if not ctx.diagnostics.errors:
        _check_safety(ctx, None, query.body, query.span)
    if ctx.diagnostics.errors:
        diags = ctx.diagnostics.diagnostics()
        raise QueryError(diags[0].headline(), diags)
    return query

