"""The governance as a picture: Mermaid (``flowchart LR``) for Markdown pages, DOT for Graphviz.

Drawn from a policy's computed model, so it shows what the rules derive, not a hand-kept
list: the bodies (``body/1``), the roles that sit in them (``member/2``; the chair, from
``chair/2``, by a thick edge instead), the partner organisations (``partner/2``), the
delegations (``delegates/4``) and whom each service provider serves (``serves/2``). The
units a provider serves are grouped by their kind (``unit_kind/2``), one box per kind, and
a provider that serves every unit of a box gets one edge to the box, so the picture stays
readable. Nodes are labelled with the official names; the edges' words are in the language
asked for (by default the policy's), through the catalog of :mod:`kdv_policy.policy.wording`,
a delegation naming its object in the case the sentence needs ("delegiert: die Strategie ...
umsetzen"). The output is sorted, so it is the same on every run. A predicate the policy does
not declare is simply left out.

>>> from kdv_policy import Policy
>>> print(mermaid(Policy.load()).splitlines()[0])
flowchart LR
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from kdv_policy.data import DataSet, load_data
from kdv_policy.data.facts import Forms
from kdv_policy.errors import PolicyError
from kdv_policy.language.syntax import Value
from kdv_policy.policy.api import Policy
from kdv_policy.policy.results import Entity
from kdv_policy.policy.wording import N_, Named, check_language, phrase, say

_KIND_ORDER = ("body", "role", "person", "unit", "constant")


@dataclass(frozen=True)
class Node:
    id: str  # the identifier in the graph text
    label: str
    kind: str  # body, role, person, unit or constant


@dataclass(frozen=True)
class Cluster:
    id: str
    label: str
    nodes: tuple[Node, ...]


@dataclass(frozen=True)
class Edge:
    source: str  # a node id, or a cluster id (``to_cluster``)
    target: str
    label: str = ""
    style: str = "member"  # member, chair, partner, delegates, serves
    to_cluster: bool = False


@dataclass
class Governance:
    """The graph, independent of the output format."""

    nodes: list[Node] = field(default_factory=list)
    clusters: list[Cluster] = field(default_factory=list)
    edges: list[Edge] = field(default_factory=list)


_LABELS = {"chair": N_("chair"), "partner": N_("partner"), "serves": N_("serves")}
"""The words of the edges that carry one, by style (message ids of the catalog)."""

_DELEGATES = N_("delegates: {action} {object}")
_OTHER_UNITS = N_("other units")


def governance(policy: Policy, lang: str | None = None) -> Governance:
    """The graph of a policy: nodes, clusters of served units by kind, and edges, all sorted;
    the edges' words in ``lang`` (``de`` or ``en``; by default the policy's language)."""
    lang = check_language(lang) if lang is not None else policy.language
    model = policy.model
    rows = lambda predicate: sorted(model.get(predicate, ()), key=lambda r: tuple(map(str, r)))  # noqa: E731
    ids = _Ids()

    def entity(value: Value, kinds: Iterable[str] | None = None) -> Entity | None:
        found = None
        if isinstance(value, str):
            found = policy.names.by_id(value, tuple(kinds) if kinds else None) or policy.names.by_id(value)
        return found

    def kind_of(value: Value, preferred: str) -> str:
        e = entity(value, (preferred,))
        return e.kind if e is not None else "constant"

    def name_of(value: Value, kinds: Iterable[str] | None = None) -> str:
        e = entity(value, kinds)
        return e.name if e is not None else str(value)

    wanted: dict[Value, str] = {}  # value -> kind, for the top-level nodes

    def want(value: Value, kind: str) -> None:
        if value not in wanted or _KIND_ORDER.index(kind) < _KIND_ORDER.index(wanted[value]):
            wanted[value] = kind

    for (b,) in rows("body"):
        want(b, "body")
    chairs = set(rows("chair"))
    for b, r in rows("chair"):
        want(b, "body")
        want(r, kind_of(r, "role"))
    partners = set(rows("partner"))  # drawn as partners, not again as members
    members = [(b, r) for b, r in rows("member") if (b, r) not in chairs and (b, r) not in partners]
    for b, r in members:
        want(b, "body")
        want(r, kind_of(r, "role"))
    for b, u in rows("partner"):
        want(b, "body")
        want(u, kind_of(u, "unit"))
    delegations = [r for r in rows("delegates") if len(r) == 4]
    for d, t, _a, _o in delegations:
        want(d, kind_of(d, "body"))
        want(t, kind_of(t, "body"))
    serves = rows("serves")
    for p, _u in serves:
        want(p, kind_of(p, "body"))

    # served units not drawn otherwise go into one box per unit kind
    unit_kind = {u: k for u, k in rows("unit_kind")}
    boxes: dict[str, list[Value]] = {}
    for _p, u in serves:
        if u in wanted:
            continue
        kind = str(unit_kind.get(u, ""))
        if u not in boxes.setdefault(kind, []):
            boxes[kind].append(u)
    data = _data(policy)
    kind_names = _unit_kind_names(data)
    forms = _forms(data)

    g = Governance()
    for value in sorted(wanted, key=lambda v: (_KIND_ORDER.index(wanted[v]), str(v))):
        kind = wanted[value]
        g.nodes.append(Node(ids.node(value), name_of(value, (kind,)), kind))
    box_of: dict[Value, str] = {}
    for kind in sorted(boxes):
        cluster_id = ids.cluster(kind or "other")
        units = sorted(boxes[kind], key=str)
        nodes = tuple(Node(ids.node(u), name_of(u, ("unit",)), "unit") for u in units)
        g.clusters.append(Cluster(cluster_id, kind_names.get(kind) or kind or phrase(lang, _OTHER_UNITS),
                                  nodes))
        for u in units:
            box_of[u] = cluster_id

    edges: list[Edge] = []
    word = {style: phrase(lang, message) for style, message in _LABELS.items()}
    for b, r in rows("chair"):
        edges.append(Edge(ids.node(r), ids.node(b), word["chair"], "chair"))
    for b, r in members:
        edges.append(Edge(ids.node(r), ids.node(b), "", "member"))
    for b, u in rows("partner"):
        edges.append(Edge(ids.node(u), ids.node(b), word["partner"], "partner"))
    for d, t, a, o in delegations:
        action = entity(a, ("action", "constant"))
        verb = name_of(a, ("action", "constant"))
        if action is not None and action.kind == "action" and lang == "en":
            verb = action.id  # an action's id is its English verb, its name the German one
        thing = entity(o, ("object", "constant"))
        obj = Named(thing.name, forms.get(thing.id)) if thing is not None else Named(str(o))
        edges.append(Edge(ids.node(d), ids.node(t), say(lang, _DELEGATES, action=verb, object=obj),
                          "delegates"))
    served: dict[Value, set[Value]] = {}
    for p, u in serves:
        served.setdefault(p, set()).add(u)
    for p in sorted(served, key=str):
        for cluster in g.clusters:
            boxed = {u for u, c in box_of.items() if c == cluster.id}
            if boxed <= served[p]:
                edges.append(Edge(ids.node(p), cluster.id, word["serves"], "serves", to_cluster=True))
                served[p] -= boxed
        for u in sorted(served[p], key=str):
            edges.append(Edge(ids.node(p), ids.node(u), word["serves"], "serves"))
    order = {"chair": 0, "member": 1, "partner": 2, "delegates": 3, "serves": 4}
    g.edges = sorted(edges, key=lambda e: (order[e.style], e.target, e.source, e.label))
    return g


def _data(policy: Policy) -> DataSet | None:
    """The policy's organisation directory (organisation.toml), when it has one."""
    try:
        return load_data(policy.directory)
    except PolicyError:  # pragma: no cover - the policy loaded, so its data file did
        return None


