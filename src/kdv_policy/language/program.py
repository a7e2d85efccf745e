"""A checked program: what the checker hands to the engine.

:class:`Program` holds the declarations by predicate name, every clause of every
file in load order, and the strata: groups of predicates in the order the
engine must evaluate them. Each stratum is a strongly connected component of
the predicate dependency graph; a predicate only depends negatively on
predicates of earlier strata (the checker guarantees it).

Input relations (``.input``) are empty when the program is evaluated; a request fills
them. The predicates whose rows can change with a request — the input relations and every
predicate with a rule that reads one, directly or through other predicates, positively or
under ``not`` — are the program's :attr:`Program.request_dependent` predicates; the checker
guarantees they are not recursive, so a request is evaluated with one join per rule.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property

from kdv_policy.language.syntax import Atom, Clause, Declaration, Interpretation, Negation


@dataclass(frozen=True)
class Stratum:
    """Predicates evaluated together; ``recursive`` when a rule of it uses one of them."""

    predicates: tuple[str, ...]
    recursive: bool


@dataclass(frozen=True)
class Program:
    """Declarations, clauses and strata; ``interpretations`` are the declared interpretations by
    name (their clauses are among ``clauses`` until :meth:`adopting` leaves them out)."""

    declarations: dict[str, Declaration]
    clauses: tuple[Clause, ...]
    strata: tuple[Stratum, ...]
    interpretations: dict[str, Interpretation] = field(default_factory=dict)

    def adopting(self, adopted: Iterable[str]) -> Program:
        """The program the engine evaluates when the interpretations ``adopted`` are adopted: the
        clauses of every other interpretation are left out (the strata are computed anew)."""
        keep = frozenset(adopted)
        clauses = tuple(c for c in self.clauses if c.interpretation is None or c.interpretation in keep)
        if len(clauses) == len(self.clauses):
            return self
        strata, _violations = stratify(self.declarations, clauses)
        return Program(self.declarations, clauses, strata, self.interpretations)

    @property
    def facts(self) -> tuple[Clause, ...]:
        return tuple(c for c in self.clauses if c.is_fact)

    @property
    def rules(self) -> tuple[Clause, ...]:
        return tuple(c for c in self.clauses if not c.is_fact)

    def arity(self, predicate: str) -> int:
        return self.declarations[predicate].arity

    @cached_property
    def inputs(self) -> frozenset[str]:
        """The input relations: declared ``.input``, filled by a request."""
        return frozenset(p for p, d in self.declarations.items() if d.input)

    @cached_property
    def request_dependent(self) -> frozenset[str]:
        """The predicates a request can change: the input relations and every predicate that
        depends on one (:func:`depending_on`)."""
        return depending_on(self.inputs, self.clauses)

    @cached_property
    def request_strata(self) -> tuple[int, ...]:
        """The indices of the strata evaluated per request, in evaluation order: those with a
        request-dependent predicate that rules derive (input relations have no rules)."""
        return tuple(i for i, s in enumerate(self.strata)
                     if any(p in self.request_dependent and p not in self.inputs for p in s.predicates))


def dependency_edges(clauses: Iterable[Clause]) -> dict[str, set[tuple[str, bool]]]:
    """head predicate -> {(body predicate, negated)} over all rules."""
    edges: dict[str, set[tuple[str, bool]]] = {}
    for clause in clauses:
        deps = edges.setdefault(clause.head.predicate, set())
        for lit in clause.body:
            if isinstance(lit, Atom):
                deps.add((lit.predicate, False))
            elif isinstance(lit, Negation):
                deps.add((lit.atom.predicate, True))
    return edges


def depending_on(sources: Iterable[str], clauses: Iterable[Clause]) -> frozenset[str]:
    """``sources`` and every predicate with a rule whose body reads one of them, directly or
    through other predicates, positively or under ``not``."""
    readers: dict[str, set[str]] = {}  # body predicate -> the heads of the rules that read it
    for head, deps in dependency_edges(clauses).items():
        for dep, _negated in deps:
            readers.setdefault(dep, set()).add(head)
    found = set(sources)
    todo = list(found)
    while todo:
        for head in readers.get(todo.pop(), ()):
            if head not in found:
                found.add(head)
                todo.append(head)
    return frozenset(found)


def components(nodes: Iterable[str], edges: dict[str, set[tuple[str, bool]]]) -> list[list[str]]:
    """Strongly connected components, dependencies first (iterative Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    result: list[list[str]] = []
    counter = 0
    for root in sorted(set(nodes)):
        if root in index:
            continue
        work = [(root, iter(sorted({d for d, _ in edges.get(root, ())})))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            advanced = False
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted({d for d, _ in edges.get(child, ())}))))
                    advanced = True
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            if advanced:
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                comp = []
                while True:
                    top = stack.pop()
                    on_stack.discard(top)
                    comp.append(top)
                    if top == node:
                        break
                result.append(sorted(comp))
    return result


def stratify(
    predicates: Iterable[str], clauses: Iterable[Clause]
) -> tuple[tuple[Stratum, ...], list[tuple[str, str]]]:
    """Strata in evaluation order, and the (head, negated body) pairs that break stratification."""
    clauses = list(clauses)
    edges = dependency_edges(clauses)
    nodes = set(predicates) | set(edges)
    for deps in edges.values():
        nodes |= {d for d, _ in deps}
    strata = []
    violations = []
    for comp in components(nodes, edges):
        members = set(comp)
        recursive = any(d in members for p in comp for d, _ in edges.get(p, ()))
        for p in comp:
            for d, negated in sorted(edges.get(p, ())):
                if negated and d in members:
                    violations.append((p, d))
        strata.append(Stratum(tuple(comp), recursive))
    return tuple(strata), violations
