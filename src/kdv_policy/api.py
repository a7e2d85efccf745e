"""The public Python API: load a policy once, ask it many questions.

>>> from kdv_policy import Policy
>>> policy = Policy.load()                    # the bundled governance
>>> policy.ask("chair(steuerungsausschuss, X)")
({'X': 'departementschef_div'},)
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from .ast import Value
from .checker import check_query
from .engine import Engine
from .errors import Diagnostic
from .loader import LoadedProgram, load_program
from .parser import parse_query
from .program import Program
from .source import Source


class Policy:
    """A loaded, checked and evaluated policy. Immutable: changes give a new Policy."""

    def __init__(self, loaded: LoadedProgram) -> None:
        self._loaded = loaded
        self._engine = Engine(loaded.program, loaded.facts)

    @classmethod
    def load(cls, path: str | os.PathLike | None = None) -> Policy:
        """Load the policy directory at ``path`` (the bundled governance when omitted).

        Raises a :class:`~kdv_policy.errors.PolicyError` with every problem found;
        nothing is half-loaded.
        """
        return cls(load_program(path))

    @property
    def directory(self) -> Path:
        return self._loaded.directory

    @property
    def program(self) -> Program:
        return self._loaded.program

    @property
    def warnings(self) -> tuple[Diagnostic, ...]:
        """The checker's warnings for this policy (it loaded, so there are no errors)."""
        return self._loaded.warnings

    def relation(self, predicate: str) -> frozenset[tuple[Value, ...]]:
        """Every tuple of a predicate in the computed model."""
        return self._engine.relation(predicate)

    def ask(self, query: str) -> tuple[dict[str, Value], ...]:
        """Answer an ad-hoc Datalog query such as ``member(steuerungsausschuss, X)``.

        The text goes through the project's parser and checker, never through Python.
        Returns one dict per answer mapping the query's variables to values, sorted;
        a query without variables returns ``({},)`` when it holds and ``()`` when not.
        """
        source = Source("<query>", query)
        parsed = parse_query(query, source.path)
        check_query(parsed, self.program, source)
        return self._engine.query(parsed)

    @property
    def model(self) -> Mapping[str, frozenset[tuple[Value, ...]]]:
        return self._engine.model