def _unit_kind_names(data: DataSet | None) -> dict[str, str]:
    """The names of the unit kinds (``[[unit_kinds]]`` of organisation.toml), when there is one."""
    kinds = getattr(data.directory, "unit_kinds", ()) if data is not None else ()
    return {k.id: k.name for k in kinds}


def _forms(data: DataSet | None) -> dict[str, Forms]:
    """The German forms of the directory's names (article and cases), by id."""
    return {e.id: e.forms for e in data.names if e.forms is not None} if data is not None else {}


class _Ids:
    """Graph identifiers: ``n_`` + the constant for nodes, ``k_`` + the kind for clusters; unique."""

    def __init__(self) -> None:
        self._given: dict[tuple[str, object], str] = {}
        self._used: set[str] = set()

    def _make(self, prefix: str, value: object) -> str:
        key = (prefix, value)
        if key not in self._given:
            base = prefix + re.sub(r"[^A-Za-z0-9_]", "_", str(value))
            ident, n = base, 1
            while ident in self._used:
                n += 1
                ident = f"{base}_{n}"
            self._used.add(ident)
            self._given[key] = ident
        return self._given[key]

    def node(self, value: object) -> str:
        return self._make("n_", value)

    def cluster(self, kind: str) -> str:
        return self._make("k_", kind)


# -- Mermaid --------------------------------------------------------------------------------------

_MERMAID_SHAPE = {"body": '(["{}"])', "role": '["{}"]', "person": '(("{}"))', "unit": '("{}")',
                  "constant": '["{}"]'}
_MERMAID_ARROW = {"chair": "==>", "member": "-->", "partner": "-.-", "delegates": "-.->", "serves": "-->"}
_MERMAID_CLASSES = {
    "body": "fill:#fde9c8,stroke:#b86e00,color:#000",
    "role": "fill:#e3edf9,stroke:#2f5f98,color:#000",
    "person": "fill:#eef7e6,stroke:#4b7f2a,color:#000",
    "unit": "fill:#f2f2f2,stroke:#666,color:#000",
}


