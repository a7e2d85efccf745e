"""The checks at the boundary of the Python API.

An argument of the wrong type, or a Python value the rule language cannot write, is an
:class:`~kdv_policy.errors.ArgumentError` naming the argument — never a ``TypeError``,
``AttributeError`` or "unhashable type" from deep inside.

Values keep their type. The rule language writes strings, integers and dates
(:data:`~kdv_policy.language.syntax.Value`); Python's ``True == 1 == 1.0`` must not let a
boolean or a float pass for an integer, so both are refused. Every check returns the plain
value: a ``str`` or ``int`` subclass (an enum member) becomes its plain ``str`` or ``int``.
After the check, values that compare equal have the same type, so the API's sets, dicts
and caches compare them by (type, value).
"""

from __future__ import annotations

import datetime
import itertools
import os
from collections.abc import Iterable, Mapping
from typing import Any, TypeVar

from kdv_policy.errors import ArgumentError, QueryError, expect, kind_of
from kdv_policy.language.lexer import MAX_INTEGER
from kdv_policy.language.syntax import Value

T = TypeVar("T")


def text(value: object, what: str) -> str:
    """``value`` as a plain ``str``; anything else is refused."""
    if type(value) is str:
        return value
    if isinstance(value, str):
        return str.__str__(value)
    raise ArgumentError(f"{what} must be a string, not {kind_of(value)}")


def bounded_text(value: object, what: str, max_length: int) -> str:
    """A string of at most ``max_length`` characters (:class:`~kdv_policy.limits.QueryLimits`)."""
    result = text(value, what)
    if len(result) > max_length:
        raise QueryError(f"{what} has {len(result):,} characters, more than the limit of {max_length:,}; "
                         "raise it with `Limits(query=QueryLimits(max_length=...))` if it must be longer")
    return result


def optional_text(value: object, what: str) -> str | None:
    return None if value is None else text(value, what)


def value(v: object, what: str = "a value") -> Value:
    """A value of the rule language (a string, an integer, a date) as its plain type.

    Refused: booleans and floats (Python calls ``True``, ``1`` and ``1.0`` equal; the rule
    language has only the integer), datetimes, integers of more than 18 digits, strings with
    a NUL byte or an unpaired surrogate, and every other type.
    """
    kind = type(v)
    if kind is str:
        return _string(v, what)  # type: ignore[arg-type]
    if kind is int:
        return _integer(v, what)  # type: ignore[arg-type]
    if kind is datetime.date:
        return v  # type: ignore[return-value]
    if isinstance(v, bool):
        raise ArgumentError(f"{what} is the boolean `{v}`, which the rule language cannot write; "
                            "write a constant such as `yes` or an integer instead")
    if isinstance(v, float):
        raise ArgumentError(f"{what} is a float, which the rule language cannot write; "
                            "write an integer or a string instead")
    if isinstance(v, datetime.datetime):
        raise ArgumentError(f"{what} is a datetime, which the rule language cannot write; "
                            "pass its date (`value.date()`)")
    if isinstance(v, str):
        return _string(str.__str__(v), what)
    if isinstance(v, int):
        return _integer(int.__int__(v), what)
    if isinstance(v, datetime.date):
        return datetime.date(v.year, v.month, v.day)
    shown = "`None`" if v is None else f"of type `{type(v).__qualname__}`"
    raise ArgumentError(f"{what} is {shown}, which the rule language cannot write; "
                        "its values are strings, integers and dates")


def _string(v: str, what: str) -> str:
    if "\x00" in v:
        raise ArgumentError(f"{what} holds a NUL byte, which the rule language cannot write")
    try:
        v.encode("utf-8")
    except UnicodeEncodeError:
        raise ArgumentError(f"{what} holds an unpaired surrogate, which is not text the rule language "
                            "can write") from None
    return v


def _integer(v: int, what: str) -> int:
    if not -MAX_INTEGER <= v <= MAX_INTEGER:
        raise ArgumentError(f"{what} is an integer of more than {len(str(MAX_INTEGER))} digits, "
                            "which the rule language cannot write")
    return v


