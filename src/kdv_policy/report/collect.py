"""What the report shows, gathered from a loaded policy: the text with what encodes and tests
it, the rules, the test results, the decision matrix, the governance and the changes.

Everything here is data for the templates (:mod:`kdv_policy.report.site` renders it), sorted,
so the same policy gives the same pages. The matrix is bounded: a group of rows (bodies, roles,
persons) is shown cell by cell, each cell with its explanation, while the cells of the groups so
far stay within ``max_matrix_cells``; a group beyond it is summarised — each actor with what it
may, on pages of ``page_size`` — since denial is the default and what an auditor checks is what
is allowed and why.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from kdv_policy.authoring.graph import governance, mermaid, mermaid_text
from kdv_policy.authoring.traceability import (
    SentenceTrace,
    TraceReport,
    clause_ref,
    reason_text,
    trace,
)
from kdv_policy.data.facts import Forms
from kdv_policy.errors import PolicyError
from kdv_policy.files import display_path
from kdv_policy.language.printer import format_clause, format_value
from kdv_policy.language.quotes import SOURCE_TEXT
from kdv_policy.language.syntax import Value
from kdv_policy.limits import Limits
from kdv_policy.policy.api import Policy
from kdv_policy.policy.diff import PolicyDiff
from kdv_policy.policy.results import Decision, Entity, Explanation, Interpretation
from kdv_policy.policy.wording import N_, Named, say

MAX_MATRIX_CELLS = 20_000
"""Cells shown one by one, each with its explanation (bodies first, then roles, then persons)."""

PAGE_SIZE = 500
"""Actors a page of a summarised group lists."""

MAX_DECISIONS_PER_SENTENCE = 30
"""Decisions listed under a sentence (then ``and N more``)."""

MAX_TRACED_DECISIONS = 5_000
"""Decisions whose proofs are read to find the sentences they rest on."""

MAX_GRAPH_EDGES = 400
"""Edges the governance picture draws (Mermaid's own bound is 500); a larger one is only tabled."""

KINDS = ("body", "role", "person")
DECISION_RELATIONS = ("may", "member", "chair", "consumer", "serves", "responsible")


@dataclass
class RuleView:
    anchor: str
    id: str | None
    predicate: str
    text: str
    location: str | None
    basis: str
    interpretation: str | None
    sentences: list[int] = field(default_factory=list)
    exercised: bool | None = None


@dataclass
class TestView:
    anchor: str
    file: str
    line: int
    name: str
    question: str
    passed: bool
    expected: str
    actual: str
    explanation: str
    sentences: list[int] = field(default_factory=list)


@dataclass
class DecisionRef:
    label: str
    href: str | None


@dataclass
class SentenceView:
    trace: SentenceTrace
    reason: str | None
    rules: list[tuple[str, RuleView | None]]  # (quote, rule)
    interpretations: list[Interpretation]
    decisions: list[DecisionRef]
    more_decisions: int
    tests: list[tuple[str, TestView | None]]  # (name, test)


@dataclass
class Cell:
    state: str  # allow, deny, interpretation, undetermined
    href: str
    title: str


@dataclass
class Row:
    index: int
    actor: Entity
    bodies: list[int]
    cells: list[Cell]
    page: str

    @property
    def any_allowed(self) -> bool:
        return any(c.state in ("allow", "interpretation") for c in self.cells)


@dataclass
class ExplainedCell:
    anchor: str
    column: str
    state: str
    explanation: Explanation


@dataclass
class ActorPage:
    """The explanations of one row of the matrix."""

    file: str
    actor: Entity
    cells: list[ExplainedCell]


@dataclass
class Summary:
    """One actor of a summarised group: what it may, each with its explanation."""

    actor: Entity
    allowed: list[ExplainedCell]


@dataclass
class Group:
    kind: str
    count: int
    shown: bool
    rows: list[Row] = field(default_factory=list)
    pages: list[tuple[str, list[Summary]]] = field(default_factory=list)  # (file, actors)


@dataclass
class Matrix:
    columns: list[tuple[Entity, Entity, str]]  # action, object, label
    bodies: list[Entity]
    groups: list[Group]
    actor_pages: list[ActorPage]
    bound: int
    page_size: int

    @property
    def rows(self) -> int:
        return sum(len(g.rows) for g in self.groups)


@dataclass
class GovernanceView:
    structure: str | None  # Mermaid text, None when too large
    decisions: str | None
    nodes: int
    edges: int
    bodies: list[tuple[Entity, list[Entity], list[Entity], list[str]]]  # body, chair, members, may
    delegations: list[str]
    serves: list[tuple[Entity, list[Entity]]]


@dataclass
class Provenance:
    version: str
    directory: str
    people: str | None
    date: str
    tool: str
    language: str
    adopted: list[Interpretation]
    declared: list[Interpretation]
    against: str | None


@dataclass
class Coverage:
    sentences: int
    encoded: int
    explained: int
    untraced: int
    rules_total: int
    rules_covered: int
    tests_total: int
    tests_passed: int


@dataclass
class ReportData:
    provenance: Provenance
    coverage: Coverage
    has_text: bool
    sentences: list[SentenceView]
    rules: list[RuleView]
    tests: list[TestView]
    matrix: Matrix
    governance: GovernanceView
    changes: PolicyDiff | None
    citations: dict[str, int]  # cited sentence -> its number


def column_label(action: Entity, obj: Entity, lang: str) -> str:
    """``Strategie genehmigen`` in German, ``approve Strategie`` in English."""
    return f"{obj.name} {action.name}" if lang == "de" else f"{action.id} {obj.name}"


def _sorted(entities: Iterable[Entity]) -> list[Entity]:
    return sorted(entities, key=lambda e: (e.name.casefold(), e.id))


def _rule_anchor(clause_id: str | None, index: int) -> str:
    return f"rule-{clause_id}" if clause_id else f"clause-{index}"


# -- the text, rules and tests ------------------------------------------------------------------------


def _rules(policy: Policy) -> tuple[list[RuleView], dict[str, RuleView]]:
    views: list[RuleView] = []
    by_id: dict[str, RuleView] = {}
    for index, clause in enumerate(policy.program.clauses):
        ref = clause_ref(clause)
        anchor = _rule_anchor(clause.id, index)
        if clause.id and clause.id in by_id:
            anchor = f"clause-{index}"
        bare = dataclasses.replace(clause, annotations=(), doc=None)
        view = RuleView(anchor=anchor, id=clause.id, predicate=ref.predicate,
                        text=format_clause(bare).strip(), location=ref.location, basis=ref.basis,
                        interpretation=ref.interpretation)
        views.append(view)
        if clause.id and clause.id not in by_id:
            by_id[clause.id] = view
    return views, by_id


def _tests(root: Path, lang: str, limits: Limits,
           interpretations: Sequence[str]) -> tuple[list[TestView], int, set[str]] | None:
    """The policy tests run now: views, the number of rules with an id, the ids exercised."""
    from kdv_policy.authoring.policytests import find_test_files, run_tests

    if not find_test_files(root):
        return None
    report = run_tests(root, limits=limits, interpretations=interpretations, lang=lang)
    views = [TestView(anchor=f"test-{i + 1}", file=r.file, line=r.line, name=r.name, question=r.question,
                      passed=r.passed, expected=r.expected, actual=r.actual, explanation=r.explanation)
             for i, r in enumerate(report.results)]
    return views, report.rules_total, set(report.covered_rules)


# -- the matrix ---------------------------------------------------------------------------------------


def _state(decision: Decision) -> str:
    if decision.status == "undetermined":
        return "undetermined"
    if decision.allowed:
        return "interpretation" if decision.interpretations else "allow"
    return "deny"


def _columns(policy: Policy) -> list[tuple[Entity, Entity, str]]:
    pairs: set[tuple[Value, Value]] = set()
    for relation in ("may", "competence"):
        for row in policy.model.get(relation, ()):
            if len(row) == 3:
                pairs.add((row[1], row[2]))
    columns = [(policy.entity(a, "action"), policy.entity(o, "object")) for a, o in pairs]
    labelled = [(a, o, column_label(a, o, policy.language)) for a, o in columns]
    return sorted(labelled, key=lambda c: (c[2].casefold(), c[0].id, c[1].id))


def _body_links(policy: Policy, bodies: list[Entity]) -> dict[str, list[int]]:
    """actor id -> the indexes of the bodies it belongs to (itself, as member or chair, through a role)."""
    index = {b.id: i for i, b in enumerate(bodies)}
    links: dict[str, set[int]] = {b.id: {i} for b, i in zip(bodies, range(len(bodies)), strict=True)}
    for relation in ("member", "chair"):
        for row in policy.model.get(relation, ()):
            if len(row) == 2 and str(row[0]) in index:
                links.setdefault(str(row[1]), set()).add(index[str(row[0])])
    for row in policy.model.get("holds_role", ()):
        if len(row) == 2:
            links.setdefault(str(row[0]), set()).update(links.get(str(row[1]), ()))
    return {k: sorted(v) for k, v in links.items()}


def _matrix(policy: Policy, max_cells: int, page_size: int) -> Matrix:
    columns = _columns(policy)
    bodies = _sorted(policy.names.entities("body"))
    links = _body_links(policy, bodies)
    groups: list[Group] = []
    pages: list[ActorPage] = []
    used = 0
    allowed: dict[str, list[tuple[Value, Value]]] = {}
    for fact in policy.model.get("may", ()):
        if len(fact) == 3:
            allowed.setdefault(str(fact[0]), []).append((fact[1], fact[2]))
    label_of = {(a.id, o.id): label for a, o, label in columns}
    for kind in KINDS:
        actors = _sorted(policy.names.entities(kind))
        if not actors:
            continue
        cells_needed = len(actors) * len(columns)
        group = Group(kind=kind, count=len(actors), shown=used + cells_needed <= max_cells)
        groups.append(group)
        if group.shown:
            used += cells_needed
            for actor in actors:
                number = sum(len(g.rows) for g in groups)
                file = f"explain/a{number}.html"
                page = ActorPage(file=file, actor=actor, cells=[])
                line = Row(index=number, actor=actor, bodies=links.get(actor.id, []), cells=[], page=file)
                for j, (action, obj, label) in enumerate(columns):
                    decision = policy.may(actor.id, action.id, obj.id)
                    state = _state(decision)
                    line.cells.append(Cell(state, f"{file}#c{j}", label))
                    page.cells.append(ExplainedCell(f"c{j}", label, state, decision.explanation))
                group.rows.append(line)
                pages.append(page)
            continue
        listed: list[Summary] = []
        for actor in actors:
            items = []
            pairs = sorted(allowed.get(actor.id, ()), key=lambda p: (str(p[0]), str(p[1])))
            for k, (a, o) in enumerate(pairs):
                decision = policy.may(actor.id, str(a), str(o))
                label = label_of.get((str(a), str(o)), f"{a} {o}")
                items.append(ExplainedCell(f"a{len(listed)}-{k}", label, _state(decision),
                                           decision.explanation))
            listed.append(Summary(actor, items))
        for start in range(0, len(listed), page_size):
            file = f"actors/{kind}-{start // page_size + 1}.html"
            group.pages.append((file, listed[start:start + page_size]))
    return Matrix(columns=columns, bodies=bodies, groups=groups, actor_pages=pages, bound=max_cells,
                  page_size=page_size)


# -- the governance -------------------------------------------------------------------------------------


def _governance(policy: Policy, columns: list[tuple[Entity, Entity, str]]) -> GovernanceView:
    graph = governance(policy, policy.language)
    nodes = len(graph.nodes) + sum(len(c.nodes) for c in graph.clusters)
    structure = mermaid(policy, policy.language) if len(graph.edges) <= MAX_GRAPH_EDGES else None
    bodies = _sorted(policy.names.entities("body"))
    body_ids = {b.id for b in bodies}
    label_of = {(a.id, o.id): label for a, o, label in columns}
    may_of: dict[str, list[str]] = {}
    decides: list[tuple[str, str, str]] = []
    for actor, action, obj in sorted(policy.model.get("may", ()), key=lambda r: tuple(map(str, r))):
        if str(actor) in body_ids:
            label = label_of.get((str(action), str(obj)), f"{action} {obj}")
            may_of.setdefault(str(actor), []).append(label)
            decides.append((str(actor), str(obj), str(action)))
    decisions: str | None = None
    if decides and len(decides) <= MAX_GRAPH_EDGES:
        lines = ["flowchart LR"]
        objects = sorted({o for _, o, _ in decides})
        actors = sorted({a for a, _, _ in decides})
        ids = {a: f"b{i}" for i, a in enumerate(actors)} | {o: f"o{i}" for i, o in enumerate(objects)}
        lines += [f'  {ids[a]}(["{mermaid_text(policy.entity(a, "body").name)}"])' for a in actors]
        lines += [f'  {ids[o]}["{mermaid_text(policy.entity(o, "object").name)}"]' for o in objects]
        for a, o, action in decides:
            verb = policy.entity(action, "action")
            word = verb.name if policy.language == "de" else verb.id
            lines.append(f'  {ids[a]} -->|"{mermaid_text(word)}"| {ids[o]}')
        lines.append("  classDef body fill:#fde9c8,stroke:#b86e00,color:#000")
        lines.append(f"  class {','.join(ids[a] for a in actors)} body")
        decisions = "\n".join(lines) + "\n"
    table = []
    for body in bodies:
        chair = list(policy.chair(body.id)) if "chair" in policy.program.declarations else []
        members = list(policy.members(body.id)) if "member" in policy.program.declarations else []
        table.append((body, chair, members, may_of.get(body.id, [])))
    delegations = []
    if "delegates" in policy.program.declarations:
        delegations = sorted(d.name for d in policy.delegations())
    served: dict[str, list[Entity]] = {}
    for provider, unit in policy.model.get("serves", ()):
        served.setdefault(str(provider), []).append(policy.entity(unit, "unit"))
    serves = [(policy.entity(p, "body"), _sorted(units)) for p, units in sorted(served.items())]
    return GovernanceView(structure=structure, decisions=decisions, nodes=nodes, edges=len(graph.edges),
                          bodies=table, delegations=delegations, serves=serves)


# -- the whole report -----------------------------------------------------------------------------------


def _decisions_by_rule(policy: Policy, limit: int) -> dict[str, list[tuple[str, str]]]:
    """rule id -> (label, atom) of the decisions whose proofs use it (bodies' and roles' decisions)."""
    found: dict[str, list[tuple[str, str]]] = {}
    budget = limit
    persons = {e.id for e in policy.names.entities("person")}
    forms = name_forms(policy)
    for relation in DECISION_RELATIONS:
        if relation not in policy.program.declarations:
            continue
        for row in sorted(policy.model.get(relation, ()), key=lambda r: tuple(map(str, r))):
            if budget <= 0:
                return found
            if relation == "may" and str(row[0]) in persons:
                continue
            budget -= 1
            atom = f"{relation}({', '.join(format_value(v) for v in row)})"
            label = _decision_label(policy, relation, row, forms)
            for rule_id in policy.explain(atom).rule_ids:
                found.setdefault(rule_id, []).append((label, atom))
    return found


_SENTENCES: dict[str, tuple[str, tuple[str, ...]]] = {
    # relation: (the sentence that states a decision, its placeholders in the order of the row)
    "member": (N_("{actor} is a member of {body}."), ("body", "actor")),
    "chair": (N_("{actor} chairs {body}."), ("body", "actor")),
    "serves": (N_("{actor} serves {unit}."), ("actor", "unit")),
    "consumer": (N_("{unit} is a consumer of the services"), ("unit",)),
}
"""The decisions a sentence lists, as the answers say them (the others as their atom, with names)."""


def _decision_label(policy: Policy, relation: str, row: tuple[Value, ...],
                    forms: dict[str, Forms] | None = None) -> str:
    names = [policy.entity(v).name for v in row]
    if relation == "may" and len(row) == 3:
        action, obj = policy.entity(row[1], "action"), policy.entity(row[2], "object")
        return f"{names[0]}: {column_label(action, obj, policy.language)}"
    sentence = _SENTENCES.get(relation)
    if sentence is not None and len(sentence[1]) == len(row):
        message, places = sentence
        values = {place: Named(name, (forms or {}).get(str(v)))
                  for place, name, v in zip(places, names, row, strict=True)}
        return say(policy.language, message, **values).rstrip(".")
    return f"{relation}({', '.join(names)})"


def name_forms(policy: Policy) -> dict[str, Forms]:
    """The German forms (article and cases) of the names of the policy's organisation directory."""
    from kdv_policy.data import load_data

    try:
        data = load_data(policy.directory)
    except PolicyError:  # pragma: no cover - the policy loaded, so its data file did
        return {}
    return {e.id: e.forms for e in data.names if e.forms is not None} if data is not None else {}


def collect(policy: Policy, *, root: Path, people: Path | None, date: str, tool: str, limits: Limits,
            changes: PolicyDiff | None = None, against: str | None = None,
            max_matrix_cells: int = MAX_MATRIX_CELLS, page_size: int = PAGE_SIZE) -> ReportData:
    """Everything the pages show, from ``policy`` loaded from ``root``."""
    lang = policy.language
    rules, rule_by_id = _rules(policy)
    ran = _tests(root, lang, limits, policy.adopted)  # with the people files the tests name
    tests, rules_total, covered = ran if ran is not None else ([], sum(1 for r in rules if r.id), set())
    test_at = {(t.file, t.line): t for t in tests}
    for view in rules:
        view.exercised = (view.id in covered) if (ran is not None and view.id) else None

    has_text = os.path.lexists(root / SOURCE_TEXT)
    report: TraceReport | None = trace(root, limits=limits) if has_text else None
    interpretations = {i.id: i for i in policy.interpretations}
    matrix = _matrix(policy, max_matrix_cells, page_size)
    decisions = _decisions_by_rule(policy, MAX_TRACED_DECISIONS) if report is not None else {}
    cell_href = {f"{r.actor.name}: {c.title}": c.href for g in matrix.groups for r in g.rows for c in r.cells}

    views: list[SentenceView] = []
    citations: dict[str, int] = {}
    for row in report.sentences if report is not None else []:
        for ref in row.clauses:
            citations.setdefault(ref.quote, row.number)
        refs = [(c.id or c.predicate, rule_by_id.get(c.id) if c.id else None) for c in row.clauses]
        for _name, rule in refs:
            if rule is not None and row.number not in rule.sentences:
                rule.sentences.append(row.number)
        used = sorted({c.interpretation for c in row.clauses if c.interpretation})
        produced: dict[str, DecisionRef] = {}
        for ref in row.clauses:
            for label, atom in decisions.get(ref.id or "", ()):
                href = cell_href.get(label) if atom.startswith("may(") else None
                produced.setdefault(atom, DecisionRef(label, href))
        ordered = sorted(produced.values(), key=lambda d: d.label.casefold())
        cases = [(t.name, test_at.get((t.file, t.line))) for t in row.tests]
        for _name, test in cases:
            if test is not None and row.number not in test.sentences:
                test.sentences.append(row.number)
        views.append(SentenceView(
            trace=row, reason=reason_text(row.reason, lang) if row.reason else None, rules=refs,
            interpretations=[interpretations[i] for i in used if i in interpretations],
            decisions=ordered[:MAX_DECISIONS_PER_SENTENCE],
            more_decisions=max(0, len(ordered) - MAX_DECISIONS_PER_SENTENCE), tests=cases))
    coverage = Coverage(
        sentences=len(views), encoded=report.encoded if report else 0,
        explained=report.explained if report else 0, untraced=report.untraced if report else 0,
        rules_total=rules_total, rules_covered=len(covered),
        tests_total=len(tests), tests_passed=sum(t.passed for t in tests))
    provenance = Provenance(
        version=policy.version, directory=display_path(root), people=display_path(people) if people else None,
        date=date, tool=tool, language=lang,
        adopted=[i for i in policy.interpretations if i.adopted],
        declared=[i for i in policy.interpretations if not i.adopted], against=against)
    return ReportData(provenance=provenance, coverage=coverage, has_text=has_text, sentences=views,
                      rules=rules, tests=tests, matrix=matrix, governance=_governance(policy, matrix.columns),
                      changes=changes, citations=citations)
