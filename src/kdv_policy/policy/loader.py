"""Files → checked program: find a policy directory's rule files, parse and check them.

Loading is all-or-nothing: :func:`load_program` either returns a checked
program or raises a :class:`~kdv_policy.errors.PolicyError` carrying every
problem found, and never returns a partial program.
"""

from __future__ import annotations

import dataclasses
import datetime
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from kdv_policy.data.facts import DataSet, NameEntry
from kdv_policy.errors import (
    Diagnostic,
    PolicyCheckError,
    PolicyLoadError,
    PolicySyntaxError,
    Severity,
    expect,
    shorten,
)
from kdv_policy.files import check_inside, display_path, file_error, raise_limit_help, read_text
from kdv_policy.gcpause import paused
from kdv_policy.language.checker import CheckResult, analyse
from kdv_policy.language.parser import parse_program
from kdv_policy.language.program import Program
from kdv_policy.language.quotes import SOURCE_TEXT
from kdv_policy.language.source import Source
from kdv_policy.language.syntax import Module, Query, Value
from kdv_policy.limits import DEFAULT_LIMITS, Limits, QueryLimits
from kdv_policy.policy import arguments
from kdv_policy.policy.configuration import Configuration, read_configuration, unknown_adopted

if TYPE_CHECKING:
    from kdv_policy.policy.names import NameIndex

RULE_SUFFIX = ".dl"
NO_CONFIGURATION = Configuration()
"""The configuration of a policy without ``policy.toml``."""


def bundled_rules() -> Path:
    """The directory of the bundled governance policy.

    In an installed wheel the rules ship as ``kdv_policy/rules``; in a source
    checkout they are the repository's top-level ``rules/``.
    """
    packaged = Path(__file__).resolve().parents[1] / "rules"  # the package's own directory
    if packaged.is_dir():
        return packaged
    checkout = Path(__file__).resolve().parents[3] / "rules"
    if checkout.is_dir():
        return checkout
    raise PolicyLoadError("the bundled rules are missing from this installation of kdv_policy")


def rule_files(directory: Path) -> list[Path]:
    """Every ``*.dl`` file under ``directory`` (hidden folders skipped), in a stable order."""
    try:
        directory.stat()
    except FileNotFoundError:
        raise PolicyLoadError(f"policy directory `{shorten(str(directory))}` does not exist") from None
    except OSError as err:  # a name too long, a loop of links, no permission
        raise PolicyLoadError(f"cannot read policy directory `{shorten(str(directory))}`: "
                              f"{err.strerror or err}") from None
    if directory.is_file():
        if directory.suffix != RULE_SUFFIX:  # its lines would be shown as syntax errors
            raise file_error("file-not-rules", f"`{directory}` is not a rule file (`*{RULE_SUFFIX}`)",
                             f"give a policy directory or a `*{RULE_SUFFIX}` rule file")
        return [directory]
    if not directory.is_dir():
        raise PolicyLoadError(f"`{directory}` is not a directory")
    found = []
    try:
        for root, dirs, files in os.walk(directory, onerror=_raise):
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            found += [Path(root) / f for f in files if f.endswith(RULE_SUFFIX) and not f.startswith(".")]
    except OSError as err:
        raise PolicyLoadError(f"cannot read policy directory `{directory}`: {err.strerror or err}") from None
    return sorted(found, key=lambda p: p.relative_to(directory).as_posix())


def _raise(err: OSError) -> None:
    raise err


def read_source(path: Path, display: str, limits: Limits = DEFAULT_LIMITS) -> Source:
    """Read one rule file (see :func:`kdv_policy.files.read_text`), of at most
    ``limits.max_rule_file_bytes``."""
    return Source(display, read_text(path, display, limit=limits.max_rule_file_bytes))


Variant = tuple[datetime.date | None, tuple[tuple[str, tuple[Value, ...]], ...],
                tuple[tuple[str, tuple[Value, ...]], ...], tuple[str, ...], tuple[str, ...]]
