"""Where a problem of a data file is: TOML syntax errors and validation errors → diagnostics
with spans, and the line of an entry (``units.div``, ``persons.erika_muster.roles[0]``)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, get_args

import tomli
from pydantic import BaseModel, ValidationError

from kdv_policy.data.model import DirectoryError
from kdv_policy.errors import Diagnostic, PolicyLoadError, Severity
from kdv_policy.language.source import Source, Span
from kdv_policy.suggest import did_you_mean

_TOML_POSITION = re.compile(r"\s*\(at line (\d+), column (\d+)\)$")


def toml_error(err: tomli.TOMLDecodeError, source: Source) -> PolicyLoadError:
    message = str(err)
    found = _TOML_POSITION.search(message)
    line, col = (int(found.group(1)), int(found.group(2))) if found else (1, 1)
    reason = message[: found.start()] if found else message
    reason = reason[:1].lower() + reason[1:]
    span = Span(source.path, line, col, line, col + 1)
    diag = Diagnostic("data-syntax", Severity.ERROR, f"invalid TOML: {reason}", span,
                      "see https://toml.io for the syntax of TOML", source)
    return PolicyLoadError(f"{source.path}:{line}:{col}: invalid TOML: {reason}", (diag,))


def validation_error(err: ValidationError, raw: dict, source: Source,
                      root: type[BaseModel]) -> PolicyLoadError:
    """One error naming every problem: a line ``file: entry: message`` each, and a diagnostic
    each pointing at the entry's ``id = ...`` line when it can be found."""
    problems: list[tuple[str, str, Span | None]] = []
    for e in err.errors():
        loc = e["loc"]
        context = e.get("ctx") or {}
        if isinstance(context.get("error"), DirectoryError):
            for problem in context["error"].problems:
                problems.append((problem.entry, problem.message,
                                 locate_entry(source, problem.entry, problem.field)))
            continue
        entry, fields = _entry_of(loc, raw)
        problems.append((entry, _message(e, fields, root), locate_entry(source, entry)))
    lines = [f"{source.path}: {entry}: {message}" for entry, message, _ in problems]
    diags = tuple(Diagnostic("data-invalid", Severity.ERROR,
                             f"{entry}: {message}" if span else f"{source.path}: {entry}: {message}",
                             span, None, source)
                  for entry, message, span in problems)
    return PolicyLoadError("\n".join(lines), diags)


def _entry_of(loc: tuple, raw: dict) -> tuple[str, tuple]:
    """The entry a pydantic error location points into, and the field path within it:
    (``units.div``, ``("parent",)``), or for a table nested in an entry
    (``persons.erika_muster.roles[0]``, ``("from",)``). An entry without an id is named by
    its position: ``units[1]``."""
    if not loc:
        return "(file)", ()
    table = str(loc[0])
    if len(loc) == 1:
        return f"[[{table}]]", ()
    if not isinstance(loc[1], int):
        return table, loc[1:]
    rows = raw.get(table)
    row = rows[loc[1]] if isinstance(rows, list) and loc[1] < len(rows) else None
    key = row.get("id", row.get("number")) if isinstance(row, dict) else None
    entry = (f"{table}.{key}" if isinstance(key, (str, int)) and not isinstance(key, bool)
             else f"{table}[{loc[1]}]")
    fields = loc[2:]
    # a table nested in the entry, such as [[persons.roles]]: the entry is the nested table
    if len(fields) >= 2 and isinstance(fields[1], int) and isinstance(row, dict):
        nested = row.get(fields[0])
        if isinstance(nested, list) and fields[1] < len(nested) and isinstance(nested[fields[1]], dict):
            return f"{entry}.{fields[0]}[{fields[1]}]", fields[2:]
    return entry, fields


def _field_path(fields: tuple) -> str:
    """``aliases[1]`` for ``("aliases", 1)``, ``a.b`` for ``("a", "b")``."""
    out = ""
    for f in fields:
        out += f"[{f}]" if isinstance(f, int) else (f".{f}" if out else str(f))
    return out


def _field_names(model: type[BaseModel]) -> list[str]:
    """The fields of a model as a file spells them (their alias, e.g. ``from``)."""
    return [info.alias or name for name, info in model.model_fields.items()]


def _model_at(root: type[BaseModel], path: tuple) -> type[BaseModel] | None:
    """The model of the table that a location's ``path`` (without its last part) leads into."""
    model: type[BaseModel] = root
    for part in path:
        if isinstance(part, int):
            continue
        info = next((i for n, i in model.model_fields.items() if (i.alias or n) == part), None)
        inner = [a for a in get_args(info.annotation) if isinstance(a, type) and issubclass(a, BaseModel)] \
            if info is not None else []
        if not inner:
            return None
        model = inner[0]
    return model


_ID_FIELDS = ("id", "kind", "parent", "unit", "function", "role")


