"""The public Python API: load a policy once, ask it many questions.

>>> from kdv_policy import Policy
>>> policy = Policy.load()                    # the bundled governance
>>> bool(policy.may("Regierungsrat", "verabschieden", "Strategie"))
True
>>> policy.chair("Steuerungsausschuss").ids
('departementschef_div',)

The question methods answer from relations computed once per policy (each on first use,
or all by :meth:`Policy.materialise`), through a bounded decision cache. They are
defined over the interface predicates listed in :data:`INTERFACE` (docs/api.md), so
they work on any policy directory that declares them. A Policy is immutable:
:meth:`Policy.at` and :meth:`Policy.with_facts` return new policies.
"""

from __future__ import annotations

import collections
import copy
import datetime
import functools
import gc
import os
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from kdv_policy.data.facts import Forms
from kdv_policy.errors import ArgumentError, Diagnostic, PolicyLoadError, QueryError
from kdv_policy.gcpause import paused
from kdv_policy.language.parser import parse_query
from kdv_policy.language.printer import format_atom, format_value
from kdv_policy.language.program import Program
from kdv_policy.language.source import Source
from kdv_policy.language.syntax import Atom, Constant, Declaration, Value, ground_values
from kdv_policy.limits import Limits, QueryLimits, as_limits
from kdv_policy.policy import arguments as check
from kdv_policy.policy import audit
from kdv_policy.policy.audit import AUDIT_LOGGER
from kdv_policy.policy.explain import ProofNode, Prover, WhyNot
from kdv_policy.policy.loader import Evaluation, LoadedProgram, Variant, load_program
from kdv_policy.policy.names import NameIndex, UnknownNameError
from kdv_policy.policy.readings import OPEN, Readings, declares_readings
from kdv_policy.policy.results import (
    SETTERS,
    Answers,
    Decision,
    Delegation,
    Entity,
    Explanation,
    Interpretation,
    OpenQuestion,
    Permission,
)
from kdv_policy.policy.results import entity as make_entity
from kdv_policy.policy.version import content_digest, policy_version
from kdv_policy.policy.vocabulary import Vocabulary
from kdv_policy.policy.wording import Named, check_language, say, spoken_date
from kdv_policy.suggest import did_you_mean

if TYPE_CHECKING:  # what only some questions need loads when they are asked
    from kdv_policy.engine.requests import RequestEvaluator, RequestModel
    from kdv_policy.policy.diff import PolicyDiff
    from kdv_policy.policy.questions import Reply

INTERFACE: dict[str, tuple[str, ...]] = {
    "may": ("actor", "action", "object"),
    "member": ("body", "member"),
    "chair": ("body", "role"),
    "serves": ("provider", "unit"),
    "consumer": ("unit",),
    "responsible": ("role", "unit"),
    "delegates": ("delegator", "delegate", "action", "object"),
}
"""The predicates the question methods read, with their arguments (see docs/api.md)."""

ACTOR_KINDS = ("body", "role", "person", "unit", "constant")
ENTITY_KINDS = ("body", "role", "person", "unit", "action", "object", "function", "constant")
_ACTING = frozenset({"actor", "body", "role", "person", "delegator", "delegate", "holder"})
_KIND_ORDER = {k: i for i, k in enumerate(ENTITY_KINDS)}

DEFAULT_CACHE_SIZE = 4096

_R = TypeVar("_R")


class CacheInfo(tuple[int, int, int, int]):
    """Decision-cache statistics: ``hits``, ``misses``, ``size``, ``maxsize``."""

    __slots__ = ()

    def __new__(cls, hits: int, misses: int, size: int, maxsize: int) -> CacheInfo:
        return super().__new__(cls, (hits, misses, size, maxsize))

    @property
    def hits(self) -> int:
        return self[0]

    @property
    def misses(self) -> int:
        return self[1]

    @property
    def size(self) -> int:
        return self[2]

    @property
    def maxsize(self) -> int:
        return self[3]

    def __repr__(self) -> str:
        return f"CacheInfo(hits={self.hits}, misses={self.misses}, size={self.size}, maxsize={self.maxsize})"


Row = tuple[Value, ...]
"""A row of a relation: one value per argument."""

FactLike = str | tuple[str, Sequence[Value]]
"""A fact for :meth:`Policy.with_facts`: ``"member(steuerungsausschuss, generalsekretaer_dek)"``
or ``("member", ("steuerungsausschuss", "generalsekretaer_dek"))``."""


