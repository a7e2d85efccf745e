"""What a bundle holds, written from an evaluated policy and read back without evaluating.

Sections (JSON; every value of a row is an index into the value table ``values``):

``meta``
    ``schema``, the ``kdv_policy`` version that built it, ``content`` (the hex SHA-256 of the
    policy's files: its version is the same as from the files), ``files`` (the hex SHA-256 of
    every file of the policy directory: :func:`~kdv_policy.policy.bundle.files_digest`),
    ``adopted``, ``language``, the
    ``predicates`` (name, arity) with the section of each relation, the ``variants``.
``program``
    every rule file as ``[shown path, text]`` and the governance text the rules cite: parsed
    and checked again by the project's own parser and checker on load (never run).
``values``
    ``{"strings": [...], "ints": [...], "dates": ["YYYY-MM-DD", ...]}``: index ``i`` is a string,
    then an integer, then a date.
``relation/N``
    ``{"rows": [v, v, ...], "steps": [s, ...]}``: the rows of one relation (flat, ``arity``
    values a row) and the step that first derived each (what proofs read).
``facts``, ``origins``
    the facts the data files state, by predicate, in file order, and ``file:line: entry`` of
    each (what explanations show): read when a derived policy or an explanation needs them.
``names``, ``actions``, ``constants``
    the name table of the data files, the verbs of questions, every constant of the model.
``variant/N``
    the model of another reading of the same files (an open body supposed otherwise, the text
    without the adopted interpretations), as the rows it adds to and removes from the model.
``name_index``, ``names/K``
    the name index the policy built: how many buckets and the groups, then each bucket's ids and
    keys (:func:`name_sections`), so that a lookup decodes one small section (schema 2).
"""

from __future__ import annotations

import datetime
import threading
import zlib
from array import array
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from kdv_policy._version import __version__
from kdv_policy.data.facts import Forms, NameEntry
from kdv_policy.errors import BundleError, Diagnostic, PolicyError, QueryError
from kdv_policy.gcpause import paused
from kdv_policy.language.program import Program
from kdv_policy.language.source import Source
from kdv_policy.language.syntax import Query, Value
from kdv_policy.limits import Limits, QueryLimits
from kdv_policy.policy.bundle.container import Container, encode_section
from kdv_policy.policy.configuration import Configuration
from kdv_policy.policy.loader import Evaluation, LoadedProgram, Variant
from kdv_policy.policy.names import NameIndex

if TYPE_CHECKING:
    from kdv_policy.engine.evaluation import Engine
    from kdv_policy.policy.api import Policy

SCHEMA = 2
SECTIONS = ("meta", "program", "values", "facts", "origins", "names", "actions", "constants", "name_index")
"""The sections every bundle holds, besides one a relation and one a variant (checked on load)."""
Row = tuple[Value, ...]
_MAX_INT = 10**18
_T = TypeVar("_T")


# -- writing ---------------------------------------------------------------------------------------