"""Which model of a policy's files: ``(as of, facts added, facts removed, interpretations adopted,
open bodies supposed otherwise)`` (see :meth:`LoadedProgram.evaluate`)."""


class Evaluation(Protocol):
    """What the answers read of an evaluated model: the :class:`~kdv_policy.engine.evaluation.Engine`,
    or the model a bundle stores (:mod:`kdv_policy.policy.bundle`)."""

    @property
    def model(self) -> Mapping[str, frozenset[tuple[Value, ...]]]: ...

    @property
    def steps(self) -> Mapping[str, Mapping[tuple[Value, ...], int]]: ...

    def relation(self, predicate: str) -> frozenset[tuple[Value, ...]]: ...

    def materialise(self, predicates: Iterable[str] | None = None) -> None: ...

    def constants(self) -> set[str]: ...

    def query(self, query: Query, limits: QueryLimits | None = None) -> tuple[dict[str, Value], ...]: ...


@dataclass(frozen=True)
class LoadedProgram:
    """A checked program with the sources it came from and the checker's warnings."""

    directory: Path
    program: Program
    sources: dict[str, Source]
    warnings: tuple[Diagnostic, ...]
    data: DataSet | None = None
    people: DataSet | None = None
    configuration: Configuration = NO_CONFIGURATION

    @property
    def datasets(self) -> tuple[DataSet, ...]:
        """The data files loaded with the rules: the organisation directory, then the people file."""
        return tuple(d for d in (self.data, self.people) if d is not None)

    @property
    def facts(self) -> dict[str, list[tuple]]:
        """The facts the data files state (none without data files)."""
        merged: dict[str, list[tuple]] = {}
        for dataset in self.datasets:
            for predicate, rows in dataset.facts.items():
                merged.setdefault(predicate, []).extend(rows)
        return merged

    @property
    def names(self) -> list[NameEntry]:
        """The names the data files give their entities."""
        return [entry for dataset in self.datasets for entry in dataset.names]

    def origin(self, predicate: str, row: tuple) -> str | None:
        """``file:line: entry`` of the data entry that states a fact, or None."""
        for dataset in self.datasets:
            found = dataset.origin(predicate, row)
            if found is not None:
                return found
        return None

    @property
    def actions(self) -> list[tuple[str, str, tuple[str, ...], tuple[str, ...]]]:
        """The verbs of the organisation directory's ``[[actions]]``: ``(id, name, aliases, forms)``."""
        return [(a.id, a.name, tuple(a.aliases), tuple(a.forms)) for dataset in self.datasets
                for a in getattr(dataset.directory, "actions", ())]

    def name_index(self, variant: Variant) -> NameIndex | None:
        """The name index of the ``variant`` of these files if it is stored (a bundle), else None."""
        return None

    def evaluate(self, program: Program, facts: Mapping[str, Iterable[tuple[Value, ...]]], limits: Limits,
                 variant: Variant) -> Evaluation:
        """The model of ``program`` over ``facts``, the ``variant`` of these files: an engine that
        evaluates each relation on first use (a bundle answers from the models it stores)."""
        from kdv_policy.engine.evaluation import Engine

        return Engine(program, facts, limits)


