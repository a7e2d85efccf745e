"""Answers the text does not decide: weighing every reading of what it leaves open.

A policy may leave open whether a body exists for the question asked: the relation
``open_existence/1`` lists such bodies (in the bundled policy: as of a date before the
deadline by which the Kompetenzzentrum is established, or on any date for a body of a phase the
text gives no date for; without a date, a body of a later phase). The policy's default answer
takes one reading of each (as of a date: the body does not act yet; without one: it does, as
the text describes it). :class:`Readings` evaluates the other readings too, the program with
``suppose_otherwise(Body)`` for each combination of the open bodies, and tells of a row of a
relation which open bodies its answer depends on: an answer is decided by the text when every
reading gives it.

A policy that declares neither predicate has nothing open, and nothing here runs for it.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable, Iterable, Mapping
from typing import Protocol

from kdv_policy.errors import QueryError
from kdv_policy.language.program import Program
from kdv_policy.language.syntax import Value
from kdv_policy.limits import Limits

OPEN = "open_existence"
"""The relation of the bodies whose existence the text leaves open for the question asked."""

SUPPOSE = "suppose_otherwise"
"""The relation the readings add: the open bodies taken the other way than the default answer."""

MAX_OPEN = 4
"""At most this many open bodies are weighed at once (every combination: 2**MAX_OPEN readings)."""

Model = Mapping[str, frozenset[tuple[Value, ...]]]
Row = tuple[Value, ...]


class _Evaluated(Protocol):
    @property
    def model(self) -> Model: ...


Evaluate = Callable[[Program, Mapping[str, list[tuple]], Limits, tuple[str, ...]], _Evaluated]
"""Makes the model of a reading: (program, facts, limits, the open bodies supposed otherwise) → model."""


def _evaluated(program: Program, facts: Mapping[str, list[tuple]], limits: Limits,
               supposed: tuple[str, ...]) -> _Evaluated:
    from kdv_policy.engine.evaluation import Engine  # pyDatalog: only when a reading is evaluated

    return Engine(program, facts, limits)


def declares_readings(program: Program) -> bool:
    """Whether the program declares ``open_existence/1`` and ``suppose_otherwise/1``."""
    decls = program.declarations
    return all(p in decls and decls[p].arity == 1 for p in (OPEN, SUPPOSE))


class Readings:
    """The models of every reading of the open bodies of one policy, each evaluated on first use."""

    def __init__(self, program: Program, facts: Mapping[str, list[tuple]], limits: Limits,
                 base: Model, open_bodies: Iterable[str], evaluate: Evaluate | None = None) -> None:
        self.open: tuple[str, ...] = tuple(sorted(open_bodies))
        if len(self.open) > MAX_OPEN:
            shown = ", ".join(f"`{b}`" for b in self.open)
            raise QueryError(
                f"the text leaves open whether {len(self.open)} bodies exist ({shown}); at most "
                f"{MAX_OPEN} are weighed at once. Give their phases a `started` date in the "
                "organisation directory, or ask without a date")
        self._program, self._facts, self._limits = program, facts, limits
        # how a reading's model is made: evaluated (an Engine), or read from a bundle that stores it
        self._evaluate: Evaluate = evaluate or _evaluated
        self._models: dict[frozenset[str], Model] = {frozenset(): base}
        self._lock = threading.Lock()

    def _model(self, supposed: frozenset[str]) -> Model:
        model = self._models.get(supposed)
        if model is None:
            with self._lock:
                model = self._models.get(supposed)
                if model is None:
                    facts = dict(self._facts)
                    facts[SUPPOSE] = [*facts.get(SUPPOSE, ()), *((b,) for b in sorted(supposed))]
                    model = self._evaluate(self._program, facts, self._limits, tuple(sorted(supposed))).model
                    self._models[supposed] = model
        return model

    def _combinations(self) -> list[frozenset[str]]:
        return [frozenset(c) for n in range(len(self.open) + 1) for c in itertools.combinations(self.open, n)]

    def depends_on(self, predicate: str, row: Row) -> tuple[str, ...]:
        """The open bodies whose reading changes whether ``predicate(row)`` holds; ``()`` when every
        reading agrees (the text decides it)."""
        if not self.open:
            return ()
        holds = {s: row in self._model(s).get(predicate, frozenset()) for s in self._combinations()}
        return _relevant(self.open, holds)

    def differing(self, predicate: str, matches: Callable[[Row], bool]) -> dict[Row, tuple[str, ...]]:
        """The rows of ``predicate`` that ``matches`` and that some readings give and others do not,
        each with the open bodies it depends on."""
        if not self.open:
            return {}
        combos = self._combinations()
        rows = {s: {r for r in self._model(s).get(predicate, ()) if matches(r)} for s in combos}
        every = set.union(*rows.values())
        out: dict[Row, tuple[str, ...]] = {}
        for row in every:
            holds = {s: row in rows[s] for s in combos}
            relevant = _relevant(self.open, holds)
            if relevant:
                out[row] = relevant
        return out


def _relevant(open_bodies: tuple[str, ...], holds: Mapping[frozenset[str], bool]) -> tuple[str, ...]:
    """The bodies whose reading alone, the others fixed, changes the answer."""
    if len(set(holds.values())) <= 1:
        return ()
    return tuple(b for b in open_bodies
                 if any(holds[s] != holds[s | {b}] for s in holds if b not in s))


__all__ = ["MAX_OPEN", "OPEN", "SUPPOSE", "Readings", "declares_readings"]