def sections_of(policy: Policy) -> dict[str, bytes]:
    """Every section of the bundle of ``policy`` (evaluated here, with pyDatalog, if it was not)."""
    from kdv_policy.policy.loader import _source_text
    from kdv_policy.policy.readings import OPEN

    policy.materialise()
    loaded = policy._loaded
    engine = policy._engine
    program = policy.program
    model = policy.model
    predicates = sorted(program.declarations)
    facts = loaded.facts
    variants: list[tuple[tuple[str, ...], tuple[str, ...], Mapping[str, frozenset[Row]]]] = []
    readings = policy._readings() if model.get(OPEN) else None
    if readings is not None:
        for supposed in readings._combinations():
            if supposed:
                variants.append((policy.adopted, tuple(sorted(supposed)), readings._model(supposed)))
    if policy.adopted:
        text = policy._text_only()
        text.materialise()
        variants.append(((), (), text.model))

    values: set[tuple[type, Value]] = set()
    for relation in model.values():
        values.update((type(v), v) for row in relation for v in row)
    for stated in facts.values():
        values.update((type(v), v) for row in stated for v in row)
    for _, _, other in variants:
        for p in predicates:
            values.update((type(v), v) for row in other.get(p, frozenset()) ^ model[p] for v in row)
    constants = engine.constants()
    values.update((str, v) for v in constants)
    strings = sorted(v for t, v in values if isinstance(v, str))
    ints = sorted(v for t, v in values if isinstance(v, int))
    dates = sorted(v for t, v in values if isinstance(v, datetime.date))
    index: dict[tuple[type, Value], int] = {}
    every: list[Value] = [*strings, *ints, *dates]
    for i, v in enumerate(every):
        index[(type(v), v)] = i

    def flat(rows: Iterable[Row]) -> list[int]:
        return [index[(type(v), v)] for row in rows for v in row]

    sections: dict[str, Any] = {}
    relations = []
    steps = engine.steps
    for i, p in enumerate(predicates):
        ordered = sorted(model[p], key=lambda r: [index[(type(v), v)] for v in r])
        name = f"relation/{i}"
        relations.append([p, program.declarations[p].arity, name])
        row_steps = steps[p]
        sections[name] = {"rows": flat(ordered), "steps": [row_steps[r] for r in ordered]}
    variant_meta = []
    for i, (adopted, reading, other) in enumerate(variants):
        added = {p: flat(sorted(other.get(p, frozenset()) - model[p], key=repr)) for p in predicates}
        removed = {p: flat(sorted(model[p] - other.get(p, frozenset()), key=repr)) for p in predicates}
        name = f"variant/{i}"
        sections[name] = {"added": {p: r for p, r in added.items() if r},
                          "removed": {p: r for p, r in removed.items() if r}}
        variant_meta.append({"adopted": list(adopted), "supposed": list(reading), "section": name})
    origins: dict[str, list[list[Any]]] = {}
    for p, stated in facts.items():
        labels = [[i, label] for i, row in enumerate(stated)
                  if (label := loaded.origin(p, tuple(row))) is not None]
        if labels:
            origins[p] = labels
    configuration = loaded.configuration
    sections.update({
        "program": {"files": [[path, source.text] for path, source in loaded.sources.items()],
                    "source_text": _source_text(loaded.directory, policy._all_limits)},
        "values": {"strings": strings, "ints": ints, "dates": [d.isoformat() for d in dates]},
        "facts": {p: flat(stated) for p, stated in facts.items() if stated},
        "origins": origins,
        "names": [[e.id, e.kind, e.name, list(e.abbreviations), list(e.aliases),
                   None if e.forms is None else [e.forms.article, e.forms.nominative, e.forms.genitive,
                                                 e.forms.dative, e.forms.accusative]]
                  for e in loaded.names],
        "actions": [[a, n, list(al), list(f)] for a, n, al, f in loaded.actions],
        "constants": sorted(index[(str, v)] for v in constants),
    })
    sections.update(name_sections(policy.names))
    from kdv_policy.policy.bundle import files_digest

    meta = {"schema": SCHEMA, "kdv_policy": __version__, "content": policy._content.hex(),
            "files": files_digest(loaded.directory),
            "version": policy.version, "directory": loaded.directory.name,
            "adopted": list(policy.adopted),
            "configuration": {"adopt": list(configuration.adopt), "language": configuration.language},
            "predicates": relations, "variants": variant_meta}
    return {"meta": encode_section(meta), **{name: encode_section(v) for name, v in sections.items()}}


def bucket(text: str, buckets: int) -> int:
    """The bucket of the stored name index that holds an id or a key."""
    return zlib.crc32(text.encode("utf-8")) % buckets


