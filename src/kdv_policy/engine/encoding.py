"""Values <-> the private string tokens pyDatalog sees (pyDatalog defects D2-D5).

pyDatalog rewrites some constants: the strings ``'True'``/``'False'`` become booleans (D2),
``'??'`` becomes a generated name (D3), ``1``, ``1.0`` and ``True`` are one constant (D4) and
floats are rounded (D5). Every value is therefore stored as a lowercase-prefixed string token
that pyDatalog keeps as it is, and decoded on the way out.
"""

from __future__ import annotations

import datetime

from kdv_policy.errors import EngineError
from kdv_policy.language.lexer import MAX_INTEGER
from kdv_policy.language.syntax import Value

_INT_OFFSET = MAX_INTEGER + 1
_INT_WIDTH = len(str(2 * MAX_INTEGER + 1))


def encode(value: Value) -> str:
    """The private token of a value.

    pyDatalog only ever sees these lowercase-prefixed strings, which it keeps as they are
    (D2 'True', D3 '??', D4 1 == True == 1.0, D5 floats) and never takes for variables.
    Tokens order like their values, with int < date < str, so pyDatalog's own string
    comparison decides ``<``; equal tokens are equal values of one type (1 != "1").
    """
    if isinstance(value, (bool, datetime.datetime)):
        raise EngineError(f"`{value!r}` is not a value of the rule language (strings, integers, dates)")
    if isinstance(value, int):
        if abs(value) > MAX_INTEGER:
            raise EngineError(f"integer `{value}` is out of range (at most {len(str(MAX_INTEGER))} digits)")
        return f"a:{value + _INT_OFFSET:0{_INT_WIDTH}d}"
    if isinstance(value, datetime.date):
        return "b:" + value.isoformat()
    if isinstance(value, str):
        return "c:" + value
    raise EngineError(f"`{value!r}` is not a value of the rule language (strings, integers, dates)")


class Encoder:
    """:func:`encode` with one token object per distinct string (strings are most values)."""

    def __init__(self) -> None:
        self._strings: dict[str, str] = {}

    def __call__(self, value: Value) -> str:
        if type(value) is str:
            token = self._strings.get(value)
            if token is None:
                token = self._strings[value] = "c:" + value
            return token
        return encode(value)


def decode(token: str) -> Value:
    """The value of a token made by :func:`encode`."""
    kind, text = token[0], token[2:]
    if kind == "a":
        return int(text) - _INT_OFFSET
    if kind == "b":
        return datetime.date.fromisoformat(text)
    return text