class Policy:
    """A loaded, checked and evaluated policy. Immutable: changes give a new Policy.

    Thread-safe: one Policy may be asked from many threads at once.
    """

    def __init__(
        self,
        loaded: LoadedProgram,
        *,
        at: datetime.date | None = None,
        add: Iterable[tuple[str, tuple[Value, ...]]] = (),
        remove: Iterable[tuple[str, tuple[Value, ...]]] = (),
        cache_size: int = DEFAULT_CACHE_SIZE,
        limits: Limits | QueryLimits | None = None,
        interpretations: Iterable[str] | None = None,
        lang: str | None = None,
        _content: bytes | None = None,
    ) -> None:
        self._loaded = check.instance(loaded, LoadedProgram, "`loaded`")
        self._lang = (check_language(lang) if lang is not None
                      else loaded.configuration.language or "en")
        self._forms: dict[str, Forms] | None = None  # the German forms of names, on first use
        self._adopted = _adopted(loaded, interpretations)
        self._text_policy: Policy | None = None  # without any interpretation; made on first use
        self._all_limits = as_limits(_checked_limits(limits))
        self._limits = self._all_limits.query
        self._at = at = check.date(at, "`at`")
        cache_size = check.integer(cache_size, "`cache_size`")
        declarations = loaded.program.declarations
        self._added = tuple(_ground(f, declarations, "a fact of `add`")
                            for f in check.many(add, "`add`", "facts"))
        self._removed = tuple(_ground(f, declarations, "a fact of `remove`")
                              for f in check.many(remove, "`remove`", "facts"))
        # the files' hash, once per load: a derived policy (at, with_facts) takes it over
        self._content = _content if _content is not None else content_digest(loaded)
        self._program, facts = self._what_if(loaded, self._added, self._removed, self._adopted)
        if at is not None:
            if "as_of" not in self._program.declarations:
                raise QueryError("this policy has no dated facts: it declares no `as_of/1`, "
                                 "so it cannot be asked as of a date")
            facts.setdefault("as_of", []).append((at,))
        self._variant: Variant = (at, self._added, self._removed, self._adopted, ())
        self._engine: Evaluation | RequestModel = loaded.evaluate(
            self._program, facts, self._all_limits, self._variant)
        self._base: Policy = self  # the policy without a request's rows (with_input)
        self._input: Mapping[str, frozenset[Row]] = {}
        self._requests: RequestEvaluator | None = None  # made on the first with_input
        self._facts = facts  # the other readings of what the text leaves open start from them
        self._open_readings: Readings | object | None = _MISSING  # built on first use
        self._model = self._engine.model
        self._prover = Prover(self._program, self._model, self._engine.steps, loaded.origin)
        self._name_table: NameIndex | None = None  # built by materialise() or on first use
        self._fast: _Fast | object | None = _MISSING  # the hot questions' tables, with the name index
        self._vocabulary: Vocabulary | None = None  # the verbs of questions, on first use
        self._actors: frozenset[Value] | None = None  # the values that act, on first use (_actor_values)
        self._version = policy_version(self._content, self._at, self._added, self._removed, self._adopted)
        self._data_version: str | None = None  # computed on first use (data_version)
        self._indexes: dict[tuple[str, tuple[int, ...]], dict[Row, list[Row]]] = {}
        # FIFO, not LRU: a hit is a plain lookup (an LRU hit reorders, costing more than the answer)
        self._cache = _DecisionCache(maxsize=max(1, cache_size))
        self._cache_size = cache_size
        self._hits = self._misses = 0
        self._lock = threading.RLock()
        self._hot_counts = _install_hot_paths(self)

    # -- loading and deriving policies ----------------------------------------------------------

    @classmethod
    def load(
        cls,
        path: str | os.PathLike[str] | None = None,
        *,
        at: datetime.date | str | None = None,
        people: str | os.PathLike[str] | None = None,
        cache_size: int = DEFAULT_CACHE_SIZE,
        limits: Limits | QueryLimits | None = None,
        interpretations: Iterable[str] | None = None,
        lang: str | None = None,
        verify_key: str | os.PathLike[str] | bytes | None = None,
    ) -> Policy:
        """Load the policy directory at ``path`` (the bundled governance when omitted).

        ``at`` asks as of a date (a ``date`` or ``"YYYY-MM-DD"``); without it the policy is
        timeless: everything the text says, regardless of dates. ``people`` names a people
        file (persons and the roles they hold; default: ``[people]`` of the directory's
        ``policy.toml``, else ``people.toml`` in the directory, if any) or a database holding
        them: ``"sqlite:///people.db"``, ``"postgresql://user@host/db"``, or ``"env:NAME"`` for
        a URL in the environment variable ``NAME`` (see :mod:`kdv_policy.data.sql`).
        ``limits`` bounds loading, evaluation and ad-hoc queries (:class:`~kdv_policy.limits.Limits`;
        a :class:`~kdv_policy.limits.QueryLimits` bounds only ad-hoc queries).
        ``interpretations`` are the ids of the interpretations to adopt (``()``: the text alone);
        None adopts those of the directory's ``policy.toml`` (none without one).
        ``lang`` (``"de"`` or ``"en"``) is the language of the answers' summaries and
        explanations; None takes ``[policy] language`` of ``policy.toml`` (English without
        one; German for the bundled policy). Ids, JSON keys and cited sentences do not change.
        ``path`` may also be a policy bundle (``*.kdvb``, built by ``python -m kdv_policy build``):
        the policy answers from the model it stores, evaluating nothing; ``verify_key`` (an Ed25519
        public key: a PEM file or its bytes) refuses a bundle it did not sign (see
        :mod:`kdv_policy.policy.bundle`).
        Raises a :class:`~kdv_policy.errors.PolicyError` with every problem found; nothing
        is half-loaded.
        """
        path = check.path(path, "the policy directory `path`")
        people = check.path(people, "the people file `people`")
        date = check.date(at, "`at`")
        cache_size = check.integer(cache_size, "`cache_size`")
        limits = as_limits(_checked_limits(limits))
        lang = None if lang is None else check_language(lang)
        from kdv_policy.policy import bundle  # a small module; the bundle's parts load when used

        if bundle.is_bundle(path) or verify_key is not None:
            with paused():
                stored = bundle.load(path, people=people, limits=limits, verify_key=verify_key)
                return cls(stored, at=date, cache_size=cache_size, limits=limits,
                           interpretations=interpretations, lang=lang, _content=stored.content)
        if path is None and people is None:  # the bundled policy: its shipped bundle, when current
            with paused():
                shipped = bundle.shipped(limits)
                if shipped is not None:
                    return cls(shipped, at=date, cache_size=cache_size, limits=limits,
                               interpretations=interpretations, lang=lang, _content=shipped.content)
        with paused():  # see kdv_policy.gcpause
            try:
                loaded = load_program(path, people, limits=limits)
            except OSError as err:  # a path the system refuses to look up, e.g. a name too long
                raise PolicyLoadError(f"cannot read `{_shown(err.filename or path)}`: "
                                      f"{err.strerror or err}") from None
            return cls(loaded, at=date, cache_size=cache_size, limits=limits, interpretations=interpretations,
                       lang=lang)

    def at(self, date: datetime.date | str | None) -> Policy:
        """The same policy as of ``date`` (``None``: timeless); dated facts apply as of that day."""
        return self._derive(check.date(date, "the date"), self._added, self._removed)

    def with_facts(self, add: Iterable[FactLike] = (), remove: Iterable[FactLike] = ()) -> Policy:
        """A new policy with facts added and stated facts removed; this one is unchanged.

        Facts use ids, as in the rules: ``"member(steuerungsausschuss, generalsekretaer_dek)"``.
        Removing a fact that rules derive (rather than state) raises
        :class:`~kdv_policy.errors.QueryError`: remove the facts it rests on instead.
        """
        bound = ("max_items", self._all_limits.max_items)  # what-if facts count as items of the policy
        removals = [self._fact(f, "a fact of `remove`")
                    for f in check.many(remove, "`remove`", "facts", bound)]
        additions = [self._fact(f, "a fact of `add`") for f in check.many(add, "`add`", "facts", bound)]
        # Facts are checked, so their values are plain str, int and date: `==` and `in` below
        # compare them by type and value (1, True and 1.0 never meet here).
        # the net changes to the loaded policy, in the order given (dicts: ordered, fast membership)
        added, removed = dict.fromkeys(self._added), dict.fromkeys(self._removed)
        for fact in removals:
            predicate, row = fact
            if row not in self._model[predicate]:
                raise QueryError(f"`{_text(predicate, row)}` does not hold, so it cannot be removed")
            if not self._is_stated(predicate, row):
                raise QueryError(f"`{_text(predicate, row)}` is derived by rules, not stated; "
                                 "remove the facts it rests on instead")
            if fact in added:
                del added[fact]  # removing what an earlier what-if added undoes the addition
            if fact not in removed and self._is_stated_originally(predicate, row):
                removed[fact] = None
        for fact in additions:
            if fact in removed:
                del removed[fact]  # adding back what an earlier what-if removed
            elif fact not in added:
                added[fact] = None
        if len(added) + len(removed) > bound[1]:
            raise QueryError(f"the what-if changes hold more than the limit `max_items` of {bound[1]:,} "
                             "facts; raise it with `Limits(max_items=...)` if the change really needs more")
        return self._derive(self._at, tuple(added), tuple(removed))

    def _derive(self, at: datetime.date | None, add: tuple[tuple[str, Row], ...],
                remove: tuple[tuple[str, Row], ...], interpretations: tuple[str, ...] | None = None
                ) -> Policy:
        """A policy of the same files with another date, what-if changes or adopted interpretations
        (and the same request's rows, for a policy scoped to a request)."""
        derived = Policy(self._loaded, at=at, add=add, remove=remove, cache_size=self._cache_size,
                         limits=self._all_limits, _content=self._content, lang=self._lang,
                         interpretations=self._adopted if interpretations is None else interpretations)
        derived._data_version = self.data_version  # the same data: never read again
        return derived.with_input(self._input) if self._input else derived

    # -- request facts (input relations) --------------------------------------------------------

    @property
    def input_relations(self) -> dict[str, tuple[str, ...]]:
        """The policy's input relations (declared ``.input``), each with its argument names."""
        return {p: d.params for p, d in sorted(self._program.declarations.items()) if d.input}

    @property
    def input(self) -> Mapping[str, frozenset[Row]]:
        """The request's rows this policy answers with, by input relation (empty unless it comes
        from :meth:`with_input`)."""
        return self._input

    def with_input(self, rows: Mapping[str, Iterable[Sequence[Value]]]) -> Policy:
        """This policy for one request: ``rows`` fill its input relations, e.g.
        ``policy.with_input({"subject_property": [("bob", "role", "admin")]})``.

        Every question method, :meth:`holds`, :meth:`ask` and the explanations then answer for
        that request; a proof cites a request's row as ``from the request``. Only the rules that
        depend on the input relations are evaluated, over the model this policy has evaluated
        once; the request's rows are bounded (``Limits.max_input_rows``,
        ``max_input_value_length``). The rows replace those of an earlier ``with_input``; empty
        ``rows`` give the policy without a request. This policy is unchanged. Raises
        :class:`~kdv_policy.errors.QueryError` for a relation that is not an input relation, a
        row of the wrong arity or a limit passed, :class:`~kdv_policy.errors.ArgumentError` for a
        value the rule language cannot write.
        """
        base = self._base
        checked = base._input_rows(rows)
        if not checked:
            return base
        request = base._request_evaluator().evaluate(checked)
        view = copy.copy(base)
        view._base = base
        view._engine = request
        view._input = request.input
        view._model = request.model
        view._prover = base._prover.over(request.model, request.steps)
        view._name_table = base._name_table if base._knows(request) else None
        view._actors = None
        view._open_readings = None  # the readings of what the text leaves open are not weighed per request
        view._text_policy = None
        view._indexes = {}
        view._lock = threading.RLock()
        view._cache = _DecisionCache(maxsize=max(1, base._cache_size))
        view._fast = None  # the hot questions' tables hold the model without the request's rows
        view._hits = view._misses = 0
        view._hot_counts = _install_hot_paths(view)
        return view

    def _input_rows(self, rows: object) -> dict[str, list[Row]]:
        """A request's rows, their types checked (the engine checks relations, arities and limits)."""
        if not isinstance(rows, Mapping):
            raise ArgumentError("the request's rows must be a mapping of input relation to rows, "
                                f"not {type(rows).__qualname__}")
        limit = ("max_input_rows", self._all_limits.max_input_rows)
        checked: dict[str, list[Row]] = {}
        for predicate, given in rows.items():
            predicate = check.text(predicate, "an input relation")
            what = f"a row of `{_shown(predicate)}`"
            found = [check.row(r, what) for r in check.many(given, f"the rows of `{_shown(predicate)}`",
                                                           "rows", limit)]
            if found:
                checked[predicate] = found
        if checked and not self._program.inputs:
            raise QueryError("this policy declares no input relations, so a request cannot fill "
                             f"`{_shown(next(iter(checked)))}`")
        return checked

    def _request_evaluator(self) -> RequestEvaluator:
        if self._requests is None:
            with self._lock:
                if self._requests is None:
                    from kdv_policy.engine.requests import RequestEvaluator, RequestModel  # pyDatalog

                    assert not isinstance(self._engine, RequestModel)  # a policy not scoped to a request
                    self._requests = RequestEvaluator(self._engine, self._program, self._all_limits)
        return self._requests

    def _knows(self, request: RequestModel) -> bool:
        """Whether this policy's name index, if built, holds every string of a request's relations."""
        table = self._name_table
        if table is None:
            return False
        return all(table.by_id(v) is not None for p in request.evaluated for row in request.model[p]
                   for v in row if isinstance(v, str))

    def in_language(self, lang: str) -> Policy:
        """The same policy answering in ``lang`` (``"de"`` or ``"en"``): the same model and answers,
        the summaries and explanations in that language. Cheap: nothing is evaluated again."""
        lang = check_language(lang)
        if lang == self._lang:
            return self
        other = copy.copy(self)
        other._lang = lang
        other._lock = threading.RLock()
        other._indexes = dict(self._indexes)
        other._text_policy = None
        other._cache = _DecisionCache(maxsize=max(1, self._cache_size))
        other._hits = other._misses = 0
        other._hot_counts = _install_hot_paths(other)
        return other

    @property
    def language(self) -> str:
        """The language of the answers' summaries and explanations: ``"de"`` or ``"en"``."""
        return self._lang

    # -- properties -----------------------------------------------------------------------------

    @property
    def directory(self) -> Path:
        """The policy directory the rules were loaded from."""
        return self._loaded.directory

    @property
    def program(self) -> Program:
        """The checked program the answers come from: what-if removals applied, the clauses of
        interpretations not adopted left out."""
        return self._program

    @property
    def interpretations(self) -> tuple[Interpretation, ...]:
        """Every interpretation the policy declares, by id, each with its ``adopted`` flag."""
        program = self._loaded.program
        rules: dict[str, list[str]] = {name: [] for name in program.interpretations}
        for clause in program.clauses:
            if clause.interpretation in rules and clause.id:
                rules[clause.interpretation].append(clause.id)
        return tuple(
            Interpretation(id=name, de=decl.text("de") or "", en=decl.text("en") or "",
                           rationale=decl.text("rationale") or "", adopted=name in self._adopted,
                           rules=tuple(rules[name]))
            for name, decl in sorted(program.interpretations.items()))

    @property
    def adopted(self) -> tuple[str, ...]:
        """The ids of the interpretations this policy adopts, sorted (empty: the text alone)."""
        return self._adopted

    def with_interpretations(self, interpretations: Iterable[str]) -> Policy:
        """The same policy adopting exactly ``interpretations`` (``()``: the text alone)."""
        ids = [check.text(i, "an interpretation id")
               for i in check.many(interpretations, "`interpretations`", "interpretation ids")]
        return self._derive(self._at, self._added, self._removed, tuple(ids))

    @property
    def warnings(self) -> tuple[Diagnostic, ...]:
        """The checker's warnings for this policy (it loaded, so there are no errors)."""
        return self._loaded.warnings

    @property
    def as_of(self) -> datetime.date | None:
        """The date the policy is asked as of, or None when timeless."""
        return self._at

    @property
    def version(self) -> str:
        """A hash of the policy's content alone: each file's path relative to the policy directory
        and its bytes, the as-of date and any what-if changes (see :mod:`kdv_policy.policy.version`)."""
        return self._version

    @property
    def data_version(self) -> str:
        """Which people data the policy was built from: for a database, its change counter and a
        hash of its rows (``17-3f2a...``); for a people file, ``file-`` and a hash of its bytes;
        ``none`` without people. A decision logged with it can be traced to the data of its day."""
        found = self._data_version
        if found is None:
            people = self._loaded.people
            if people is None:
                found = "none"
            elif isinstance(getattr(people, "data_version", None), str):
                found = people.data_version  # type: ignore[attr-defined]
            else:
                import hashlib

                try:
                    found = "file-" + hashlib.sha256(people.path.read_bytes()).hexdigest()[:16]
                except OSError:
                    found = "file-unreadable"
            self._data_version = found
        return found

    @property
    def model(self) -> Mapping[str, frozenset[tuple[Value, ...]]]:
        """Every relation of the computed model."""
        return self._model

    @property
    def names(self) -> NameIndex:
        """The name index: resolves ids, official names, abbreviations and aliases."""
        if self._name_table is None:
            with self._lock:
                if self._name_table is None:
                    self._name_table = self._name_index()
        return self._name_table

    @property
    def vocabulary(self) -> Vocabulary:
        """The verbs questions may use: the forms the organisation directory's ``[[actions]]`` give."""
        if self._vocabulary is None:
            self._vocabulary = Vocabulary.of(self._loaded.actions)
        return self._vocabulary

    def answer(self, question: str) -> Reply:
        """The answer to a question as people type it, in German or English ("darf der
        Regierungsrat die Strategie verabschieden?", "who approves the Strategie?") or Datalog:
        the :class:`~kdv_policy.policy.questions.Reply` the command line prints
        (``reply.text()``, ``reply.json()``, ``reply.denied``). An unreadable question raises
        :class:`~kdv_policy.policy.questions.QuestionError` naming the nearest form it can read."""
        from kdv_policy.policy.questions import parse  # the question grammar loads on first use

        question = check.bounded_text(question, "the question", self._limits.max_length)
        return parse(question, self.vocabulary).ask(self)

    def materialise(self) -> Policy:
        """Evaluate every relation now (otherwise each is evaluated on its first use); returns self.

        A server calls it before it starts answering, so no request waits for an evaluation;
        :class:`~kdv_policy.store.PolicyStore` calls it before it swaps a new policy in. A policy
        with input relations also prepares what :meth:`with_input` reads.
        """
        collect = gc.isenabled()
        with paused():  # one pause for all of it: each resumption scans what was built meanwhile
            self._engine.materialise()
            if self._program.inputs and self._base is self:  # and what the first request would prepare
                self._request_evaluator().prepare()
            self._fast_tables()  # the name index and the hot questions' tables: no question waits for them
            # Building allocated up to millions of objects with the cyclic collector paused; left
            # young, they would be scanned by the next young, middle and full collections in turn,
            # all during the first questions. One full collection now (before the pause ends, which
            # would start a young one) moves them to the oldest generation at once, which later
            # collections only scan again once it has grown by a quarter.
            if collect:
                gc.collect()
        return self

    def _fast_tables(self) -> _Fast | None:
        """The tables the hot questions answer a first asking with ids from (:class:`_Fast`), built
        once, with the name index; None when this policy's answers weigh readings of what the text
        leaves open or adopted interpretations (the general path handles those)."""
        if self._fast is _MISSING:
            with self._lock:
                if self._fast is _MISSING:
                    self._fast = self._build_fast()
        return self._fast  # type: ignore[return-value]

    def _build_fast(self) -> _Fast | None:
        names = self.names
        with paused():
            return self._build_fast_tables(names)

    def _build_fast_tables(self, names: NameIndex) -> _Fast | None:
        if self._adopted or self._readings() is not None:
            return None
        fast = _Fast(names._by_id, self._limits.max_length, self._actor_values)
        fast.version = self._version
        for value in names._by_id:  # every id now: a question asked for the first time only looks up
            fast.fill(value)
        if self._declares("may"):
            fast.may = self._model["may"]
            fast.who_may = self._answer_table("may", (1, 2), 0)
        if self._declares("serves"):
            fast.serves = self._answer_table("serves", (1,), 0)
        return fast

    def _answer_table(self, predicate: str, positions: tuple[int, ...], answer_at: int
                      ) -> dict[Row, _Listed]:
        """For each value of ``positions``, the answers of a list question (ordered as ``_list``
        orders them), the rows they come from, their ids, and what computes the explanation of
        its result (not called until the explanation is read)."""
        if not self._model.get(predicate):
            return {}
        first = next(iter(self._model[predicate]))
        self._rows(predicate, {i: first[i] for i in positions})  # builds the index
        arity = len(INTERFACE[predicate])
        explain_list = self._explain_list
        table: dict[Row, _Listed] = {}
        for key, rows in self._indexes[(predicate, positions)].items():
            entities = {r[answer_at]: self.entity(r[answer_at]) for r in rows}
            answers = tuple(sorted(entities.values(), key=lambda e: (_KIND_ORDER.get(e.kind, 99), e.id)))
            bound = dict(zip(positions, key, strict=True))
            pattern = tuple(bound.get(i) for i in range(arity))
            table[key] = (answers, rows, tuple(e.id for e in answers),
                          functools.partial(explain_list, predicate, rows, pattern))
        return table

    def _declares(self, predicate: str) -> bool:
        decl = self._program.declarations.get(predicate)
        return decl is not None and decl.arity == len(INTERFACE[predicate])

    def relation(self, predicate: str) -> frozenset[tuple[Value, ...]]:
        """Every tuple of a predicate in the computed model."""
        return self._engine.relation(check.text(predicate, "the predicate"))

    def resolve(self, name: str, kinds: Iterable[str] | None = None) -> Entity:
        """The entity a name stands for; raises UnknownNameError or AmbiguousNameError.

        ``kinds`` limits the search to some kinds of entity (one kind or several, of
        :data:`ENTITY_KINDS`); None searches all.
        """
        name = self._name(name, "the name")
        return self.names.resolve(name, check.optional_kinds(kinds, "`kinds`", ENTITY_KINDS))

    def cache_info(self) -> CacheInfo:
        """Hit and miss counts and the size of the decision cache."""
        with self._lock:
            hot_hits, hot_misses = self._hot_counts()
            return CacheInfo(self._hits + hot_hits, self._misses + hot_misses, len(self._cache),
                             self._cache.maxsize)

    # -- questions ------------------------------------------------------------------------------

    def may(self, actor: str, action: str, object: str) -> Decision:
        """May ``actor`` (a body, role or person) do ``action`` with ``object``?

        Names are resolved as people type them. The decision's explanation is the proof
        (down to cited facts, through any delegation chain) or the why-not.
        """
        # a hit never gets here: the instance's own may() answers it (_install_hot_paths)
        actor, action, object = (self._name(actor, "the actor"), self._name(action, "the action"),
                                 self._name(object, "the object"))
        return self._cached(("may", actor, action, object), lambda: self._may(actor, action, object))

    def who_may(self, action: str, object: str) -> Answers[Entity]:
        """Every body, role and person that may do ``action`` with ``object``."""
        action, object = self._name(action, "the action"), self._name(object, "the object")
        return self._cached(("who_may", action, object), lambda: self._who_may(action, object))

    def what_may(self, actor: str) -> Answers[Permission]:
        """Every (action, object) pair ``actor`` may."""
        actor = self._name(actor, "the actor")
        return self._cached(("what_may", actor), lambda: self._what_may(actor))

    def who_serves(self, unit: str) -> Answers[Entity]:
        """The units that provide services to ``unit`` (empty when it is not a consumer)."""
        unit = self._name(unit, "the unit")
        return self._cached(("who_serves", unit), lambda: self._who_serves(unit))

    def members(self, body: str) -> Answers[Entity]:
        """The members of ``body``: the roles (a chair is a member), the organisations that take
        part as partners (marked ``partner`` in ``marks``), and the classes of members the text
        leaves open (functions, marked ``open class``: "sowie weiteren Amtsvertretungen")."""
        body = self._name(body, "the body")
        return self._cached(("members", body), lambda: self._members(body))

    def chair(self, body: str) -> Answers[Entity]:
        """The role that chairs ``body`` (none when the body has no chair)."""
        body = self._name(body, "the body")
        return self._cached(("chair", body),
                            lambda: self._list("chair", {0: self._resolve(body, what="body").id}, 1))

    def responsible_for(self, unit: str) -> Answers[Entity]:
        """The Digitalisierungsverantwortliche responsible for ``unit``'s area."""
        unit = self._name(unit, "the unit")
        return self._cached(("responsible_for", unit),
                            lambda: self._list("responsible", {1: self._resolve(unit, what="unit").id}, 0))

    def delegations(self, object: str | None = None) -> Answers[Delegation]:
        """Who delegated what to whom: every delegation the policy states, or those of one
        ``object`` (an object such as ``Strategie``, or a task such as ``Umsetzung der
        Strategie``).

        Chain by chain, the original delegator's first; each answer carries its whole
        ``chain`` (delegator first) and whether it is ``effective``. The explanation holds
        one proof per delegation: the delegation step (``delegated_may``) down to the
        sentence that states it, or the stated delegation when it passes nothing on.
        """
        object = None if object is None else self._name(object, "the object")
        return self._cached(("delegations", object), lambda: self._delegations(object))

    def is_consumer(self, unit: str) -> Decision:
        """Is ``unit`` a consumer (Leistungsbezüger) of the services?"""
        unit = self._name(unit, "the unit")

        def answer() -> Decision:
            u = self._resolve(unit, what="unit")
            return self._decision("consumer", (u.id,), subject=u,
                                  yes=lambda: self._say("{unit} is a consumer of the services",
                                                        unit=self._n(u)),
                                  no=lambda: self._say("{unit} is not a consumer of the services",
                                                       unit=self._n(u)))
        return self._cached(("is_consumer", unit), answer)

    def holds(self, atom: FactLike) -> Decision:
        """Does a ground atom hold, e.g. ``"member(steuerungsausschuss, staatsschreiber)"`` or
        ``("member", ("steuerungsausschuss", "staatsschreiber"))``? With proof."""
        if isinstance(atom, str):
            text = check.bounded_text(atom, "the atom", self._limits.max_length)

            def answer() -> Decision:
                return self._decision(*self._fact(text, "the atom"))
            return self._cached(("holds", text), answer)
        # checked before the cache is asked: a (predicate, values) key holds checked values only,
        # so the answer cached for `1` is never found for `True` or `1.0`
        predicate, row = self._fact(atom, "the atom")
        return self._cached(("holds", predicate, row), lambda: self._decision(predicate, row))

    def ask(self, query: str) -> tuple[dict[str, Value], ...]:
        """Answer an ad-hoc Datalog query such as ``member(steuerungsausschuss, X)``.

        The text goes through the project's parser and checker, never through Python.
        Returns one dict per answer mapping the query's variables to values, sorted;
        a query without variables returns ``({},)`` when it holds and ``()`` when not.
        """
        query = check.bounded_text(query, "the query", self._limits.max_length)
        source = Source("<query>", query)
        parsed = parse_query(query, source.path)
        from kdv_policy.language.checker import check_query

        check_query(parsed, self._program, source)
        return self._cached(("ask", query), lambda: self._engine.query(parsed, self._limits))

    def explain(self, atom: FactLike) -> Explanation:
        """The proof of a ground atom, or why it does not hold."""
        return self.holds(atom).explanation

    def diff(self, new: Policy, *, explain: bool = True) -> PolicyDiff:
        """Every decision that differs between this policy and ``new`` (see :mod:`kdv_policy.policy.diff`)."""
        new = check.instance(new, Policy, "the policy to compare with")
        from kdv_policy.policy.diff import diff as diff_policies

        return diff_policies(self, new, explain=check.flag(explain, "`explain`"))

    def _name(self, name: object, what: str) -> str:
        """A name argument: a string of at most the query length limit."""
        return check.bounded_text(name, what, self._limits.max_length)

    # -- answering --------------------------------------------------------------------------------

    def _cached(self, key: tuple[Any, ...], compute: Callable[[], _R]) -> _R:
        """The cached answer to ``key`` (method, *arguments), computing it on a miss; audited.

        Lookups take no lock (a read of the cache's dict is atomic); inserts do. Two threads
        missing the same key at once both compute it, and both get a correct answer.
        """
        found = self._cache.get(key, _MISSING)
        if found is _MISSING:
            found = compute()
            with self._lock:
                self._misses += 1
                self._cache[key] = found
        else:
            self._hits += 1
        if AUDIT_LOGGER.handlers:
            self._audit(key, found)
        return found

    def _audit(self, key: tuple[Any, ...], found: object) -> None:
        if audit.enabled():
            audit.log_decision(self._version, key[0], key[1:], found, self.data_version)

    def _who_serves(self, unit: str) -> Answers[Entity]:
        return self._list("serves", {1: self._resolve(unit, what="unit").id}, 0)

    def _who_may(self, action: str, object: str) -> Answers[Entity]:
        ac = self._resolve(action, ("action", "constant"), "action")
        ob = self._resolve(object, ("object", "constant"), "object")
        return self._list("may", {1: ac.id, 2: ob.id}, 0)

    def _members(self, body: str) -> Answers[Entity]:
        b = self._resolve(body, what="body")
        listed = self._list("member", {0: b.id}, 1)
        partners = {r[1] for r in self._declared_rows("partner", 2) if r[0] == b.id}
        classes = sorted((r for r in self._declared_rows("open_member_class", 2) if r[0] == b.id),
                         key=_row_key)
        if not partners and not classes:
            return listed
        opened = tuple(self.entity(r[1], "function") for r in classes)
        marks = {a.id: "partner" for a in listed.answers if a.id in partners}
        marks.update({e.id: "open class" for e in opened})
        result: Answers[Entity] = Answers(question=listed.question, answers=listed.answers + opened,
                                          version=self._version, marks=marks)

        def explain() -> Explanation:
            proofs = listed.explanation.proofs + tuple(self._proof("open_member_class", r) for r in classes)
            notes = []
            partnering = [a.name for a in listed.answers if marks.get(a.id) == "partner"]
            if partnering:
                notes.append(self._say("the partners {names} take part in it", names=", ".join(partnering)))
            if opened:
                notes.append(self._say("the text leaves open which {names} sit in it",
                                       names=", ".join(e.name for e in opened)))
            summary = self._answers_count(len(result.answers)) + "; " + "; ".join(notes)
            return Explanation(lang=self._lang, summary=summary, proofs=proofs)

        result._explained_by(explain)
        return result

    def _delegations(self, object: str | None) -> Answers[Delegation]:
        self._require("delegates")
        every = sorted(self._model.get("delegates", ()), key=_row_key)
        task_of = {(a, o): t for t, a, o in sorted(self._declared_rows("task", 3), key=_row_key)}
        rows, asked = every, "_"
        if object is not None:
            ob = self._resolve(object, ("object", "constant"), "object")
            named = {(a, o) for (a, o), t in task_of.items() if t == ob.id}
            rows = [r for r in every if ((r[2], r[3]) in named if named else r[3] == ob.id)]
            asked = ob.id
        steps = self._declared_rows("delegated_may", 4)

        def chain(row: Row) -> tuple[Entity, ...]:
            path, seen = [row[1], row[0]], {row[0], row[1]}
            while True:
                before = [r[0] for r in every if r[1] == path[-1] and r[2:] == row[2:] and r[0] not in seen]
                if not before:
                    return tuple(self.entity(v) for v in reversed(path))
                path.append(before[0])
                seen.add(before[0])

        found = []
        for r in rows:
            task = task_of.get((r[2], r[3]))
            if "delegated_may" in self._program.declarations:  # the delegation step, as the rules record it
                effective = (r[1], r[0], r[2], r[3]) in steps
            else:
                effective = (r[1], r[2], r[3]) in self._model.get("may", frozenset())
            found.append((r, Delegation(
                delegator=self.entity(r[0]), delegate=self.entity(r[1]), action=self.entity(r[2], "action"),
                object=self.entity(r[3], "object"), chain=chain(r), effective=effective,
                task=None if task is None else self.entity(task, "object"))))
        found.sort(key=lambda f: (f[1].object.id, f[1].action.id, [e.id for e in f[1].chain]))
        result: Answers[Delegation] = Answers(
            question=f"delegates(X, Y, A, {asked})" if object is not None else "delegates(X, Y, A, O)",
            answers=tuple(d for _, d in found), version=self._version)

        def explain() -> Explanation:
            if not found:
                pattern = (None, None, None, asked if object is not None else None)
                why = self._prover.why_not("delegates", pattern, self._lang)
                summary = (self._say("no delegations: nobody delegates {object}",
                                     object=self._n(self.entity(asked)))
                           if object is not None else self._say("no delegations: nobody delegates anything"))
                return Explanation(lang=self._lang, summary=summary, why_not=why)
            proofs = []
            for r, d in found:
                step = (r[1], r[0], r[2], r[3])
                proofs.append(self._proof("delegated_may", step) if d.effective and step in steps
                              else self._proof("delegates", r))
            listed = "; ".join(d.name for _, d in found)
            basis = _first_citation_of(proofs[0], "delegates")
            n = len(found)
            counted = (self._say("1 delegation: {listed}", listed=listed) if n == 1
                       else self._say("{n} delegations: {listed}", n=str(n), listed=listed))
            return Explanation(lang=self._lang, summary=counted + (f" — « {basis} »" if basis else ""),
                               proofs=tuple(proofs), chain=found[0][1].chain if n == 1 else ())

        result._explained_by(explain)
        return result

    def _declared_rows(self, predicate: str, arity: int) -> frozenset[Row]:
        """The rows of an optional predicate, empty when the policy does not declare it so."""
        decl = self._program.declarations.get(predicate)
        if decl is None or decl.arity != arity:
            return frozenset()
        return self._model.get(predicate, frozenset())

    def _resolve(self, name: str, kinds: Sequence[str] | None = None, what: str | None = None) -> Entity:
        return self.names.resolve(name, kinds, what)

    def _require(self, predicate: str) -> None:
        params = INTERFACE[predicate]
        decl = self._program.declarations.get(predicate)
        if decl is None or decl.arity != len(params):
            raise QueryError(f"this policy does not define `{predicate}/{len(params)}`, "
                             f"the predicate this question reads ({predicate}({', '.join(params)}))")

    def _may(self, actor: str, action: str, object: str) -> Decision:
        self._require("may")
        a = self._actor(actor)
        ac = self._resolve(action, ("action", "constant"), "action")
        ob = self._resolve(object, ("object", "constant"), "object")
        row = (a.id, ac.id, ob.id)
        held = row in self._model["may"]
        allowed, determined, questions = self._weighed("may", row)
        decision = Decision(question=_text("may", row), allowed=allowed, actor=a, action=ac, object=ob,
                            version=self._version, determined=determined, open_questions=questions,
                            interpretations=self._resting_on("may", row, held))
        decision._explained_by(lambda: self._explain_may(a, ac, ob, held, questions=questions,
                                                         determined=determined))
        return decision

    def _what_may(self, actor: str) -> Answers[Permission]:
        self._require("may")
        a = self._actor(actor)
        rows, undetermined, questions = self._weighed_rows("may", {0: a.id}, lambda r: f"{r[1]} {r[2]}")

        def permission(r: tuple[Value, ...]) -> Permission:
            return Permission(action=self.entity(r[1], "action"), object=self.entity(r[2], "object"))
        total, each = self._rows_resting_on("may", {0: a.id}, rows, lambda r: f"{r[1]} {r[2]}")
        result: Answers[Permission] = Answers(
            question=f"may({a.id}, A, O)", answers=tuple(permission(r) for r in rows), version=self._version,
            undetermined=tuple(permission(r) for r in undetermined), open_questions=questions,
            interpretations=total, answer_interpretations=each)
        result._explained_by(lambda: self._explain_rows("may", rows, self._say("{actor} may nothing",
                                                                               actor=self._n(a))))
        return result

    def _list(self, predicate: str, bound: dict[int, str], answer_at: int) -> Answers[Entity]:
        self._require(predicate)
        rows, undetermined, questions = self._weighed_rows(predicate, bound, lambda r: str(r[answer_at]))

        def ordered(rows: Sequence[tuple[Value, ...]]) -> tuple[Entity, ...]:
            entities = {r[answer_at]: self.entity(r[answer_at]) for r in rows}
            return tuple(sorted(entities.values(), key=lambda e: (_KIND_ORDER.get(e.kind, 99), e.id)))
        arity = len(INTERFACE[predicate])
        pattern = tuple(bound.get(i) for i in range(arity))
        question = _text(predicate, tuple(v if v is not None else "?" for v in pattern)).replace('"?"', "X")
        total, each = self._rows_resting_on(predicate, bound, rows, lambda r: str(r[answer_at]))
        result: Answers[Entity] = Answers(
            question=question, answers=ordered(rows), version=self._version,
            undetermined=ordered(undetermined), open_questions=questions,
            interpretations=total, answer_interpretations=each)

        result._explained_by(functools.partial(self._explain_list, predicate, rows, pattern))
        return result

    def _explain_list(self, predicate: str, rows: Sequence[Row], pattern: tuple[Value | None, ...]
                      ) -> Explanation:
        """The explanation of a list answer: a proof of each answer, or why nothing matches ``pattern``."""
        if rows:
            return self._explain_rows(predicate, rows, "")
        why = self._prover.why_not(predicate, pattern, self._lang)
        return Explanation(lang=self._lang, summary=self._say("no answers: nothing satisfies {goal}",
                                                              goal=why.goal), why_not=why)

    def _decision(self, predicate: str, row: tuple[Value, ...], subject: Entity | None = None,
                  yes: Callable[[], str] | None = None, no: Callable[[], str] | None = None) -> Decision:
        held = row in self._model.get(predicate, frozenset())
        allowed, determined, questions = self._weighed(predicate, row)
        decision = Decision(question=_text(predicate, row), allowed=allowed, subject=subject,
                            version=self._version, determined=determined, open_questions=questions,
                            interpretations=self._resting_on(predicate, row, held))

        def explain() -> Explanation:
            goal = _text(predicate, row)
            opened = tuple(q.proof for q in questions if q.proof is not None)
            if not determined:
                proofs = ((self._proof(predicate, row),) if held else ()) + opened
                return Explanation(lang=self._lang, summary=self._undetermined(goal, questions),
                                   proofs=proofs,
                                   why_not=None if held else self._prover.why_not(predicate, row, self._lang))
            if allowed:
                yes_text = yes() if yes else self._say("{goal} holds", goal=goal)
                return Explanation(lang=self._lang, summary=yes_text + self._depends(questions),
                                   proofs=(self._proof(predicate, row), *opened))
            why = self._prover.why_not(predicate, row, self._lang)
            failed = "; ".join(a.failed for a in why.attempts)
            summary = (no() if no else self._say("{goal} does not hold", goal=goal)) + (
                f": {failed}" if failed else "")
            summary += self._depends(questions)
            return Explanation(lang=self._lang, summary=summary, why_not=why, proofs=opened)

        decision._explained_by(explain)
        return decision

    # -- what the text leaves open (policy/readings.py) ----------------------------------------------

    def _readings(self) -> Readings | None:
        """The readings of the bodies whose existence the text leaves open; None when there are none."""
        found = self._open_readings
        if found is _MISSING:
            found = None
            if declares_readings(self._program):
                open_bodies = [r[0] for r in self._model[OPEN] if isinstance(r[0], str)]
                if open_bodies:
                    variant, evaluate = self._variant, self._loaded.evaluate
                    found = Readings(self._program, self._facts, self._all_limits, self._model, open_bodies,
                                     lambda p, f, lim, s: evaluate(p, f, lim, (*variant[:4], s)))
            with self._lock:
                self._open_readings = found
        return found  # type: ignore[return-value]

    def _weighed(self, predicate: str, row: tuple[Value, ...]
                 ) -> tuple[bool, bool, tuple[OpenQuestion, ...]]:
        """``(allowed, determined, open questions)`` of a yes/no answer: as of a date, an answer that
        depends on what the text leaves open is undetermined and not allowed (deny by default);
        without a date, it is the text's description, which holds once the open question is settled."""
        allowed = row in self._model.get(predicate, frozenset())
        readings = self._readings()
        depends = readings.depends_on(predicate, row) if readings is not None else ()
        if not depends:
            return allowed, True, ()
        questions = tuple(self._open_question(b) for b in depends)
        if self._at is None:
            return allowed, True, questions
        return False, False, questions

    def _weighed_rows(self, predicate: str, bound: Mapping[int, Value], key: Callable[[Row], str]
                      ) -> tuple[list[Row], list[Row], tuple[OpenQuestion, ...]]:
        """The rows of a list answer, the rows the text does not decide for the question's date, and
        what it leaves open that they depend on (naming each answer by ``key``)."""
        rows = self._rows(predicate, bound)
        readings = self._readings()
        if readings is None:
            return rows, [], ()
        differing = readings.differing(predicate, lambda r: all(r[i] == v for i, v in bound.items()))
        if not differing:
            return rows, [], ()
        affected: dict[str, list[str]] = {}
        for row, bodies in sorted(differing.items(), key=lambda item: _row_key(item[0])):
            for body in bodies:
                affected.setdefault(body, []).append(key(row))
        questions = tuple(self._open_question(b, answers) for b, answers in sorted(affected.items()))
        if self._at is None:
            return rows, [], questions
        undetermined = sorted(differing, key=_row_key)
        return [r for r in rows if r not in differing], undetermined, questions

    def _open_question(self, body: str, answers: Sequence[str] = ()) -> OpenQuestion:
        b = self.entity(body, "body")
        proof = self._proof(OPEN, (body,))
        if self._at is not None:
            summary = self._say("the text does not decide whether {body} exists on {date}", body=self._n(b),
                                date=spoken_date(self._lang, self._at))
        else:
            summary = self._say("{body} belongs to a later phase of the build-up, which the text gives no "
                                "date for: this holds once that phase has begun", body=self._n(b))
        return OpenQuestion(subject=b, summary=summary, citation=proof.citation, id=proof.id,
                            answers=tuple(answers), proof=proof)

    # -- interpretations --------------------------------------------------------------------------

    def _text_only(self) -> Policy:
        """This policy without any interpretation (same date and what-if changes), made on first use."""
        if self._text_policy is None:
            text = self._derive(self._at, self._added, self._removed, ())
            with self._lock:
                if self._text_policy is None:
                    self._text_policy = text
        return self._text_policy

    def _resting_on(self, predicate: str, row: tuple[Value, ...], allowed: bool) -> tuple[str, ...]:
        """The adopted interpretations a yes/no answer rests on: none when the text alone answers
        alike; else those its proof uses (a yes), or every adopted one (a no the text would not give)."""
        if not self._adopted:
            return ()
        text = self._text_only()
        if (row in text._model.get(predicate, frozenset())) == allowed:
            return ()
        return self._used(predicate, row) if allowed else self._adopted

    def _rows_resting_on(self, predicate: str, bound: Mapping[int, Value], rows: Sequence[Row],
                         key: Callable[[Row], str]) -> tuple[tuple[str, ...], dict[str, tuple[str, ...]]]:
        """For a list answer: the interpretations all answers rest on, and those of each answer the
        text alone does not give (by the answer's id)."""
        if not self._adopted:
            return (), {}
        text_rows = set(self._text_only()._rows(predicate, bound))
        each: dict[str, tuple[str, ...]] = {}
        for row in rows:
            if row not in text_rows:
                each[key(row)] = self._used(predicate, row)
        used: set[str] = {name for names in each.values() for name in names}
        if text_rows - set(rows):  # the text gives an answer an interpretation takes away
            used.update(self._adopted)
        return tuple(sorted(used)), each

    def _used(self, predicate: str, row: tuple[Value, ...]) -> tuple[str, ...]:
        """The interpretations the proof of a row uses (every adopted one if the proof shows none)."""
        names = {n.interpretation for n in self._proof(predicate, row).walk() if n.interpretation}
        return tuple(sorted(names)) if names else self._adopted

    # -- explanations -----------------------------------------------------------------------------

    def _proof(self, predicate: str, row: tuple[Value, ...]) -> ProofNode:
        with self._lock:
            proof = self._prover.prove(predicate, row)
        assert proof is not None, f"{_text(predicate, row)} is in the model but has no proof"
        return proof

    def _explain_rows(self, predicate: str, rows: Sequence[Row], empty: str) -> Explanation:
        if not rows:
            return Explanation(lang=self._lang, summary=empty)
        proofs = tuple(self._proof(predicate, r) for r in rows)
        return Explanation(lang=self._lang, summary=self._answers_count(len(rows)),
                           proofs=proofs)

    def _explain_first_may(self, decision: Decision) -> Explanation:
        """The explanation of a ``may`` the hot path answered, from the decision's own fields."""
        return self._explain_may(decision.actor, decision.action, decision.object,  # type: ignore[arg-type]
                                 decision.allowed)

    def _explain_may(self, a: Entity, ac: Entity, ob: Entity, allowed: bool, *,
                     questions: tuple[OpenQuestion, ...] = (), determined: bool = True) -> Explanation:
        row = (a.id, ac.id, ob.id)
        opened = tuple(q.proof for q in questions if q.proof is not None)
        actor, action, obj = self._n(a), self._verb(ac), self._n(ob)
        if not determined:
            proofs = ((self._proof("may", row),) if allowed else ()) + opened
            goal = self._say("whether {actor} may {action} {object}", actor=actor, action=action, object=obj)
            return Explanation(lang=self._lang, summary=self._undetermined(goal, questions), proofs=proofs,
                               why_not=None if allowed else self._prover.why_not("may", row, self._lang))
        if allowed:
            proof = self._proof("may", row)
            chain = self._chain(proof)
            how = self._acting_as(proof)
            if len(chain) > 1:
                how += self._say(" by delegation: {chain}", chain=" → ".join(e.name for e in chain))
            basis = _first_citation(proof)
            summary = self._say("{actor} may {action} {object}{how}", actor=actor, action=action, object=obj,
                                how=how) + (f" — « {basis} »" if basis else "")
            resting = self._resting_on("may", row, allowed)
            if resting:
                summary += self._say(" (by interpretation: {names})", names=", ".join(resting))
            return Explanation(lang=self._lang, summary=summary + self._depends(questions),
                               proofs=(proof, *opened), chain=chain)
        why: WhyNot = self._prover.why_not("may", row, self._lang)
        own = [self._verb(self.entity(r[1], "action")) for r in self._rows("may", {0: a.id, 2: ob.id})]
        holders = [self.entity(r[0]) for r in self._rows("may", {1: ac.id, 2: ob.id})]
        alternatives = []
        summary = self._say("{actor} may not {action} {object}.", actor=actor, action=action, object=obj)
        if own:
            doing = self._say_list(own)
            alternatives.append(self._say("{actor} may {actions} {object}", actor=actor, actions=doing,
                                          object=obj))
            summary += " " + self._say("{actor} may {actions} it.", actor=actor, actions=doing, object=obj)
        if holders:
            names = ", ".join(h.name for h in holders)
            alternatives.append(self._say("{action} {object}: {names}", action=action, object=obj,
                                          names=names))
            summary += " " + self._say("To {action} it is for: {names}.", action=action, object=obj,
                                       names=names)
        else:
            summary += " " + self._say("Nobody may {action} it.", action=action, object=obj)
        for task in sorted(t for t, _a, o in self._declared_rows("task", 3) if o == ob.id):
            # what is delegated is a task: "delegate Strategie" asks about "Umsetzung der Strategie"
            named = self._n(self.entity(task, "object"))
            who = ", ".join(self.entity(r[0]).name for r in self._rows("may", {1: ac.id, 2: task}))
            if who:
                alternatives.append(self._say("{action} {object}: {names}", action=action, object=named,
                                              names=who))
                summary += " " + self._say("To {action} {task} it is for: {names}.", action=action,
                                           task=named, names=who)
        summary += self._inactive_note(a) + self._depends(questions)
        return Explanation(lang=self._lang, summary=summary, why_not=why, alternatives=tuple(alternatives),
                           proofs=opened)

    def _inactive_note(self, actor: Entity) -> str:
        """`` Kontaktgremium does not act on 2024-12-31 — « sentence »`` for a body inactive on the date."""
        if self._at is None or (actor.id,) not in self._model.get("inactive", frozenset()):
            return ""
        proof = self._proof("inactive", (actor.id,))
        return " " + self._say("{actor} does not act on {date}", actor=self._n(actor),
                               date=spoken_date(self._lang, self._at)) + (
            f" — « {proof.citation} »" if proof.citation else "") + "."

    def _acting_as(self, proof: ProofNode) -> str:
        """`` as Departementschef DIV, for Steuerungsausschuss`` when a person or role acts for a body."""
        nodes = [n for n in proof.walk() if len(n.args) == 2]
        role = next((n.args[1] for n in nodes if n.predicate == "holds_role"), None)
        body = next((n.args[1] for n in nodes if n.predicate == "represents"), None)
        parts = []
        if role is not None:
            parts.append(self._say("as {role}", role=self._n(self.entity(role))))
        if body is not None:
            parts.append(self._say("for {body}", body=self._n(self.entity(body))))
        return (" " + ", ".join(parts)) if parts else ""

    # -- words ------------------------------------------------------------------------------------

    def _say(self, message: str, **values: str | Named) -> str:
        """``message`` in this policy's language (see :mod:`kdv_policy.policy.wording`)."""
        return say(self._lang, message, **values)

    def _n(self, entity: Entity) -> Named:
        """An entity's name with its German forms, from the organisation directory."""
        forms = self._forms
        if forms is None:
            forms = {e.id: e.forms for e in self._loaded.names if e.forms is not None}
            self._forms = forms
        return Named(entity.name, forms.get(entity.id))

    def _verb(self, action: Entity) -> str:
        """An action as a verb: its id is the English verb, its name the German one."""
        return action.id if self._lang == "en" or action.kind != "action" else action.name

    def _say_list(self, items: Sequence[str]) -> str:
        return ", ".join(items)

    def _answers_count(self, n: int) -> str:
        if n == 1:
            return self._say("1 answer, each with its proof")
        return self._say("{n} answers, each with its proof", n=str(n))

    def _undetermined(self, goal: str, questions: Sequence[OpenQuestion]) -> str:
        """The summary of an answer the text does not decide for the question's date."""
        if self._at is None:
            return self._say("The text does not decide {goal} on this question: {open}. Undetermined, so not "
                             "allowed (deny by default).", goal=goal,
                             open="; ".join(q.render() for q in questions))
        return self._say("The text does not decide {goal} on {date}: {open}. Undetermined, so not allowed "
                         "(deny by default).", goal=goal, date=spoken_date(self._lang, self._at),
                         open="; ".join(q.render() for q in questions))

    def _depends(self, questions: Sequence[OpenQuestion]) -> str:
        """`` It depends on: ...`` for an answer without a date that rests on what the text leaves open."""
        if not questions:
            return ""
        return " " + self._say("It depends on: {open}.", open="; ".join(q.render() for q in questions))

    def _chain(self, proof: ProofNode) -> tuple[Entity, ...]:
        """The delegation chain of a proof, from the original holder to the actor."""
        pairs = [n.args[:2] for n in proof.walk() if n.predicate == "delegates" and len(n.args) >= 2]
        if not pairs:
            return ()
        chain = [pairs[-1][0]]
        for delegator, delegate in reversed(pairs):
            if chain[-1] == delegator:
                chain.append(delegate)
        if not proof.args or chain[-1] != proof.args[0]:
            return ()  # the delegation does not lead to the actor (it acts on a reading of its own)
        return tuple(self.entity(v) for v in chain)

    # -- relations and names ----------------------------------------------------------------------

    def _rows(self, predicate: str, bound: Mapping[int, Value]) -> list[Row]:
        """Rows of a relation with the given positions bound, via an index built on first use."""
        positions = tuple(sorted(bound))
        key = (predicate, positions)
        index = self._indexes.get(key)
        if index is None:
            index = {}
            for row in _sorted_rows(self._model.get(predicate, ())):
                index.setdefault(tuple(row[i] for i in positions), []).append(row)
            with self._lock:
                self._indexes[key] = index
        return index.get(tuple(bound[i] for i in positions), [])

    def entity(self, value: Value, kind: str | None = None) -> Entity:
        """The entity a value of the model stands for (a plain constant when it has no data entry)."""
        value = check.value(value, "the value")
        kind = check.optional_text(kind, "the kind")
        if isinstance(value, str):
            found = self.names.by_id(value, (kind,) if kind else None) or self.names.by_id(value)
            if found is not None:
                return found
        return Entity(id=str(value), name=str(value), kind="constant")

    def _name_index(self) -> NameIndex:
        stored = self._loaded.name_index(self._variant)  # a bundle stores the index it was built with
        if stored is not None:
            return stored
        index = NameIndex()
        add = index.add_checked
        with paused():  # tens of thousands of entities at scale: see kdv_policy.gcpause
            for entry in self._loaded.names:  # validated data: plain strings
                add(make_entity(entry.id, entry.name, entry.kind), (*entry.abbreviations, *entry.aliases))
            known = index._by_id  # read in one pass
            for value in sorted(self._engine.constants()):
                if not known.get(value):
                    add(make_entity(value, value, "constant"))
        functions = index.entities("function")
        if functions:  # a function names the group of roles that have it ("alle Generalsekretäre", "DV")
            holders: dict[str, list[str]] = {}
            for row in _sorted_rows(self._declared_rows("role_of", 3)):
                holders.setdefault(str(row[2]), []).append(str(row[0]))
            for group in functions:
                index.add_group(group, [index.by_id(r, ("role",)) or Entity(id=r, name=r, kind="role")
                                        for r in holders.get(group.id, ())])
        return index

    def _actor(self, name: str) -> Entity:
        """The actor of a ``may`` question: a body, role, person or unit, or a value of the rules
        that acts in them. Any other name is an error, never a silent no."""
        actor = self._resolve(name, ACTOR_KINDS, "actor")
        if actor.kind == "constant" and actor.id not in self._actor_values():
            raise UnknownNameError(name, "actor", self.names.suggest(name, ACTOR_KINDS[:-1]), reason=(
                "it is a value of the rules, not a body, role, person or unit that acts"))
        return actor

    def _actor_values(self) -> frozenset[Value]:
        """The values that act somewhere: the actors of may/3, and every value in an argument
        the declarations name as an actor, body, role, person, delegator or delegate."""
        if self._actors is None:
            values = {row[0] for row in self._model.get("may", ())}
            for predicate, decl in self._program.declarations.items():
                positions = [i for i, p in enumerate(decl.params) if p in _ACTING]
                if positions:
                    values.update(row[i] for row in self._model.get(predicate, ()) for i in positions)
            self._actors = frozenset(values)
        return self._actors

    def _fact(self, fact: object, what: str = "the fact") -> tuple[str, tuple[Value, ...]]:
        """A ground atom of a declared predicate, from text or a (predicate, values) pair, its
        values checked (:mod:`kdv_policy.policy.arguments`)."""
        if not isinstance(fact, str):
            return _ground(fact, self._program.declarations, what)
        fact = check.bounded_text(fact, what, self._limits.max_length)
        source = Source("<fact>", fact)
        query = parse_query(fact, source.path)
        if len(query.body) != 1 or not isinstance(query.body[0], Atom):
            raise QueryError(f"`{fact}` is not a single atom such as `member(body, role)`")
        atom = query.body[0]
        from kdv_policy.language.checker import check_query

        check_query(query, self._program, source)
        if not all(isinstance(t, Constant) for t in atom.args):
            raise QueryError(f"`{format_atom(atom)}` is not ground: write constants, not variables")
        return _declared(atom.predicate, ground_values(atom), self._program.declarations)

    def _is_stated(self, predicate: str, row: tuple[Value, ...]) -> bool:
        """Whether this policy states the fact: a fact of the rules or data, or added by a what-if."""
        if (predicate, row) in self._removed:
            return False
        return (predicate, row) in self._added or self._is_stated_originally(predicate, row)

    def _is_stated_originally(self, predicate: str, row: tuple[Value, ...]) -> bool:
        """Whether the loaded rule or data files state the fact."""
        if any(_key(c.head) == (predicate, row) for c in self._loaded.program.facts):
            return True
        return row in {tuple(r) for r in self._loaded.facts.get(predicate, ())}

    @staticmethod
    def _what_if(loaded: LoadedProgram, added: Iterable[tuple[str, Row]],
                 removed: Iterable[tuple[str, Row]], adopted: tuple[str, ...] = ()
                 ) -> tuple[Program, dict[str, list[Row]]]:
        program = loaded.program.adopting(adopted)
        facts = {p: list(rows) for p, rows in loaded.facts.items()}
        if removed:
            gone = set(removed)
            clauses = tuple(c for c in program.clauses if not (c.is_fact and _key(c.head) in gone))
            program = Program(program.declarations, clauses, program.strata, program.interpretations)
            facts = {p: [r for r in rows if (p, tuple(r)) not in gone] for p, rows in facts.items()}
        for predicate, row in added:
            facts.setdefault(predicate, []).append(row)
        return program, facts

    def __repr__(self) -> str:
        at = f", at={self._at.isoformat()}" if self._at else ""
        return f"Policy({str(self.directory)!r}{at}, version={self._version!r})"