def name_sections(index: NameIndex) -> dict[str, Any]:
    """The name index as sections: ``name_index`` (how many buckets, the groups) and a section
    ``names/K`` for each bucket K, holding its ids (``{id: [[place, name, kind], ...]}``) and its
    keys (``{key: [[id, name, kind], ...]}``), so a lookup decodes one small section."""
    entities = [e for es in index._by_id.values() for e in es]
    buckets = 1
    while buckets < 4096 and buckets * NAMES_PER_BUCKET < len(entities):
        buckets *= 2
    parts: list[dict[str, dict[str, list[list[Any]]]]] = [{"ids": {}, "keys": {}} for _ in range(buckets)]
    for place, e in enumerate(entities):
        parts[bucket(e.id, buckets)]["ids"].setdefault(e.id, []).append([place, e.name, e.kind])
    for key in sorted(index._by_key):
        found = index._by_key[key].values()
        parts[bucket(key, buckets)]["keys"][key] = [[e.id, e.name, e.kind] for e in found]
    groups = [[kind, group, [[m.id, m.name, m.kind] for m in members]]
              for (kind, group), members in index._groups.items()]
    return {"name_index": {"buckets": buckets, "groups": groups},
            **{f"names/{k}": part for k, part in enumerate(parts)}}


NAMES_PER_BUCKET = 64
"""About how many entities a bucket of the stored name index holds (its ids; its keys besides)."""


# -- reading ---------------------------------------------------------------------------------------


def _fail(shown: str, what: str) -> BundleError:
    return BundleError(f"`{shown}` is corrupted: {what}")


def _strings(value: object, shown: str, what: str) -> list[str]:
    if not isinstance(value, list) or not all(type(v) is str for v in value):
        raise _fail(shown, f"{what} is not a list of strings")
    return value


def _ints(value: object, shown: str, what: str) -> array[int]:
    if not isinstance(value, list):
        raise _fail(shown, f"{what} is not a list of integers")
    try:
        return array("q", value)
    except (TypeError, OverflowError):
        raise _fail(shown, f"{what} is not a list of integers") from None