def analyse_directory(
    directory: str | os.PathLike | None = None,
    people: str | os.PathLike | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> tuple[CheckResult, dict[str, Source], tuple[DataSet | None, DataSet | None]]:
    """Parse and check every rule file and the data files; return all diagnostics (syntax and
    data errors included) and the (organisation, people) data sets when they are valid.

    The people file is ``people`` when given, else ``people.toml`` in the directory if present.
    """
    with paused():  # the cyclic collector would scan the growing heap again and again (gcpause)
        return _analyse_directory(directory, people, limits)


def _analyse_directory(
    directory: str | os.PathLike | None, people: str | os.PathLike | None, limits: Limits
) -> tuple[CheckResult, dict[str, Source], tuple[DataSet | None, DataSet | None]]:
    root = Path(directory) if directory is not None else bundled_rules()
    files = rule_files(root)
    if not files:
        raise PolicyLoadError(f"no `*{RULE_SUFFIX}` rule files in `{root}`")
    sources: dict[str, Source] = {}
    modules: list[Module] = []
    syntax: list[Diagnostic] = []
    budget = limits.max_items  # a total over all rule files: each file gets what the others left
    for path in files:
        if root.is_dir():
            check_inside(path, root, display_path(path), "rule file")
        source = read_source(path, display_path(path), limits)
        sources[source.path] = source
        try:
            modules.append(parse_program(source.text, source.path, max_items=budget,
                                         max_diagnostics=limits.max_diagnostics_per_file))
            budget -= len(modules[-1].items)
        except PolicySyntaxError as err:
            syntax.extend(_with_source(d, source) for d in err.diagnostics)
        except PolicyLoadError:  # the parser stops at the budget; name the real limit
            raise _too_many_items(root, source.path, limits.max_items) from None
    if syntax:
        return CheckResult(None, tuple(sorted(syntax, key=Diagnostic.sort_key))), sources, (None, None)
    result = analyse(modules, sources, limits.max_diagnostics_per_file, _source_text(root, limits))
    from kdv_policy.data.read import PEOPLE_FILE, load_data, load_people  # pydantic: data files only

    problems: list[Diagnostic] = []
    data = _data_file(lambda: load_data(root, limits) if root.is_dir() else None, problems)
    def own_people(path: Path) -> DataSet:  # the policy's own people file stays inside it
        check_inside(path, root, display_path(path), "people file")
        return load_people(path, data, limits)

    people_data = None
    if people is None and root.is_dir():
        people = configured_people(root, limits)
    if people is not None:
        people_data = _data_file(lambda: _load_people(people, data, limits), problems)
    elif root.is_dir() and os.path.lexists(root / PEOPLE_FILE):  # if it is no regular file, loading says so
        people_data = _data_file(lambda: own_people(root / PEOPLE_FILE), problems)
    for dataset in (data, people_data):
        if dataset is not None and result.program is not None:
            problems += _undeclared_facts(dataset, result.program)
    configuration = _configuration(root, limits, problems)
    if configuration is not None and result.program is not None:
        problems += unknown_adopted(configuration, result.program.interpretations)
    if problems:
        diags = tuple(sorted(result.diagnostics + tuple(problems), key=Diagnostic.sort_key))
        return CheckResult(None, diags), sources, (None, None)
    return result, sources, (data, people_data)


def _load_people(people: str | os.PathLike, data: DataSet | None, limits: Limits) -> DataSet:
    """A people file, or the people of a database named by a URL (``sqlite:///...``,
    ``postgresql://...``, ``env:NAME``)."""
    from kdv_policy.data.sql import is_url

    if is_url(people):
        from kdv_policy.data.sql.source import load_people_sql

        return load_people_sql(os.fspath(people), data, limits)
    from kdv_policy.data.read import load_people

    return load_people(people, data, limits)


def configured_people(root: Path, limits: Limits) -> str | None:
    """``[people]`` of the directory's ``policy.toml``: a database URL (or ``env:NAME``), resolved
    against the directory for a relative SQLite file; None without one (or when ``policy.toml``
    is bad, which :func:`_configuration` reports)."""
    try:
        location = read_configuration(root, limits).people
    except PolicyLoadError:
        return None
    prefix = "sqlite:///"
    if location is not None and location.startswith(prefix) and not location.startswith(prefix + "/") \
            and location != prefix + ":memory:":
        return prefix + str((root / location[len(prefix):]).absolute())
    return location


def _configuration(root: Path, limits: Limits, problems: list[Diagnostic]) -> Configuration | None:
    """The directory's ``policy.toml`` (its problems added to ``problems``)."""
    try:
        return read_configuration(root, limits)
    except PolicyLoadError as err:
        problems += list(err.diagnostics) or [Diagnostic("config-invalid", Severity.ERROR, str(err))]
        return None


def _source_text(root: Path, limits: Limits) -> str | None:
    """The governance text the rules cite: ``source-text.txt`` of the policy directory (for a
    one-file policy, beside the file), or None when there is none."""
    path = (root if root.is_dir() else root.parent) / SOURCE_TEXT
    if not os.path.lexists(path):
        return None
    if root.is_dir():
        check_inside(path, root, display_path(path), "source text")
    return read_text(path, display_path(path), limit=limits.max_rule_file_bytes, what="source text",
                     advice=None)


def _too_many_items(root: Path, path: str, max_items: int) -> PolicyLoadError:
    """The parser's error at the item budget (or the lexer's at the tokens it allows) as the limit
    it is: a total over all rule files, not the budget left for the file that reached it."""
    return file_error(
        "too-many-items",
        f"the rule files of `{display_path(root)}` hold more than {max_items:,} declarations, facts and "
        f"rules, the limit `max_items` for all rule files together (reached in `{path}`)",
        "organisation data (units, roles, bodies) belongs in organisation.toml and persons in the people "
        "file, not in rule files; splitting rule files does not help. If the rules need more, "
        + raise_limit_help("max_items"))


def _data_file(load: Callable[[], DataSet | None], problems: list[Diagnostic]) -> DataSet | None:
    try:
        return load()
    except PolicyLoadError as err:
        problems += list(err.diagnostics) or [Diagnostic("data-invalid", Severity.ERROR, str(err))]
        return None


def _undeclared_facts(data: DataSet, program: Program) -> list[Diagnostic]:
    """Facts of a data file for predicates the rules do not declare, or with another arity."""
    problems = []
    for predicate, rows in data.facts.items():
        if not rows:
            continue
        decl = program.declarations.get(predicate)
        arity = len(rows[0])
        if decl is None:
            problems.append(Diagnostic(
                "undeclared-predicate", Severity.ERROR,
                f"{display_path(data.path)} gives facts for `{predicate}/{arity}`, "
                "which no rule file declares",
                None, f"declare it in a rule file: `.decl {predicate}(...)` with {arity} arguments"))
        elif decl.arity != arity:
            problems.append(Diagnostic(
                "arity-mismatch", Severity.ERROR,
                f"{display_path(data.path)} gives `{predicate}` {arity} values, but it is declared with "
                f"{decl.arity}", decl.span,
                f"it is declared as `{decl.predicate}({', '.join(decl.params)})`"))
    return problems


def _with_source(diag: Diagnostic, source: Source) -> Diagnostic:
    return dataclasses.replace(diag, source=source)  # keeps what a subclass carries (counts)


def load_program(
    directory: str | os.PathLike | None = None, people: str | os.PathLike | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> LoadedProgram:
    """Load a policy directory (the bundled one by default), with an optional people file,
    or raise with every error found."""
    directory = arguments.path(directory, "the policy directory")
    people = arguments.path(people, "the people file")
    expect(limits, Limits, "the limits")
    root = Path(directory) if directory is not None else bundled_rules()
    result, sources, (data, people_data) = analyse_directory(root, people, limits)
    if result.program is None:
        errors = [d for d in result.diagnostics if d.severity is Severity.ERROR]
        if errors and all(d.code == "syntax" for d in errors):
            raise PolicySyntaxError(errors)
        if errors and all(d.code.startswith(("data-", "file-", "config-")) for d in errors):
            raise PolicyLoadError("\n".join(d.headline() for d in errors), tuple(errors))
        raise PolicyCheckError(result.diagnostics)
    return LoadedProgram(root, result.program, sources, result.warnings, data, people_data,
                         read_configuration(root, limits))