_MISSING = object()




class _DecisionCache:
    """A bounded FIFO cache of answers, kept as plain dicts for lock-free lookups: for the hot
    questions ``by_question[question]`` by its arguments (one argument: the argument itself,
    whose hash a string keeps; more: their tuple), for the others ``mirror`` by key (method,
    *arguments). ``_order`` holds (dict, key) pairs, oldest first; the oldest entry goes when
    the cache is full. Inserts by the general path take the caller's lock; the hot questions
    insert without it (see ``_install_hot_paths``)."""

    HOT = ("may", "who_may", "who_serves")

    def __init__(self, maxsize: int) -> None:
        self.maxsize = maxsize
        self.mirror: dict[tuple[Any, ...], Any] = {}
        self.by_question: dict[str, dict[Any, Any]] = {question: {} for question in self.HOT}
        self._order: collections.deque[tuple[dict[Any, Any], Any]] = collections.deque()

    def __len__(self) -> int:
        return len(self.mirror) + sum(len(hot) for hot in self.by_question.values())

    def _place(self, key: tuple[Any, ...]) -> tuple[dict[Any, Any], Any]:
        hot = self.by_question.get(key[0])
        if hot is None:
            return self.mirror, key
        return hot, key[1] if len(key) == 2 else key[1:]

    def get(self, key: tuple[Any, ...], default: Any) -> Any:
        where, at = self._place(key)
        return where.get(at, default)

    def __setitem__(self, key: tuple[Any, ...], value: Any) -> None:
        where, at = self._place(key)
        if at not in where:
            if len(self._order) >= self.maxsize:
                self._evict()
            self._order.append((where, at))
        where[at] = value

    def _evict(self) -> None:
        try:
            where, at = self._order.popleft()
        except IndexError:  # another thread emptied it meanwhile
            return
        where.pop(at, None)


