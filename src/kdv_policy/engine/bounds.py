"""Work estimates from per-column fan-out statistics, for ad-hoc queries and rule bodies.

pyDatalog cannot be interrupted once it runs (not even by a signal), so the rows a join can
build are bounded before it runs: the positive atoms are ordered greedily by their fan-out on
the columns already bound, and each atom multiplies the partial rows by at most its largest
number of rows agreeing on those columns. The statistics are those of the relations as they
are at that moment (a relation being derived grows between the rounds of a fixpoint).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Collection, Iterable, Sequence
from operator import itemgetter

from kdv_policy.engine.compile import Args, Var


class Statistics:
    """Fan-outs of the relations, computed on demand and cached until a relation changes.

    ``rows_of`` gives a relation's rows as they are now. The relations of a recursive stratum
    grow round by round (:meth:`growing`): for them the counts behind each fan-out are kept
    and brought up to date with the rows each round adds (:meth:`grew`), instead of being
    counted again over the whole relation.
    """

    def __init__(self, rows_of: Callable[[str], Collection[tuple]]) -> None:
        self._rows_of = rows_of
        self._fanouts: dict[str, dict[tuple[int, ...], int]] = {}  # predicate -> columns -> fan-out
        self._counts: dict[str, dict[tuple[int, ...], Counter[object]]] = {}  # of the growing ones
        self._growing: frozenset[str] = frozenset()

    def growing(self, predicates: Iterable[str]) -> None:
        """Keep the counts of ``predicates`` from now on (``()``: of none; the others are dropped)."""
        self._growing = frozenset(predicates)
        for p in [p for p in self._counts if p not in self._growing]:
            del self._counts[p]

    def changed(self, predicate: str) -> None:
        """Forget a relation's statistics: its rows changed."""
        self._fanouts.pop(predicate, None)
        self._counts.pop(predicate, None)

    def grew(self, predicate: str, rows: Collection[tuple]) -> None:
        """``rows``, none of which the relation held, were added to it."""
        counts = self._counts.get(predicate)
        cached = self._fanouts.get(predicate)
        if counts is None or cached is None:
            self.changed(predicate)
            return
        for columns in [c for c in cached if c not in counts]:  # its size, fan-outs of no rows
            del cached[columns]
        for columns, counter in counts.items():
            keys = list(map(itemgetter(*columns), rows))
            counter.update(keys)
            cached[columns] = max(cached[columns], max(map(counter.__getitem__, keys), default=0))

    def fanout(self, predicate: str, columns: tuple[int, ...]) -> int:
        """The largest number of rows of a relation that agree on ``columns`` (its size for none)."""
        cached = self._fanouts.setdefault(predicate, {})
        found = cached.get(columns)
        if found is None:
            rows = self._rows_of(predicate)
            if not columns or not rows:
                found = len(rows)
            else:
                counter = Counter(map(itemgetter(*columns), rows))
                found = max(counter.values())
                if predicate in self._growing:
                    self._counts.setdefault(predicate, {})[columns] = counter
            cached[columns] = found
        return found

    def plan(
        self, positives: Sequence[tuple[str, Args]], bound_vars: Collection[Var] = ()
    ) -> tuple[list[tuple[str, Args]], int]:
        """Order the positive atoms greedily by their bound fan-out, and bound the rows a
        left-to-right join in that order can build: each atom multiplies the partial rows
        by at most its largest number of rows agreeing on the columns already bound.
        ``bound_vars``: variables bound before the first atom."""
        remaining = list(positives)
        bound = set(bound_vars)
        order: list[tuple[str, Args]] = []
        rows = 1
        while remaining:
            costs = []
            for i, (p, args) in enumerate(remaining):
                key = tuple(j for j, t in enumerate(args) if not isinstance(t, Var) or t in bound)
                costs.append((self.fanout(p, key), i))
            fanout, i = min(costs)
            p, args = remaining.pop(i)
            order.append((p, args))
            bound.update(t for t in args if isinstance(t, Var))
            rows *= fanout
            if rows == 0:
                return order + remaining, 0
        return order, rows
