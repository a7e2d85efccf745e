"""Names as people type them → entity ids.

Ids, official names, abbreviations and aliases resolve case-insensitively, with
or without umlauts ("für" = "fuer" = "fur"), with `_`, `-` and spaces alike:
"Departement fuer Erziehung und Kultur", "DEK" and "dek" are one department.
An unknown name raises :class:`UnknownNameError` with did-you-mean suggestions,
an ambiguous one :class:`AmbiguousNameError` listing the candidates: never a
silent deny on a typo. A name of a group (a function such as "Generalsekretär" or "DV",
held by several roles) asked for one actor is ambiguous too, its candidates the roles of the
group; a group no role belongs to names no actor.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, Generic, Protocol, TypeVar

from kdv_policy.errors import PolicyError
from kdv_policy.policy import arguments as check
from kdv_policy.policy.results import Entity
from kdv_policy.policy.results import entity as make_entity
from kdv_policy.suggest import suggestions

_UMLAUTS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "æ": "ae", "œ": "oe"})
_SEPARATORS = re.compile(r"[\s_\-–/.,()]+")


def normalise(name: str) -> str:
    """The key a name is looked up by: casefolded, umlauts spelt out, separators as one space."""
    return _fold(unicodedata.normalize("NFC", name).casefold().translate(_UMLAUTS))


def _fold(text: str) -> str:
    if not text.isascii():  # ASCII has nothing to decompose (most ids and names: a fast path)
        text = unicodedata.normalize("NFKD", text)
        text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return _SEPARATORS.sub(" ", text).strip()


def keys(name: str) -> set[str]:
    """Every key a spelling is found under: umlauts spelt out ("fuer") and dropped ("fur")."""
    if name.isascii():  # no umlauts: both keys are the same
        if name.isalnum():  # no separators either (most ids): a fast path
            return {name.lower()}
        return {_SEPARATORS.sub(" ", name.lower()).strip()}
    return {normalise(name), _fold(name.casefold())}


class UnknownNameError(PolicyError, LookupError):
    """A name that matches no entity; ``suggestions`` holds the closest known names."""

    def __init__(self, name: str, kind: str | None, suggestions: list[Entity], *,
                 reason: str | None = None) -> None:
        what = kind or "name"
        hint = ""
        if suggestions:
            listed = ", ".join(f"`{e.name}`" + (f" ({e.id})" if e.id != e.name else "") for e in suggestions)
            hint = f"; did you mean {listed}?"
        head = f"`{name}` is no {what}: {reason}" if reason else f"unknown {what} `{name}`"
        super().__init__(head + hint)
        self.reason = reason
        self.name = name
        self.kind = kind
        self.suggestions = tuple(suggestions)


class AmbiguousNameError(PolicyError, LookupError):
    """A name that matches several entities; ``candidates`` lists them."""

    def __init__(self, name: str, kind: str | None, candidates: list[Entity], *,
                 group: Entity | None = None) -> None:
        listed = ", ".join(f"`{e.name}` ({e.kind} {e.id})" for e in candidates)
        if group is None:
            super().__init__(f"`{name}` is ambiguous: it names {listed}; use the id or the full name")
        else:
            one = kind or "entity"
            super().__init__(f"`{name}` names a group, the {group.kind} `{group.name}`, not one {one}: "
                             f"it is held by {listed}; ask about one of them")
        self.name = name
        self.kind = kind
        self.candidates = tuple(candidates)
        self.group = group


class NameIndex:
    """Resolves names to entities; built once per policy."""

    def __init__(self) -> None:
        # key -> {kind:id -> entity}; keys that name the same entities may share one dict, so a
        # dict is never changed in place: adding to a key replaces its dict
        self._by_key: dict[str, dict[str, Entity]] = {}
        self._by_id: dict[str, list[Entity]] = {}
        self._groups: dict[tuple[str, str], tuple[Entity, ...]] = {}  # (kind, id) of a group -> its members

    def add(self, entity: Entity, *names: str) -> None:
        """Register an entity under its id, official name and any further names."""
        check.instance(entity, Entity, "the entity")
        names = tuple(check.text(n, "a name of the entity") for n in names)
        known = self._by_id.setdefault(entity.id, [])
        if entity not in known:
            known.append(entity)
        slot = f"{entity.kind}:{entity.id}"
        for spelling in (entity.id, entity.name, *names):
            for key in keys(spelling):
                if key:
                    self._by_key[key] = {**self._by_key.get(key, {}), slot: entity}

    def add_checked(self, entity: Entity, names: Iterable[str] = ()) -> None:
        """:meth:`add` for an entity and names the policy made from validated data (plain
        strings): no checks, for building the index of a large directory."""
        entity_id, kind = entity.id, entity.kind
        known = self._by_id.get(entity_id)
        if known is None:
            self._by_id[entity_id] = [entity]
        elif entity not in known:
            known.append(entity)
        slot = f"{kind}:{entity_id}"
        by_key = self._by_key
        alone: dict[str, Entity] | None = None  # the keys that name this entity alone share one dict
        for spelling in (entity_id, entity.name, *names):
            if spelling.isascii():  # keys(spelling), inline: one key
                low = spelling.lower()
                found_keys: Iterable[str] = (low if low.isalnum() else _SEPARATORS.sub(" ", low).strip(),)
            else:
                found_keys = keys(spelling)
            for key in found_keys:
                if key:
                    found = by_key.get(key)
                    if found is None:
                        if alone is None:
                            alone = {slot: entity}
                        by_key[key] = alone
                    elif found is not alone:
                        by_key[key] = {**found, slot: entity}

    def add_group(self, entity: Entity, members: Iterable[Entity]) -> None:
        """Make ``entity`` (added already, e.g. a function) the name of a group: a name of it
        asked for a kind of its members stands for one of ``members`` (none, one or several)."""
        check.instance(entity, Entity, "the group")
        members = tuple(check.instance(m, Entity, "a member of the group") for m in check.many(
            members, "the members", "members"))
        self._groups[(entity.kind, entity.id)] = members

    def group(self, entity: Entity) -> tuple[Entity, ...] | None:
        """The members of a group entity, or None when ``entity`` names no group."""
        check.instance(entity, Entity, "the group")
        return self._groups.get((entity.kind, entity.id))

    def entities(self, kind: str | None = None) -> list[Entity]:
        """Every entity, or those of one ``kind``."""
        kind = check.optional_text(kind, "the kind")
        out = [e for es in self._by_id.values() for e in es]
        return [e for e in out if kind is None or e.kind == kind]

    def by_id(self, entity_id: str, kinds: Iterable[str] | None = None) -> Entity | None:
        """The entity with this id (of one of ``kinds``, when given), or None."""
        if type(entity_id) is not str:
            entity_id = check.text(entity_id, "the id")
        kinds = set(_kinds(kinds)) if kinds else None
        for e in self._by_id.get(entity_id, ()):
            if kinds is None or e.kind in kinds:
                return e
        return None

    def resolve(self, name: str, kinds: Iterable[str] | None = None, what: str | None = None) -> Entity:
        """The one entity ``name`` stands for, among ``kinds`` (all kinds when None).

        ``what`` names the role of the name in the question ("actor", "body") in errors.
        """
        name = check.text(name, "the name")
        kinds = _kinds(kinds) or None
        what = check.optional_text(what, "`what`") or ("/".join(kinds) if kinds else None)
        if not name.strip():
            raise UnknownNameError(name, what, [])
        exact = self.by_id(name, kinds)
        if exact is not None:
            return exact
        found = list(self._by_key.get(normalise(name), {}).values())
        if kinds:
            named = found
            found = [e for e in found if e.kind in kinds]
            found.sort(key=lambda e: kinds.index(e.kind))
            if not found:
                return self._member_of_group(name, named, kinds, what)
        if len({e.id for e in found}) == 1:
            return found[0]  # one constant, perhaps of several kinds (a body that is also a unit)
        if len(found) > 1:
            raise AmbiguousNameError(name, what, sorted(found, key=lambda e: (e.kind, e.id)))
        raise UnknownNameError(name, what, self.suggest(name, kinds))

    def _member_of_group(self, name: str, named: list[Entity], kinds: tuple[str, ...],
                         what: str | None) -> Entity:
        """The one member of kinds ``kinds`` of the group ``name`` names; raises AmbiguousNameError
        for several (the candidates), UnknownNameError for none or when no group is named."""
        for group in sorted(named, key=lambda e: (e.kind, e.id)):
            members = self._groups.get((group.kind, group.id))
            if members is None:
                continue
            members = tuple(m for m in members if m.kind in kinds)
            if len(members) == 1:
                return members[0]
            if members:
                raise AmbiguousNameError(name, what, list(members), group=group)
            raise UnknownNameError(name, what, [], reason=f"it names the {group.kind} `{group.name}`, "
                                                          "which no role of the directory holds")
        raise UnknownNameError(name, what, self.suggest(name, kinds))

    def suggest(self, name: str, kinds: tuple[str, ...] | None = None, limit: int = 3) -> list[Entity]:
        """Up to ``limit`` entities whose names are close to ``name`` (of one of ``kinds``)."""
        name = check.text(name, "the name")
        kinds = _kinds(kinds) or None
        limit = check.integer(limit, "`limit`")
        if limit < 1:
            return []
        keys = [k for k, es in self._by_key.items() if not kinds or any(e.kind in kinds for e in es.values())]
        out: list[Entity] = []
        for key in suggestions(normalise(name), keys, limit=limit * 2, cutoff=0.6):
            for e in self._by_key[key].values():
                if (not kinds or e.kind in kinds) and e not in out:
                    out.append(e)
        return out[:limit]

    def to_data(self) -> dict[str, list[Any]]:
        """The index as plain lists and strings (what a bundle stores); :meth:`from_data` restores it."""
        entities = [e for es in self._by_id.values() for e in es]
        number = {e: i for i, e in enumerate(entities)}
        keys = sorted(self._by_key)  # the same index gives the same data, whatever the order of its sets
        return {"ids": [e.id for e in entities], "names": [e.name for e in entities],
                "kinds": [e.kind for e in entities], "keys": keys,
                "counts": [len(self._by_key[key]) for key in keys],
                "entities": [number[e] for key in keys for e in self._by_key[key].values()],
                "groups": [[kind, group, [[m.id, m.name, m.kind] for m in members]]
                           for (kind, group), members in self._groups.items()]}

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> NameIndex:
        """The index :meth:`to_data` gave (a TypeError, ValueError or IndexError when it is not that)."""
        index = cls()
        entities = [Entity(id=i, name=n, kind=k) for i, n, k in zip(data["ids"], data["names"], data["kinds"],
                                                                      strict=True)]
        by_id = index._by_id
        for e in entities:
            by_id.setdefault(e.id, []).append(e)
        labelled = [(f"{e.kind}:{e.id}", e) for e in entities]
        listed: list[int] = data["entities"]
        by_key = index._by_key
        start = 0
        for key, count in zip(data["keys"], data["counts"], strict=True):
            if type(key) is not str or type(count) is not int or count < 0:
                raise TypeError("a key is a string with a count of entities")
            by_key[key] = dict(labelled[i] for i in listed[start:start + count])
            start += count
        if start != len(listed):
            raise ValueError("the keys name another number of entities")
        for kind, group, members in data["groups"]:
            index._groups[(check.text(kind, "a kind"), check.text(group, "a group"))] = tuple(
                Entity(id=i, name=n, kind=k) for i, n, k in members)
        return index

    @classmethod
    def stored(cls, table: StoredNames, groups: Iterable[tuple[str, str, Iterable[tuple[str, str, str]]]]
               ) -> NameIndex:
        """An index over a stored table of names (a bundle's): an id or a key is looked up in the
        table when first asked, and its entities made then; iterating the index reads it all."""
        index = cls()
        lazy = _Stored(table)
        index._by_id = lazy.by_id  # type: ignore[assignment]
        index._by_key = lazy.by_key  # type: ignore[assignment]
        index._groups = _LazyGroups(lazy, {(kind, group): members for kind, group, members in groups})
        return index


class StoredNames(Protocol):
    """Where a stored name index is read from (:meth:`NameIndex.stored`)."""

    def ids(self, entity_id: str) -> list[tuple[int, str, str]]:
        """The entities of an id: (place in the index, name, kind) each, in the index's order."""

    def key(self, key: str) -> list[tuple[str, str, str]] | None:
        """The entities (id, name, kind) found under a key, in order; None for an unknown key."""

    def every_id(self) -> list[tuple[int, str, str, str]]:
        """Every entity: (place, id, name, kind)."""

    def every_key(self) -> list[str]:
        """Every key, in order."""


class _Stored:
    """The dicts of a stored name index, each entry made when first read."""

    def __init__(self, table: StoredNames) -> None:
        self.table = table
        self.made: dict[tuple[str, str, str], Entity] = {}
        self.by_id = _LazyMap(self._all_ids, self._one_id)
        self.by_key = _LazyMap(self._all_keys, self._one_key)

    def entity(self, entity_id: str, name: str, kind: str) -> Entity:
        found = self.made.get((entity_id, name, kind))
        if found is None:
            # what the policy's validated data made: built without validating again
            found = self.made[(entity_id, name, kind)] = make_entity(entity_id, name, kind)
        return found

    def _one_id(self, entity_id: str) -> list[Entity] | None:
        found = self.table.ids(entity_id)
        return [self.entity(entity_id, name, kind) for _, name, kind in found] if found else None

    def _all_ids(self) -> dict[str, list[Entity]]:
        out: dict[str, list[Entity]] = {}
        for _, ident, name, kind in sorted(self.table.every_id()):
            out.setdefault(ident, []).append(self.entity(ident, name, kind))
        return out

    def _one_key(self, key: str) -> dict[str, Entity] | None:
        found = self.table.key(key)
        if found is None:
            return None
        return {f"{k}:{i}": self.entity(i, n, k) for i, n, k in found}

    def _all_keys(self) -> dict[str, dict[str, Entity]]:
        return {key: self._one_key(key) or {} for key in self.table.every_key()}


class _LazyGroups(dict[tuple[str, str], tuple[Entity, ...]]):
    """The groups of a stored index: a group's member entities are made when it is first read."""

    def __init__(self, stored: _Stored,
                 members: dict[tuple[str, str], Iterable[tuple[str, str, str]]]) -> None:
        super().__init__()
        self._stored = stored
        self._members = members

    def get(self, key: tuple[str, str], default: Any = None) -> Any:
        found = super().get(key)
        if found is None:
            listed = self._members.get(key)
            if listed is None:
                return default
            found = tuple(self._stored.entity(i, n, k) for i, n, k in listed)
            self[key] = found
        return found

    def _all(self) -> None:
        for key in self._members:
            self.get(key)

    def items(self) -> Any:
        self._all()
        return super().items()

    def values(self) -> Any:
        self._all()
        return super().values()

    def __iter__(self) -> Iterator[tuple[str, str]]:
        self._all()
        return super().__iter__()

    def __len__(self) -> int:
        return len(self._members)


_V = TypeVar("_V")


class _LazyMap(Generic[_V]):
    """The dict operations :class:`NameIndex` uses, over a stored table: a lookup makes one entry;
    iterating or changing it makes every entry first (a plain dict from then on)."""

    def __init__(self, every: Callable[[], dict[str, _V]], one: Callable[[str], _V | None]) -> None:
        self._every = every
        self._one = one
        self._made: dict[str, _V] = {}
        self._full: dict[str, _V] | None = None

    def _all(self) -> dict[str, _V]:
        if self._full is None:
            self._full = self._every()
        return self._full

    def get(self, key: str, default: Any = None) -> Any:
        if self._full is not None:
            return self._full.get(key, default)
        found = self._made.get(key)
        if found is None:
            found = self._one(key)
            if found is None:
                return default
            self._made[key] = found
        return found

    def __getitem__(self, key: str) -> _V:
        found = self.get(key, _ABSENT)
        if found is _ABSENT:
            raise KeyError(key)
        return found

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self.get(key, _ABSENT) is not _ABSENT

    def setdefault(self, key: str, default: _V) -> _V:
        return self._all().setdefault(key, default)

    def __setitem__(self, key: str, value: _V) -> None:
        self._all()[key] = value

    def items(self) -> Iterable[tuple[str, _V]]:
        return self._all().items()

    def values(self) -> Iterable[_V]:
        return self._all().values()

    def __iter__(self) -> Iterator[str]:
        return iter(self._all())

    def __len__(self) -> int:
        return len(self._all())


_ABSENT = object()


def _kinds(kinds: object) -> tuple[str, ...]:
    """Kinds of entity: none, one kind, or a collection of kinds."""
    if kinds is None:
        return ()
    listed = [kinds] if isinstance(kinds, str) else check.many(kinds, "`kinds`", "kinds")
    return tuple(check.text(k, "a kind") for k in listed)