_Entry = tuple[Entity, str] | Literal[False]
# a list question's answers by its bound values: (answers, rows, their ids, what explains them)
_Listed = tuple[tuple[Entity, ...], list[Row], tuple[str, ...], Callable[[], Explanation]]


_NO_ENTRIES: tuple[_Entry, _Entry, _Entry, _Entry] = (False, False, False, False)
_ACTOR_KINDS = frozenset(ACTOR_KINDS)
_ACTION_KINDS = frozenset({"action", "constant"})
_OBJECT_KINDS = frozenset({"object", "constant"})


def _entry(entity: Entity | None, text: str) -> _Entry:
    return False if entity is None else (entity, text)


class _Fast:
    """What the hot questions asked for the first time need, prepared once per policy
    (:meth:`Policy._fast_tables`): for each id (filled on its first use, from the name index's
    table of ids) the entity it names as an actor, an action, an object and a unit, with the
    text the rule language writes it in; and the answers of the list questions by their bound
    values. Names other than ids, and policies whose answers weigh readings or
    interpretations, take the general path."""

    __slots__ = ("_actor_values", "_by_id", "_longest", "actions", "actors", "may", "objects", "serves",
                 "units", "version", "who_may")

    def __init__(self, by_id: Mapping[str, list[Entity]], longest: int,
                 actor_values: Callable[[], frozenset[Value]]) -> None:
        self._by_id, self._longest, self._actor_values = by_id, longest, actor_values
        # id -> (entity, text), or False when the id names nothing of that kind (ids only: bounded)
        self.actors: dict[str, _Entry] = {}
        self.actions: dict[str, _Entry] = {}
        self.objects: dict[str, _Entry] = {}
        self.units: dict[str, _Entry] = {}
        self.may: frozenset[Row] | None = None
        self.who_may: dict[Row, _Listed] = {}
        self.serves: dict[Row, _Listed] | None = None
        self.version = ""

    def fill(self, value: str) -> tuple[_Entry, _Entry, _Entry, _Entry]:
        """The entries of ``value`` as (unit, actor, action, object), each False when it names no
        such entity (or is no id the fast path takes); kept when ``value`` is an id."""
        entities = self._by_id.get(value) if type(value) is str else None
        if not entities or len(value) > self._longest or not value.strip():
            return _NO_ENTRIES
        text = format_value(value)
        entries: tuple[_Entry, _Entry, _Entry, _Entry]
        if '"?"' in text:
            entries = _NO_ENTRIES
        elif len(entities) == 1:  # most ids name one entity
            entity = entities[0]
            kind, named = entity.kind, (entity, text)
            acts = kind in _ACTOR_KINDS and (kind != "constant" or value in self._actor_values())
            entries = (named, named if acts else False, named if kind in _ACTION_KINDS else False,
                       named if kind in _OBJECT_KINDS else False)
        else:
            actor = next((e for e in entities if e.kind in _ACTOR_KINDS), None)
            if actor is not None and actor.kind == "constant" and value not in self._actor_values():
                actor = None
            action = next((e for e in entities if e.kind in _ACTION_KINDS), None)
            obj = next((e for e in entities if e.kind in _OBJECT_KINDS), None)
            entries = (_entry(entities[0], text), _entry(actor, text), _entry(action, text),
                       _entry(obj, text))
        self.units[value], self.actors[value], self.actions[value], self.objects[value] = entries
        return entries