class StoredPolicy:
    """The sections of a verified bundle, each decoded and checked on first use."""

    def __init__(self, container: Container, limits: Limits, directory: Path | None = None) -> None:
        self.container = container
        self.limits = limits
        self.shown = shown = container.shown
        self._relocated: tuple[str, str] | None = None
        meta = container.section("meta")
        if directory is not None and isinstance(meta, dict) and isinstance(meta.get("directory"), str):
            # the rule files named where they are now, as loading them from there names them
            from kdv_policy.files import display_path

            now = display_path(directory)
            self._relocated = (meta["directory"] + "/", "" if now == "." else now.rstrip("/") + "/")
        if not isinstance(meta, dict) or meta.get("schema") != SCHEMA:
            raise BundleError(f"`{shown}` holds contents of another schema than {SCHEMA}; build it again "
                              "with this version of kdv_policy")
        try:
            self.content = bytes.fromhex(meta["content"])
            self.version = str(meta["version"])
            self.adopted = tuple(_strings(meta["adopted"], shown, "the adopted interpretations"))
            config = meta["configuration"]
            language = config["language"]
            if language is not None and not isinstance(language, str):
                raise _fail(shown, "its language is no string")
            _strings(config["adopt"], shown, "`adopt`")
            # the bundle adopts what it was built adopting (policy.toml's choice, or the build's options)
            self.configuration = Configuration(None, self.adopted, language)
            self.relations: dict[str, tuple[int, str]] = {}
            for p, arity, name in meta["predicates"]:
                if not (isinstance(p, str) and type(arity) is int and 0 <= arity <= 1000
                        and isinstance(name, str)
                        and name in container):
                    raise _fail(shown, "it lists a relation it cannot read")
                self.relations[p] = (arity, name)
            self.variants: dict[tuple[tuple[str, ...], tuple[str, ...]], str] = {}
            for v in meta["variants"]:
                key = (tuple(_strings(v["adopted"], shown, "a variant")),
                       tuple(_strings(v["supposed"], shown, "a variant")))
                if v["section"] not in container:
                    raise _fail(shown, "it lists a variant it does not hold")
                self.variants[key] = v["section"]
        except (KeyError, TypeError, ValueError, AttributeError) as err:
            if isinstance(err, BundleError):
                raise
            raise _fail(shown, "its description (`meta`) lacks a part or has one of the wrong kind") from None
        missing = [name for name in SECTIONS if name not in container]
        if missing:
            raise BundleError(f"`{shown}` lacks the section `{missing[0]}`: it is incomplete, or of an older "
                              "build; build it again")
        self._values: list[Value] | None = None
        self._rows: dict[str, frozenset[Row]] = {}
        self._steps: dict[str, dict[Row, int]] = {}
        self._cached: dict[str, Any] = {}
        self._lock = threading.RLock()

    # -- the program ---------------------------------------------------------------------------

    def program(self) -> tuple[Program, dict[str, Source], tuple[Diagnostic, ...]]:
        """The rules, parsed and checked again from the text the bundle holds."""
        from kdv_policy.language.checker import analyse
        from kdv_policy.language.parser import parse_program

        section = self.container.section("program")
        shown, limits = self.shown, self.limits
        try:
            files = section["files"]
            source_text = section["source_text"]
            if not isinstance(files, list) or (source_text is not None and not isinstance(source_text, str)):
                raise TypeError
            if source_text is not None and len(source_text.encode("utf-8")) > limits.max_rule_file_bytes:
                raise BundleError(f"the governance text of `{shown}` is larger than the limit "
                                  f"`max_rule_file_bytes` of {limits.max_rule_file_bytes:,} bytes")
            sources = {}
            for path, text in files:
                if not isinstance(path, str) or not isinstance(text, str):
                    raise TypeError
                if len(text.encode("utf-8")) > limits.max_rule_file_bytes:
                    raise BundleError(f"a rule file of `{shown}` is larger than the limit "
                                      "`max_rule_file_bytes` "
                                      f"of {limits.max_rule_file_bytes:,} bytes")
                path = self._relocate(path)
                sources[path] = Source(path, text)
        except (KeyError, TypeError, ValueError) as err:
            if isinstance(err, BundleError):
                raise
            raise _fail(shown, "its rule files are not where they belong") from None
        self.container.release("program")
        try:
            budget = limits.max_items
            modules = []
            for source in sources.values():
                modules.append(parse_program(source.text, source.path, max_items=budget,
                                             max_diagnostics=limits.max_diagnostics_per_file))
                budget -= len(modules[-1].items)
            result = analyse(modules, sources, limits.max_diagnostics_per_file, source_text)
        except PolicyError as err:
            raise BundleError(f"the rules in `{shown}` do not load: {err}") from None
        if result.program is None:
            first = result.errors[0].headline() if result.errors else "they do not check"
            raise BundleError(f"the rules in `{shown}` do not check with this version of kdv_policy: {first}")
        if set(result.program.declarations) != set(self.relations):
            raise _fail(shown, "its relations are not those its rules declare")
        for p, (arity, _) in self.relations.items():
            if result.program.declarations[p].arity != arity:
                raise _fail(shown, f"the relation `{p}` has another arity than its rules declare")
        return result.program, sources, result.warnings

    def _relocate(self, shown: str) -> str:
        """A path (or a ``path:line: entry`` label) of the build, as loading the files from the
        directory the bundle was opened for names it."""
        if self._relocated is not None and shown.startswith(self._relocated[0]):
            return self._relocated[1] + shown[len(self._relocated[0]):]
        return shown

    # -- values and relations ------------------------------------------------------------------

    @property
    def values(self) -> list[Value]:
        found = self._values
        if found is None:
            section = self.container.section("values")
            shown = self.shown
            try:
                strings = _strings(section["strings"], shown, "the value table")
                ints = list(_ints(section["ints"], shown, "the value table"))
                if any(abs(i) >= _MAX_INT for i in ints):
                    raise _fail(shown, "the value table holds an integer over 18 digits")
                dates = [datetime.date.fromisoformat(d)
                         for d in _strings(section["dates"], shown, "the dates")]
            except (KeyError, TypeError, ValueError) as err:
                if isinstance(err, BundleError):
                    raise
                raise _fail(shown, "its value table cannot be read") from None
            found = [*strings, *ints, *dates]
            self._values = found
            self.container.release("values")
        return found

    def rows(self, flat: object, arity: int, what: str) -> list[Row]:
        """Rows from a flat list of value indices."""
        indices = _ints(flat, self.shown, what)
        values = self.values
        if arity == 0:
            raise _fail(self.shown, f"{what} holds values of a relation without arguments")
        if len(indices) % arity or (indices and (min(indices) < 0 or max(indices) >= len(values))):
            raise _fail(self.shown, f"{what} holds a value that is not in its value table")
        if len(indices) // arity > self.limits.max_rows_per_relation:
            raise BundleError(f"{what} of `{self.shown}` holds {len(indices) // arity:,} rows, more than the "
                              f"limit `max_rows_per_relation` of {self.limits.max_rows_per_relation:,}")
        get = values.__getitem__
        if arity == 1:
            return [(v,) for v in map(get, indices)]
        columns = [map(get, indices[k::arity]) for k in range(arity)]
        return list(zip(*columns, strict=True))

    def relation(self, predicate: str) -> tuple[frozenset[Row], dict[Row, int]]:
        """The rows of a relation and the step of each."""
        found = self._rows.get(predicate)
        if found is not None:
            return found, self._steps[predicate]
        with self._lock, paused():  # many small acyclic objects: see kdv_policy.gcpause
            if predicate not in self._rows:
                arity, name = self.relations[predicate]
                section = self.container.section(name)
                what = f"the relation `{predicate}`"
                if not isinstance(section, dict):
                    raise _fail(self.shown, f"{what} cannot be read")
                steps = _ints(section.get("steps"), self.shown, f"the steps of {what}")
                if arity == 0:
                    if len(steps) > 1 or section.get("rows") != []:
                        raise _fail(self.shown, f"{what} cannot be read")
                    rows: list[Row] = [()] * len(steps)
                else:
                    rows = self.rows(section.get("rows"), arity, what)
                if len(rows) != len(steps) or (steps and min(steps) < 0):
                    raise _fail(self.shown, f"{what} has a step for each row no more")
                step_of = dict(zip(rows, steps, strict=True))
                if len(step_of) != len(rows):
                    raise _fail(self.shown, f"{what} holds a row twice")
                self._steps[predicate] = step_of
                self._rows[predicate] = frozenset(step_of)
                self.container.release(name)
        return self._rows[predicate], self._steps[predicate]

    def _once(self, name: str, make: Any) -> Any:
        found = self._cached.get(name, _MISSING)
        if found is _MISSING:
            with self._lock, paused():
                found = self._cached.get(name, _MISSING)
                if found is _MISSING:
                    try:
                        found = make(self.container.section(name))
                    except (KeyError, TypeError, ValueError, AttributeError, IndexError) as err:
                        if isinstance(err, BundleError):
                            raise
                        raise _fail(self.shown, f"its section `{name}` cannot be read") from None
                    self._cached[name] = found
                    self.container.release(name)
        return found

    def facts(self) -> dict[str, list[tuple[Value, ...]]]:
        def make(section: dict[str, Any]) -> dict[str, list[Row]]:
            return {p: self.rows(flat, self.relations[p][0], f"the facts of `{p}`")
                    for p, flat in section.items()}
        result: dict[str, list[Row]] = self._once("facts", make)
        return result

    def origin(self, predicate: str, row: tuple[Value, ...]) -> str | None:
        def make(section: dict[str, Any]) -> dict[tuple[str, Row], str]:
            facts = self.facts()
            found: dict[tuple[str, Row], str] = {}
            for p, labels in section.items():
                rows = facts[p]
                for i, label in labels:
                    if type(i) is not int or not isinstance(label, str):
                        raise TypeError
                    found.setdefault((p, rows[i]), self._relocate(label))
            return found
        origins: dict[tuple[str, Row], str] = self._once("origins", make)
        return origins.get((predicate, tuple(row)))

    def names(self) -> list[NameEntry]:
        def make(section: list[Any]) -> list[NameEntry]:
            entries = []
            for ident, kind, name, abbreviations, aliases, forms in section:
                if not (isinstance(ident, str) and isinstance(kind, str) and isinstance(name, str)):
                    raise TypeError
                shown = self.shown
                entries.append(NameEntry(ident, kind, name, tuple(_strings(abbreviations, shown, "a name")),
                                         tuple(_strings(aliases, shown, "a name")),
                                         None if forms is None else Forms(*_strings(forms, shown, "a form"))))
            return entries
        result: list[NameEntry] = self._once("names", make)
        return result

    def actions(self) -> list[tuple[str, str, tuple[str, ...], tuple[str, ...]]]:
        def make(section: list[Any]) -> list[tuple[str, str, tuple[str, ...], tuple[str, ...]]]:
            return [(*_strings([ident, name], self.shown, "an action"),  # type: ignore[misc]
                     tuple(_strings(aliases, self.shown, "an action")),
                     tuple(_strings(forms, self.shown, "an action")))
                    for ident, name, aliases, forms in section]
        result: list[tuple[str, str, tuple[str, ...], tuple[str, ...]]] = self._once("actions", make)
        return result

    def constants(self) -> set[str]:
        def make(section: list[Any]) -> set[str]:
            values = self.values
            found = set()
            for i in _ints(section, self.shown, "the constants"):
                value = values[i] if 0 <= i < len(values) else None
                if not isinstance(value, str):
                    raise _fail(self.shown, "its constants are not values of its value table")
                found.add(value)
            return found
        result: set[str] = self._once("constants", make)
        return set(result)

    def name_index(self) -> NameIndex:
        """The stored name index: each id and key read from its bucket when first looked up."""
        def make(section: dict[str, Any]) -> NameIndex:
            buckets = section["buckets"]
            if type(buckets) is not int or not 1 <= buckets <= 4096 \
                    or any(f"names/{k}" not in self.container for k in range(buckets)):
                raise _fail(self.shown, "its name index lacks a part")
            groups = []
            for kind, group, members in section["groups"]:
                if not (isinstance(kind, str) and isinstance(group, str) and isinstance(members, list)
                        and all(type(m) is list and len(m) == 3 and type(m[0]) is str and type(m[1]) is str
                                and type(m[2]) is str for m in members)):
                    raise TypeError
                groups.append((kind, group, members))
            return NameIndex.stored(_StoredNames(self, buckets), groups)
        result: NameIndex = self._once("name_index", make)
        return result

    def variant(self, name: str) -> dict[str, tuple[frozenset[Row], frozenset[Row]]]:
        """A variant's changes to the model: by predicate, (rows added, rows removed)."""
        def make(section: dict[str, Any]) -> dict[str, tuple[frozenset[Row], frozenset[Row]]]:
            changes: dict[str, tuple[frozenset[Row], frozenset[Row]]] = {}
            for key in ("added", "removed"):
                for p, flat in section[key].items():
                    if p not in self.relations:
                        raise _fail(self.shown, f"a variant changes `{p}`, which is not declared")
                    rows = frozenset(self.rows(flat, self.relations[p][0], f"a variant of `{p}`"))
                    added, removed = changes.get(p, (frozenset(), frozenset()))
                    changes[p] = (rows, removed) if key == "added" else (added, rows)
            return changes
        result: dict[str, tuple[frozenset[Row], frozenset[Row]]] = self._once(name, make)
        return result

    def materialise(self) -> None:
        for p in self.relations:
            self.relation(p)