def _message(e: Mapping[str, Any], fields: tuple, root: type[BaseModel]) -> str:
    name = _field_path(fields)
    kind = e["type"]
    if kind == "missing":
        return f"missing field `{name}`"
    if kind == "extra_forbidden" and len(e["loc"]) == 1:
        known = _field_names(root)
        hint = did_you_mean(str(e["loc"][0]), known, lambda c: f"`[[{c}]]`")
        return "unknown table" + (f"; {hint}" if hint else f"; the tables are {', '.join(known)}")
    if kind == "extra_forbidden":
        model = _model_at(root, e["loc"][:-1])
        known = _field_names(model) if model else []
        hint = did_you_mean(name, known)
        return f"unknown field `{name}`" + (f"; {hint}" if hint else f"; the fields are {', '.join(known)}")
    if kind == "string_pattern_mismatch" and fields and fields[-1] in _ID_FIELDS:
        return (f"`{name}` must be a lowercase id (letters a-z, digits, `_`, starting with a letter), "
                f"not `{e['input']}`")
    if kind == "string_pattern_mismatch":
        return f"`{name}` must not be blank"
    if kind in ("tuple_type", "list_type") and not fields:
        table = e["loc"][0]
        return f"`{table}` must be an array of tables: write `[[{table}]]` above each entry"
    if kind in ("tuple_type", "list_type") and _model_at(root, e["loc"]) is not None:
        table = f"{e['loc'][0]}.{fields[-1]}"
        return f"`{name}` must be an array of tables: write `[[{table}]]` above each entry"
    if kind in ("tuple_type", "list_type"):
        return f'`{name}` must be a list of strings, e.g. `{name} = ["..."]`'
    if kind.startswith("date_"):
        return f"`{name}` must be a TOML date written without quotes, e.g. `{name} = 2020-12-31`"
    text = e["msg"]
    text = text[:1].lower() + text[1:]
    return f"`{name}`: {text}" if name else text


_ENTRY = re.compile(r"^(?P<table>[A-Za-z_]+)(?:\.(?P<key>[^.\[\]]+)|\[(?P<index>\d+)\])"
                    r"(?:\.(?P<sub>[A-Za-z_]+)\[(?P<subindex>\d+)\])?$")
_HEADER = re.compile(r"^\s*\[\[\s*([A-Za-z_][A-Za-z0-9_.]*)\s*\]\]")


class EntryIndex:
    """The lines of a data file, and where each entry's ``id =`` line and each ``[[table]]``
    header is, found in one pass (locating entries one by one would rescan the file each time)."""

    def __init__(self, source: Source) -> None:
        self.lines = source.text.splitlines()
        self.by_key: dict[tuple[str, str], int] = {}
        self.by_index: dict[tuple[str, int], int] = {}
        key_line = re.compile(r"""^\s*(?:id\s*=\s*["']([^"']*)["']|number\s*=\s*(\S+?))\s*(?:#.*)?$""")
        counts: dict[str, int] = {}
        current = None
        for number, line in enumerate(self.lines, start=1):
            header = _HEADER.match(line)
            if header:
                current = header.group(1)
                counts[current] = counts.get(current, -1) + 1
                self.by_index[(current, counts[current])] = number
                continue
            found = key_line.match(line) if current is not None else None
            if found and current is not None:
                self.by_key.setdefault((current, found.group(1) or found.group(2)), number)

    def entry_line(self, table: str, key: str | None, index: int | None) -> int | None:
        if key is not None:
            return self.by_key.get((table, key))
        return self.by_index.get((table, index)) if index is not None else None


def locate_entry(source: Source, entry: str, field: str | None = None,
                  index: EntryIndex | None = None) -> Span | None:
    """Where an entry (``units.div``, ``units[1]``, ``persons.erika_muster.roles[0]``) is
    written: its ``id = ...`` line (or the header of an entry without an id); for a table
    nested in an entry, its ``field = ...`` line, else its ``[[table.sub]]`` header."""
    found = _ENTRY.match(entry)
    if found is None:
        return None
    table, key, position = found["table"], found["key"], found["index"]
    if index is not None:
        number = index.entry_line(table, key, None if position is None else int(position))
        lines = index.lines
    else:
        number = _entry_line(source, table, key, None if position is None else int(position))
        lines = source.text.splitlines()
    if number is None:
        return None
    if found["sub"] is None:
        return _line_span(source, number, lines[number - 1])
    sub, wanted = f"{table}.{found['sub']}", int(found["subindex"])
    count, start = -1, None
    for at in range(number, len(lines)):  # the lines after the entry's own line
        header = _HEADER.match(lines[at])
        if header:
            if start is not None or not header.group(1).startswith(f"{table}."):
                break
            if header.group(1) == sub:
                count += 1
                if count == wanted:
                    start = at + 1
                    if field is None:
                        break
            continue
        if start is not None and re.match(rf"^\s*{re.escape(field or '')}\s*=", lines[at]):
            return _line_span(source, at + 1, lines[at])
    if start is not None:
        return _line_span(source, start, lines[start - 1])
    return _line_span(source, number, lines[number - 1])


def _entry_line(source: Source, table: str, key: str | None, index: int | None) -> int | None:
    """The line of an entry of ``[[table]]``: its ``id = "key"`` (or ``number = key``) line,
    else the header of its ``index``-th ``[[table]]``."""
    current = None
    count = -1
    wanted = None
    if key is not None:
        quoted = re.escape(key)
        wanted = re.compile(rf"""^\s*(id\s*=\s*["']{quoted}["']|number\s*=\s*{quoted})\s*(#.*)?$""")
    for number, line in enumerate(source.text.splitlines(), start=1):
        found = _HEADER.match(line)
        if found:
            current = found.group(1)
            if current == table:
                count += 1
                if wanted is None and index == count:
                    return number
            continue
        if current == table and wanted is not None and wanted.match(line):
            return number
    return None


def _line_span(source: Source, number: int, line: str) -> Span:
    col = len(line) - len(line.lstrip()) + 1
    return Span(source.path, number, col, number, len(line.rstrip()) + 1)
