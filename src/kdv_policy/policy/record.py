"""The shared base of the result and explanation types: frozen dataclasses with the surface
code, tests and documentation read of them — ``model_dump``, ``model_dump_json``,
``model_copy``, ``model_fields`` — named as pydantic names them, so that code written for the
models they were reads them unchanged.

Results are built on every question and read by programs that checked their values already:
they are plain frozen dataclasses, not validated models (pydantic validates the data files,
where input comes from people). Importing this module imports nothing but the standard library.
"""

from __future__ import annotations

import dataclasses
import datetime
import json
from collections.abc import Iterable, Mapping
from typing import Any, ClassVar

PRIVATE_PREFIX = "_"
"""Entries of a record's ``__dict__`` that are no field and no cached value, e.g. the callable
that computes a result's explanation: a copy keeps them."""


def doc(description: str) -> dict[str, str]:
    """The metadata of a documented field, its description as :attr:`Record.model_fields`
    shows it: ``id: str = field(metadata=doc("the constant that stands for it"))``."""
    return {"description": description}


@dataclasses.dataclass(frozen=True)
class FieldInfo:
    """What :attr:`Record.model_fields` tells of a field: its type, default and description."""

    name: str
    annotation: Any
    description: str | None
    default: Any = dataclasses.MISSING
    default_factory: Any = dataclasses.MISSING

    def is_required(self) -> bool:
        """Whether a value must be given (it has no default)."""
        return self.default is dataclasses.MISSING and self.default_factory is dataclasses.MISSING


class _FieldsOf:
    """``Record.model_fields``: the fields of the class it is read from, by name, in order."""

    def __get__(self, instance: object, owner: type) -> dict[str, FieldInfo]:
        found: dict[str, FieldInfo] | None = owner.__dict__.get("_model_fields")
        if found is None:
            found = {f.name: FieldInfo(f.name, f.type, f.metadata.get("description"), f.default,
                                       f.default_factory)
                     for f in dataclasses.fields(owner)}
            type.__setattr__(owner, "_model_fields", found)
        return found


_SCALARS = frozenset({"str", "bool", "int", "None"})


def _scalar(annotation: object) -> bool:
    """Whether a field's values are plain JSON scalars that a dump takes as they are, as its
    annotation says (``str | None``, ``bool``, ``Literal["a", "b"]``); any other is dumped value
    by value."""
    if not isinstance(annotation, str):
        return False
    return all(part in _SCALARS or (part.startswith("Literal[") and part.endswith("]") and "|" not in part)
               for part in annotation.split(" | "))


class _Plan:
    """How a record class is dumped: its fields' values as they are (in declaration order),
    those that are no plain scalar then dumped within, then the computed fields."""

    __slots__ = ("computed", "names", "nested")

    def __init__(self, cls: type) -> None:
        fields = dataclasses.fields(cls)
        self.names = tuple(f.name for f in fields)
        self.nested = tuple(f.name for f in fields if not _scalar(f.type))
        self.computed: tuple[str, ...] = cls._computed  # type: ignore[attr-defined]


def _plan(cls: type) -> _Plan:
    plan: _Plan | None = cls.__dict__.get("_dump_plan")
    if plan is None:
        plan = _Plan(cls)
        type.__setattr__(cls, "_dump_plan", plan)
    return plan


def _dump_record(record: Record, as_json: bool, exclude: Iterable[str] | None) -> dict[str, Any]:
    plan = _plan(type(record))
    values = record.__dict__
    names = plan.names
    # the fields only, in declaration order (as __init__ and set_values set them); else beside
    # them what explains a result, or cached values
    out = dict(values) if len(values) == len(names) else {name: values[name] for name in names}
    for name in plan.nested:
        value = out[name]
        if value is not None:
            out[name] = _dump(value, as_json)  # in place: the keys keep their order
    for name in plan.computed:
        if not exclude or name not in exclude:
            out[name] = _dump(getattr(record, name), as_json)
    if exclude:
        for name in exclude:
            out.pop(name, None)
    return out


def _dump(value: Any, as_json: bool) -> Any:
    kind = type(value)
    if kind is str or kind is bool or kind is int or value is None:
        return value
    if isinstance(value, Record):
        return _dump_record(value, as_json, None)
    if kind is tuple or kind is list:
        items = [v if (k := type(v)) is str or k is int or k is bool or v is None else _dump(v, as_json)
                 for v in value]
        return items if as_json or kind is list else tuple(items)
    if kind is dict:
        return {key: v if (k := type(v)) is str or k is int or k is bool or v is None else _dump(v, as_json)
                for key, v in value.items()}
    if as_json and isinstance(value, datetime.date):
        return value.isoformat()
    return value


_JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
"""Compact JSON with non-ASCII characters as they are: what pydantic's ``model_dump_json`` wrote."""


class Record:
    """The base of a frozen record dataclass: ``@dataclass(frozen=True, kw_only=True)`` on a
    subclass, its fields documented with :func:`doc`.

    Dumps list the fields in declaration order, then the computed fields the class names in
    ``_computed`` (properties, read when dumped); nested records, tuples and dicts are dumped
    within (tuples stay tuples in the ``python`` mode, become lists in ``json``, where dates
    become ``YYYY-MM-DD``).
    """

    _computed: ClassVar[tuple[str, ...]] = ()
    """Properties a dump includes after the fields, as pydantic's computed fields."""

    model_fields: ClassVar[dict[str, FieldInfo]] = _FieldsOf()  # type: ignore[assignment]
    """The fields by name, in declaration order, each with its type, default and description."""

    def model_dump(self, *, mode: str = "python", exclude: Iterable[str] | None = None) -> dict[str, Any]:
        """The record as a dict: every field, then the computed ones, less those in ``exclude``;
        ``mode="json"`` gives only JSON values (lists for tuples, dates as text)."""
        if mode not in ("python", "json"):
            raise ValueError(f"`mode` must be `python` or `json`, not `{mode}`")
        return _dump_record(self, mode == "json", exclude)

    def model_dump_json(self, *, exclude: Iterable[str] | None = None) -> str:
        """The record as compact JSON text (non-ASCII characters as they are)."""
        return _JSON.encode(_dump_record(self, True, exclude))

    def model_copy(self, *, update: Mapping[str, Any] | None = None) -> Any:
        """A copy, with the fields in ``update`` changed (not checked); values computed from
        the fields (a cached explanation, ``ids``) are computed again for a changed copy."""
        values = dict(self.__dict__)
        if update:
            fields = self.model_fields
            values = {k: v for k, v in values.items() if k in fields or k.startswith(PRIVATE_PREFIX)}
            values.update(update)
        copied = object.__new__(type(self))
        set_values(copied, values)
        return copied


set_values = Record.__dict__["__dict__"].__set__
"""``set_values(record, values)``: gives a record made by ``object.__new__`` its values, the
whole ``__dict__`` at once, without the dataclass's ``__init__`` and its one
``object.__setattr__`` a field: for results built from values the policy made and checked
already. ``values`` holds every field, defaults included, in declaration order (dumps list
them in the order of the ``__dict__``), then anything else the record keeps."""