def mermaid_text(text: str) -> str:
    """Text for a quoted Mermaid label: quotes and angle brackets as entity codes."""
    return text.replace("#", "#35;").replace('"', "#quot;").replace("<", "#lt;").replace(">", "#gt;")


def mermaid(policy: Policy, lang: str | None = None) -> str:
    """The governance as a Mermaid ``flowchart LR``, sorted, ending in a newline; its words in
    ``lang`` (by default the policy's language)."""
    g = governance(policy, lang)
    lines = ["flowchart LR"]
    for node in g.nodes:
        lines.append(f"  {node.id}{_MERMAID_SHAPE[node.kind].format(mermaid_text(node.label))}")
    for cluster in g.clusters:
        lines.append(f'  subgraph {cluster.id}["{mermaid_text(cluster.label)}"]')
        for node in cluster.nodes:
            lines.append(f"    {node.id}{_MERMAID_SHAPE[node.kind].format(mermaid_text(node.label))}")
        lines.append("  end")
    for e in g.edges:
        label = f'|"{mermaid_text(e.label)}"|' if e.label else ""
        lines.append(f"  {e.source} {_MERMAID_ARROW[e.style]}{label} {e.target}")
    by_kind: dict[str, list[str]] = {}
    for node in [*g.nodes, *(n for c in g.clusters for n in c.nodes)]:
        by_kind.setdefault(node.kind, []).append(node.id)
    for kind, style in _MERMAID_CLASSES.items():
        if by_kind.get(kind):
            lines.append(f"  classDef {kind} {style}")
            lines.append(f"  class {','.join(sorted(by_kind[kind]))} {kind}")
    return "\n".join(lines) + "\n"


# -- DOT ------------------------------------------------------------------------------------------

_DOT_NODE = {
    "body": 'shape=box, style="rounded,filled", fillcolor="#fde9c8", color="#b86e00"',
    "role": 'shape=box, style=filled, fillcolor="#e3edf9", color="#2f5f98"',
    "person": 'shape=ellipse, style=filled, fillcolor="#eef7e6", color="#4b7f2a"',
    "unit": 'shape=box, style="rounded,filled", fillcolor="#f2f2f2", color="#666666"',
    "constant": "shape=box",
}
_DOT_EDGE = {"chair": "penwidth=2.5", "member": "", "partner": "style=dashed, dir=none",
             "delegates": "style=dashed", "serves": 'color="#666666"'}


def dot_text(text: str) -> str:
    """Text for a quoted DOT string: backslashes and quotes escaped, newlines as ``\\n``."""
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def dot(policy: Policy, lang: str | None = None) -> str:
    """The governance as a Graphviz ``digraph``, sorted, ending in a newline; its words in
    ``lang`` (by default the policy's language)."""
    g = governance(policy, lang)
    lines = [
        "digraph governance {",
        '  graph [rankdir=LR, compound=true, fontname="Helvetica"];',
        '  node [fontname="Helvetica"];',
        '  edge [fontname="Helvetica", fontsize=10];',
    ]
    for node in g.nodes:
        lines.append(f'  {node.id} [label="{dot_text(node.label)}", {_DOT_NODE[node.kind]}];')
    first: dict[str, str] = {}
    for cluster in g.clusters:
        lines.append(f"  subgraph cluster_{cluster.id} {{")
        lines.append(f'    label="{dot_text(cluster.label)}";')
        lines.append('    style=dashed; color="#999999";')
        for node in cluster.nodes:
            lines.append(f'    {node.id} [label="{dot_text(node.label)}", {_DOT_NODE[node.kind]}];')
        lines.append("  }")
        first[cluster.id] = cluster.nodes[0].id
    for e in g.edges:
        attrs = [a for a in (_DOT_EDGE[e.style],) if a]
        if e.label:
            attrs.insert(0, f'label="{dot_text(e.label)}"')
        target = e.target
        if e.to_cluster:
            target = first[e.target]
            attrs.append(f"lhead=cluster_{e.target}")
        lines.append(f"  {e.source} -> {target}" + (f" [{', '.join(attrs)}]" if attrs else "") + ";")
    lines.append("}")
    return "\n".join(lines) + "\n"


# -- the picture in docs/governance.md ------------------------------------------------------------

BEGIN = "<!-- graph:begin -->"
END = "<!-- graph:end -->"
REFRESH = "python -m pytest tests/test_graph.py --update-golden"
DOC_LANGUAGE = "en"
"""The language of docs/governance.md, whose picture is ``graph --lang en``."""


def embed(document: str, graph: str) -> str:
    """``document`` with the text between the graph markers replaced by ``graph`` in a mermaid block."""
    start, end = document.find(BEGIN), document.find(END)
    if start < 0 or end < start:
        raise ValueError(f"the document has no `{BEGIN}` ... `{END}` markers")
    block = f"{BEGIN}\n```mermaid\n{graph}```\n{END}"
    return document[:start] + block + document[end + len(END):]