def row(values: object, what: str) -> tuple[Value, ...]:
    """The values of a fact: a tuple or list of rule-language values."""
    if not isinstance(values, (tuple, list)):
        raise ArgumentError(f"the values of {what} must be a tuple or a list, not {kind_of(values)}")
    return tuple(value(v, f"value {i + 1} of {what}") for i, v in enumerate(values))


def many(items: object, what: str, one: str, limit: tuple[str, int] | None = None) -> list[Any]:
    """The items of a collection argument (a list, tuple, set or iterator); a lone string or a
    mapping is refused rather than taken apart. ``limit`` is a limit's name and value: more items
    (an endless iterator included) are refused after reading one more than it allows."""
    if isinstance(items, (str, bytes, bytearray, Mapping)) or not isinstance(items, Iterable):
        raise ArgumentError(f"{what} must be a list of {one}, not {kind_of(items)}; "
                            f"a single one goes in a list: `[...]`")
    if limit is None:
        return list(items)
    name, most = limit
    taken = list(itertools.islice(items, most + 1))
    if len(taken) > most:
        raise QueryError(f"{what} holds more than the limit `{name}` of {most:,} {one}; "
                         f"raise it with `Limits({name}=...)` if the change really needs more")
    return taken


def optional_kinds(kinds: object, what: str, known: Iterable[str]) -> tuple[str, ...] | None:
    """Entity kinds: None (every kind), one kind, or a collection of kinds, each known."""
    if kinds is None:
        return None
    listed = [kinds] if isinstance(kinds, str) else many(kinds, what, "kinds")
    out = tuple(text(k, f"a kind in {what}") for k in listed)
    known = tuple(known)
    for k in out:
        if k not in known:
            raise ArgumentError(f"unknown kind `{k[:80]}` in {what}; the kinds are {', '.join(known)}")
    return out or None


def date(v: object, what: str) -> datetime.date | None:
    """A date, an ISO date string ``YYYY-MM-DD``, or None."""
    if v is None:
        return None
    if isinstance(v, datetime.datetime):
        raise ArgumentError(f"{what} is a datetime; pass its date (`value.date()`)")
    if isinstance(v, datetime.date):
        return datetime.date(v.year, v.month, v.day)
    if isinstance(v, str):
        try:
            return datetime.date.fromisoformat(str.__str__(v))
        except ValueError:
            shown = v if len(v) <= 40 else v[:40] + "…"
            raise ArgumentError(f"`{shown}` is not a date; write YYYY-MM-DD, e.g. 2021-01-01") from None
    raise ArgumentError(f"{what} must be a date or a string YYYY-MM-DD, not {kind_of(v)}")


def path(v: object, what: str) -> str | None:
    """A file system path (a ``str`` or an ``os.PathLike`` giving one), or None."""
    if v is None:
        return None
    if isinstance(v, os.PathLike):
        v = os.fspath(v)
    if not isinstance(v, str):
        raise ArgumentError(f"{what} must be a path, as a string or a `pathlib.Path`, not {kind_of(v)}")
    result = text(v, what)
    if "\x00" in result:
        raise ArgumentError(f"{what} holds a NUL byte, which no path can hold")
    if not result:
        raise ArgumentError(f"{what} is empty; name a file or directory (`.` is the current directory)")
    try:
        os.fsencode(result)
    except UnicodeEncodeError:
        raise ArgumentError(f"{what} holds a character no file name can hold (an unpaired surrogate)") \
            from None
    return result


def integer(v: object, what: str) -> int:
    """An integer (not a boolean)."""
    if isinstance(v, bool) or not isinstance(v, int):
        raise ArgumentError(f"{what} must be an integer, not {kind_of(v)}")
    return int.__int__(v)


def flag(v: object, what: str) -> bool:
    """``True`` or ``False``."""
    if not isinstance(v, bool):
        raise ArgumentError(f"{what} must be True or False, not {kind_of(v)}")
    return v


def instance(v: object, cls: type[T] | tuple[type, ...], what: str) -> T:
    """``v`` if it is an instance of ``cls``."""
    expect(v, cls, what)
    return v  # type: ignore[return-value]
