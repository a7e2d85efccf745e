"""Where each fact of a data file is written, found only when an explanation asks."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import cached_property

from kdv_policy.data.facts import FactValue
from kdv_policy.data.locate import EntryIndex, locate_entry
from kdv_policy.language.source import Source

_EntryFacts = Mapping[str, list[tuple[str, tuple]]]


class Origins:
    """Where each fact of a data file is written, looked up when asked (an explanation shows it):
    ``file:line: entry``, the line being the entry's (a nested entry's ``field`` line if any).

    ``source`` and ``by_entry`` (for each entry, the facts it gives) are functions that compute
    them, called on the first lookup: a load that is never asked for an origin does not pay
    for them. (Two threads may both compute them; either result is the same.)"""

    def __init__(self, source: Callable[[], Source], by_entry: Callable[[], _EntryFacts],
                 field: str | None = None) -> None:
        self._make_source = source
        self._make_entries = by_entry
        self._field = field
        self._labels: dict[str, str] = {}
        self._index: EntryIndex | None = None

    @cached_property
    def _source(self) -> Source:
        return self._make_source()

    @cached_property
    def _entry_of(self) -> dict[tuple[str, tuple[FactValue, ...]], str]:
        entry_of: dict[tuple[str, tuple[FactValue, ...]], str] = {}
        for entry, rows in self._make_entries().items():
            for predicate, row in rows:
                entry_of.setdefault((predicate, row), entry)
        return entry_of

    def get(self, key: tuple[str, tuple[FactValue, ...]]) -> str | None:
        entry = self._entry_of.get(key)
        if entry is None:
            return None
        label = self._labels.get(entry)
        if label is None:
            source = self._source
            if self._index is None:
                self._index = EntryIndex(source)
            where = locate_entry(source, entry, self._field, self._index)
            label = f"{source.path}:{where.line}: {entry}" if where else f"{source.path}: {entry}"
            self._labels[entry] = label
        return label