_UNTABLED_MISSES = 256
"""Misses a policy from a bundle answers by the general path before it builds the hot tables
(unless ``materialise()`` built them)."""


def _install_hot_paths(policy: Policy) -> Callable[[], tuple[int, int]]:
    """Give ``policy`` its own ``may``, ``who_may`` and ``who_serves``: closures that answer a
    cache hit with a call, a dict lookup and a count, and a question asked for the first time
    with ids from the prepared tables (:class:`_Fast`), leaving anything else to the method.

    Apps ask these on every request, so a hit must cost little more than the plain-Python
    floor of docs/performance.md: no method binding, no attribute reads, no key tuple for one
    argument; and a miss no name search, no validation of values made here, and no
    explanation until it is read. (The closures and the policy refer to each other: the
    cyclic collector frees a policy no one uses any more.) Returns a function that tells the
    hits and misses they counted.
    """
    cache = policy._cache
    by_question = cache.by_question
    order, evict, maxsize = cache._order, cache._evict, cache.maxsize
    order_append = order.append
    may_hits, who_may_hits, who_serves_hits = (by_question[q] for q in _DecisionCache.HOT)
    may_get, who_may_get, who_serves_get = may_hits.get, who_may_hits.get, who_serves_hits.get
    audit_logger = AUDIT_LOGGER
    hits = misses = 0
    # a first asking's result: ``object.__new__`` and one dict of values (results.SETTERS); a
    # ``may`` computes its explanation from its fields with one callable shared by every result
    new, set_values = SETTERS
    explain_may = policy._explain_first_may
    explain_list = policy._explain_list

    stored_names: bool | None = None  # whether the name index is a bundle's (read per name)
    untabled = 0  # misses answered by the general path before the tables were built

    def fast() -> _Fast | None:
        nonlocal stored_names, untabled
        tables = policy._fast
        if tables is not _MISSING:
            return tables  # type: ignore[return-value]
        # A policy from a bundle that was not materialised reads a name from the stored index
        # when a question names it: its first questions take the general path, which reads only
        # those, and the tables (which read every name) wait for materialise() or for many misses.
        if stored_names is None:
            stored_names = policy._loaded.name_index(policy._variant) is not None
        if stored_names and untabled < _UNTABLED_MISSES:
            untabled += 1
            return None
        return policy._fast_tables()

    # Each closure below inserts a first answer as ``cache[question, *args] = value`` would, inline
    # and without the lock (``if len(order) >= maxsize: evict()``, ``order_append((hot, args))``,
    # ``hot[args] = value``): each step is one atomic operation on a dict or deque, and threads
    # racing on inserts can at worst evict an entry early or keep one a little longer (the bound
    # on the cache's size holds but for the racing inserts). A result is built inline too:
    # ``new(cls)`` and its dict of values (every field, defaults included, what computes its
    # explanation; for a list, the value of the cached property ``ids`` as well; results.SETTERS).

    def may(actor: str, action: str, object: str) -> Decision:
        nonlocal hits, misses
        args = (actor, action, object)
        try:
            found = may_get(args)
        except TypeError:  # an argument that is no string (may() refuses it)
            return Policy.may(policy, actor, action, object)
        if found is None:
            tables: _Fast | None = policy._fast  # type: ignore[assignment]
            if tables is _MISSING:  # not built yet: from a bundle, not before many misses (fast())
                tables = fast()
            if tables is None or tables.may is None:
                return Policy.may(policy, actor, action, object)
            a = tables.actors.get(actor)
            if a is None:
                a = tables.fill(actor)[1]
            ac = tables.actions.get(action)
            if ac is None:
                ac = tables.fill(action)[2]
            ob = tables.objects.get(object)
            if ob is None:
                ob = tables.fill(object)[3]
            if not a or not ac or not ob:
                return Policy.may(policy, actor, action, object)
            found = new(Decision)
            set_values(found, {
                "question": f"may({a[1]}, {ac[1]}, {ob[1]})", "allowed": args in tables.may,
                "actor": a[0], "action": ac[0], "object": ob[0], "subject": None, "version": tables.version,
                "interpretations": (), "determined": True, "open_questions": (),
                "_explain_from": explain_may})
            misses += 1
            # into the cache (see above)
            if len(order) >= maxsize:
                evict()
            order_append((may_hits, args))
            may_hits[args] = found
            if audit_logger.handlers:
                policy._audit(("may", actor, action, object), found)
            return found
        hits += 1
        if audit_logger.handlers:
            policy._audit(("may", actor, action, object), found)
        return found

    def nothing(question: str, version: str, predicate: str, pattern: tuple[Value | None, ...]
                ) -> Answers[Entity]:
        # a list question without answers (its explanation says why not)
        found: Answers[Entity] = new(Answers)
        set_values(found, {
            "question": question, "answers": (), "version": version, "undetermined": (),
            "open_questions": (), "interpretations": (), "answer_interpretations": {}, "marks": {},
            "_explain": functools.partial(explain_list, predicate, [], pattern), "ids": ()})
        return found

    def listed(question: str, version: str, entry: Any) -> Answers[Entity]:
        # a list question's answers from a prepared table entry (answers, rows, ids, explain)
        found: Answers[Entity] = new(Answers)
        set_values(found, {
            "question": question, "answers": entry[0], "version": version, "undetermined": (),
            "open_questions": (), "interpretations": (), "answer_interpretations": {}, "marks": {},
            "_explain": entry[3], "ids": entry[2]})
        return found

    def who_may(action: str, object: str) -> Answers[Entity]:
        nonlocal hits, misses
        args = (action, object)
        try:
            found = who_may_get(args)
        except TypeError:
            return Policy.who_may(policy, action, object)
        if found is None:
            tables = fast()
            if tables is None or tables.may is None:
                return Policy.who_may(policy, action, object)
            ac = tables.actions.get(action)
            if ac is None:
                ac = tables.fill(action)[2]
            ob = tables.objects.get(object)
            if ob is None:
                ob = tables.fill(object)[3]
            if not ac or not ob:
                return Policy.who_may(policy, action, object)
            entry = tables.who_may.get(args)
            if entry is None:
                found = nothing(f"may(X, {ac[1]}, {ob[1]})", tables.version, "may", (None, action, object))
            else:
                found = listed(f"may(X, {ac[1]}, {ob[1]})", tables.version, entry)
            misses += 1
            # into the cache (see above)
            if len(order) >= maxsize:
                evict()
            order_append((who_may_hits, args))
            who_may_hits[args] = found
            if audit_logger.handlers:
                policy._audit(("who_may", action, object), found)
            return found
        hits += 1
        if audit_logger.handlers:
            policy._audit(("who_may", action, object), found)
        return found

    def who_serves(unit: str) -> Answers[Entity]:
        nonlocal hits, misses
        try:
            found = who_serves_get(unit)
        except TypeError:
            return Policy.who_serves(policy, unit)
        if found is None:
            tables = fast()
            if tables is None or tables.serves is None:
                return Policy.who_serves(policy, unit)
            u = tables.units.get(unit)
            if u is None:
                u = tables.fill(unit)[0]
            if not u:
                return Policy.who_serves(policy, unit)
            entry = tables.serves.get((unit,))
            if entry is None:
                found = nothing(f"serves(X, {u[1]})", tables.version, "serves", (None, unit))
            else:
                found = listed(f"serves(X, {u[1]})", tables.version, entry)
            misses += 1
            # into the cache (see above)
            if len(order) >= maxsize:
                evict()
            order_append((who_serves_hits, unit))
            who_serves_hits[unit] = found
            if audit_logger.handlers:
                policy._audit(("who_serves", unit), found)
            return found
        hits += 1
        if audit_logger.handlers:
            policy._audit(("who_serves", unit), found)
        return found

    for hot in (may, who_may, who_serves):
        functools.update_wrapper(hot, getattr(Policy, hot.__name__))
        setattr(policy, hot.__name__, hot)
    return lambda: (hits, misses)