_MISSING = object()


class _StoredNames:
    """The buckets of a bundle's name index (:class:`~kdv_policy.policy.names.StoredNames`), each
    decoded and checked when a lookup first reads it."""

    def __init__(self, stored: StoredPolicy, buckets: int) -> None:
        self._stored = stored
        self._buckets = buckets
        self._read: dict[int, tuple[dict[str, list[tuple[int, str, str]]],
                                    dict[str, list[tuple[str, str, str]]]]] = {}

    def _bucket(self, k: int) -> tuple[dict[str, list[tuple[int, str, str]]],
                                       dict[str, list[tuple[str, str, str]]]]:
        found = self._read.get(k)
        if found is None:
            found = self._stored._once(f"names/{k}", lambda section: self._check(section, k))
            self._read[k] = found
        return found

    def _check(self, section: dict[str, Any], k: int) -> tuple[dict[str, list[tuple[int, str, str]]],
                                                              dict[str, list[tuple[str, str, str]]]]:
        ids: dict[str, list[tuple[int, str, str]]] = {}
        for ident, entries in section["ids"].items():
            listed = [(place, name, kind) for place, name, kind in entries]
            if not (listed and bucket(ident, self._buckets) == k and all(
                    type(p) is int and p >= 0 and type(n) is str and type(c) is str for p, n, c in listed)):
                raise TypeError
            ids[ident] = listed
        keys: dict[str, list[tuple[str, str, str]]] = {}
        for key, entries in section["keys"].items():
            listed_keys = [(ident, name, kind) for ident, name, kind in entries]
            if not (bucket(key, self._buckets) == k and all(
                    type(i) is str and type(n) is str and type(c) is str for i, n, c in listed_keys)):
                raise TypeError
            keys[key] = listed_keys
        return ids, keys

    def ids(self, entity_id: str) -> list[tuple[int, str, str]]:
        return self._bucket(bucket(entity_id, self._buckets))[0].get(entity_id, [])

    def key(self, key: str) -> list[tuple[str, str, str]] | None:
        return self._bucket(bucket(key, self._buckets))[1].get(key)

    def every_id(self) -> list[tuple[int, str, str, str]]:
        return [(place, ident, name, kind) for k in range(self._buckets)
                for ident, entries in self._bucket(k)[0].items() for place, name, kind in entries]

    def every_key(self) -> list[str]:
        return sorted(key for k in range(self._buckets) for key in self._bucket(k)[1])