def _shown(text: object, limit: int = 120) -> str:
    """A path or text an error quotes, cut to ``limit`` characters."""
    text = str(text)
    return text if len(text) <= limit else text[:limit] + "…"


def _adopted(loaded: LoadedProgram, interpretations: Iterable[str] | None) -> tuple[str, ...]:
    """The ids of the interpretations to adopt, sorted: ``interpretations``, or those of the
    directory's ``policy.toml`` when None. An id no rule file declares is refused."""
    if interpretations is None:
        names = list(loaded.configuration.adopt)
    else:
        names = [check.text(i, "an interpretation id")
                 for i in check.many(interpretations, "`interpretations`", "interpretation ids")]
    declared = loaded.program.interpretations
    for name in names:
        if name not in declared:
            hint = did_you_mean(name, list(declared), lambda c: f"`{c}`") if len(name) <= 100 else None
            known = ", ".join(f"`{d}`" for d in sorted(declared)) or "none"
            raise PolicyLoadError(f"the policy declares no interpretation `{_shown(name, 60)}`; "
                                  + (hint or f"its interpretations are: {known}"))
    return tuple(sorted(set(names)))


def _checked_limits(limits: object) -> Limits | QueryLimits | None:
    if limits is None:
        return None
    return check.instance(limits, (Limits, QueryLimits), "`limits`")


def _ground(fact: object, declarations: Mapping[str, Declaration], what: str) -> tuple[str, Row]:
    """A fact given as a (predicate, values) pair, its values checked, of a declared predicate."""
    if not isinstance(fact, (tuple, list)) or len(fact) != 2:
        raise ArgumentError(
            f"{what} must be a string such as `member(body, role)` or a pair (predicate, values) such as "
            f"`(\"member\", (\"body\", \"role\"))`, not {check.kind_of(fact)}")
    predicate = check.text(fact[0], f"the predicate of {what}")
    return _declared(predicate, check.row(fact[1], f"`{predicate[:80]}`"), declarations)


def _declared(predicate: str, row: tuple[Value, ...],
              declarations: Mapping[str, Declaration]) -> tuple[str, tuple[Value, ...]]:
    decl = declarations.get(predicate)
    if decl is None or decl.arity != len(row):
        shown = predicate if len(predicate) <= 80 else predicate[:80] + "…"
        raise QueryError(f"`{shown}/{len(row)}` is not a declared predicate of this policy")
    return predicate, row


def _text(predicate: str, row: tuple[Value, ...]) -> str:
    return format_atom(Atom(predicate, tuple(Constant(v) for v in row)))


def _key(atom: Atom) -> tuple[str, tuple[Value, ...]]:
    return atom.predicate, tuple(t.value for t in atom.args if isinstance(t, Constant))