class _Relations(Mapping[str, _T]):
    """A read-only mapping over a stored model's relations, each decoded on first read."""

    def __init__(self, stored: StoredPolicy, get: Any) -> None:
        self._stored = stored
        self._get = get

    def __getitem__(self, predicate: str) -> _T:
        if predicate not in self._stored.relations:
            raise KeyError(predicate)
        found: _T = self._get(predicate)
        return found

    def __contains__(self, predicate: object) -> bool:
        return predicate in self._stored.relations

    def __iter__(self) -> Iterator[str]:
        return iter(self._stored.relations)

    def __len__(self) -> int:
        return len(self._stored.relations)


class StoredModel:
    """The model a bundle stores, behind the interface the answers read (:class:`Evaluation`).

    ``changes`` (a variant's rows added and removed) gives another reading of the same files;
    its steps, which the bundle does not store, are evaluated with the engine when a proof first
    needs them. Ad-hoc queries are answered by the engine (pyDatalog) over the stored rows, which
    it is given on the first query."""

    def __init__(self, stored: StoredPolicy, program: Program, limits: Limits,
                 facts: Mapping[str, Iterable[tuple[Value, ...]]],
                 changes: dict[str, tuple[frozenset[Row], frozenset[Row]]] | None = None) -> None:
        self._stored = stored
        self._program = program
        self._limits = limits
        self._facts = facts
        self._changes = changes
        self._own: dict[str, frozenset[Row]] = {}
        self._engine: Engine | None = None  # for the steps of a variant
        self._query_engine: Engine | None = None
        self._lock = threading.Lock()
        self._model: Mapping[str, frozenset[Row]] = _Relations(stored, self._rows)
        self._step_of: Mapping[str, Mapping[Row, int]] = _Relations(stored, self._steps)

    def _rows(self, predicate: str) -> frozenset[Row]:
        rows = self._stored.relation(predicate)[0]
        if self._changes is None:
            return rows
        own = self._own.get(predicate)
        if own is None:
            added, removed = self._changes.get(predicate, (frozenset(), frozenset()))
            own = (rows - removed) | added if added or removed else rows
            self._own[predicate] = own
        return own

    def _steps(self, predicate: str) -> Mapping[Row, int]:
        if self._changes is None:
            return self._stored.relation(predicate)[1]
        return self._evaluated().steps[predicate]

    def _evaluated(self) -> Engine:
        from kdv_policy.engine.evaluation import Engine

        with self._lock:
            if self._engine is None:
                self._engine = Engine(self._program, self._facts, self._limits)
            return self._engine

    @property
    def model(self) -> Mapping[str, frozenset[Row]]:
        return self._model

    @property
    def steps(self) -> Mapping[str, Mapping[Row, int]]:
        return self._step_of

    def relation(self, predicate: str) -> frozenset[Row]:
        try:
            return self._model[predicate]
        except KeyError:
            raise QueryError(f"predicate `{predicate}` is not declared") from None

    def materialise(self, predicates: Iterable[str] | None = None) -> None:
        """Decode the relations ``predicates`` (every relation when None: the name index too, so
        the first question after ``Policy.materialise()`` reads nothing more from the bundle)."""
        for p in self._stored.relations if predicates is None else predicates:
            self._model[p]
        if predicates is None and self._changes is None:
            self._stored.name_index()

    def constants(self) -> set[str]:
        found = self._stored.constants()
        if self._changes is not None:  # a variant's rows hold values of the same files
            found.update(v for added, _ in self._changes.values() for row in added for v in row
                         if isinstance(v, str))
        return found

    def query(self, query: Query, limits: QueryLimits | None = None) -> tuple[dict[str, Value], ...]:
        from kdv_policy.engine.evaluation import Engine

        with self._lock:
            if self._query_engine is None:
                # the engine over the stored rows, without rules: it only stores and joins them
                program = self._program
                bare = Program(program.declarations, (), program.strata, program.interpretations)
                rows = {p: self._model[p] for p in program.declarations}
                self._query_engine = Engine(bare, rows, self._limits)
            engine = self._query_engine
        return engine.query(query, limits)