def _row_key(row: Row) -> tuple[tuple[int, Value], ...]:
    return tuple((0 if isinstance(v, int) else 1 if isinstance(v, datetime.date) else 2, v) for v in row)


def _sorted_rows(rows: Iterable[Row]) -> list[Row]:
    """``sorted(rows, key=_row_key)``, cheaper where it can be: rows whose compared values have
    one type at each position sort alike with or without the key (the key orders types, then
    values), and rows of a relation are distinct. A sort that meets two types at a position it
    decides on raises TypeError, and then the key sorts them (a sorted list has compared each
    adjacent pair, so a sort that raised nothing ordered them as the key would)."""
    try:
        return sorted(rows)
    except TypeError:
        return sorted(rows, key=_row_key)


def _first_citation(proof: ProofNode) -> str | None:
    """The sentence a decision rests on: the stated competence in its proof, if it has one, else
    the first stated fact that is not a delegation, a part or a role assignment."""
    facts = [n for n in proof.walk() if n.kind == "fact" and n.citation]
    for node in facts:
        if node.predicate == "competence":
            return node.citation
    for node in facts:
        if node.predicate not in ("delegates", "part_of", "chair", "represents"):
            return node.citation
    return proof.citation


def _first_citation_of(proof: ProofNode, predicate: str) -> str | None:
    """The sentence the first stated ``predicate`` fact of a proof cites."""
    for node in proof.walk():
        if node.predicate == predicate and node.kind in ("fact", "data") and node.citation:
            return node.citation
    return proof.citation