@dataclass(frozen=True)
class BundledProgram(LoadedProgram):
    """A policy read from a bundle: what :class:`LoadedProgram` gives, from the stored sections."""

    stored: StoredPolicy | None = field(default=None, repr=False)

    @property
    def _bundle(self) -> StoredPolicy:
        assert self.stored is not None
        return self.stored

    @property
    def content(self) -> bytes:
        return self._bundle.content

    @property
    def datasets(self) -> tuple[Any, ...]:
        return ()

    @property
    def facts(self) -> dict[str, list[tuple]]:
        return self._bundle.facts()

    @property
    def names(self) -> list[NameEntry]:
        return self._bundle.names()

    def origin(self, predicate: str, row: tuple) -> str | None:
        return self._bundle.origin(predicate, row)

    @property
    def actions(self) -> list[tuple[str, str, tuple[str, ...], tuple[str, ...]]]:
        return self._bundle.actions()

    def _built(self, variant: Variant) -> bool:
        """Whether ``variant`` is the one the bundle was built as."""
        at, added, removed, adopted, supposed = variant
        return at is None and not added and not removed and not supposed and adopted == self._bundle.adopted

    def name_index(self, variant: Variant) -> NameIndex | None:
        return self._bundle.name_index() if self._built(variant) else None

    def evaluate(self, program: Program, facts: Mapping[str, Iterable[tuple[Value, ...]]], limits: Limits,
                 variant: Variant) -> Evaluation:
        """The stored model of the variant the bundle was built as, a stored variant (another reading,
        the text alone), or else the engine's evaluation of the rules and data the bundle holds."""
        stored = self._bundle
        at, added, removed, adopted, supposed = variant
        if at is None and not added and not removed:
            if adopted == stored.adopted and not supposed:
                return StoredModel(stored, program, limits, facts)
            name = stored.variants.get((adopted, supposed))
            if name is not None:
                return StoredModel(stored, program, limits, facts, stored.variant(name))
        return super().evaluate(program, facts, limits, variant)


def bundled_program(container: Container, path: Path, limits: Limits,
                    directory: Path | None = None) -> BundledProgram:
    """The policy a verified bundle holds; ``directory``, when given, is where its rule files are
    now (the shipped bundle's: the bundled rules), and the paths explanations show name them there."""
    stored = StoredPolicy(container, limits, directory)
    program, sources, warnings = stored.program()
    # the shipped bundle stands for the rules directory it was built from (a report, the
    # governance text beside the rules): its directory is that one
    return BundledProgram(directory or path, program, sources, warnings, configuration=stored.configuration,
                          stored=stored)
