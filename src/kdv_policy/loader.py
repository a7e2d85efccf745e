"""Files → checked program: find a policy directory's rule files, parse and check them.

Loading is all-or-nothing: :func:`load_program` either returns a checked
program or raises a :class:`~kdv_policy.errors.PolicyError` carrying every
problem found, and never returns a partial program.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from .ast import Module
from .checker import CheckResult, analyse
from .data import DataSet, load_data
from .errors import Diagnostic, PolicyCheckError, PolicyLoadError, PolicySyntaxError, Severity
from .parser import parse_program
from .program import Program
from .source import Source

RULE_SUFFIX = ".dl"


def bundled_rules() -> Path:
    """The directory of the bundled governance policy.

    In an installed wheel the rules ship as ``kdv_policy/rules``; in a source
    checkout they are the repository's top-level ``rules/``.
    """
    packaged = resources.files("kdv_policy") / "rules"
    if packaged.is_dir():
        return Path(str(packaged))
    checkout = Path(__file__).resolve().parents[2] / "rules"
    if checkout.is_dir():
        return checkout
    raise PolicyLoadError("the bundled rules are missing from this installation of kdv_policy")


def rule_files(directory: Path) -> list[Path]:
    """Every ``*.dl`` file under ``directory`` (hidden folders skipped), in a stable order."""
    if not directory.exists():
        raise PolicyLoadError(f"policy directory `{directory}` does not exist")
    if directory.is_file():
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


def read_source(path: Path, display: str) -> Source:
    """Read one rule file as UTF-8; unreadable or non-UTF-8 files raise PolicyLoadError."""
    try:
        data = path.read_bytes()
    except OSError as err:
        raise PolicyLoadError(f"cannot read `{display}`: {err.strerror or err}") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        line = data[: err.start].count(b"\n") + 1
        raise PolicyLoadError(f"{display}:{line}: error: the file is not valid UTF-8 "
                              f"(byte 0x{data[err.start]:02x} at offset {err.start}) [encoding]") from None
    return Source(display, text)


@dataclass(frozen=True)
class LoadedProgram:
    """A checked program with the sources it came from and the checker's warnings."""

    directory: Path
    program: Program
    sources: dict[str, Source]
    warnings: tuple[Diagnostic, ...]
    data: DataSet | None = None

    @property
    def facts(self) -> dict[str, list[tuple]]:
        """The facts the data file states (none without a data file)."""
        return self.data.facts if self.data is not None else {}


def _display(path: Path) -> str:
    """A path as diagnostics show it: relative to the working directory when inside it."""
    absolute = path.resolve()
    try:
        return absolute.relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return str(absolute)


def analyse_directory(
    directory: str | os.PathLike | None = None,
) -> tuple[CheckResult, dict[str, Source], DataSet | None]:
    """Parse and check every rule file and the data file; return all diagnostics, syntax errors
    and data errors included, and the data set when it is valid."""
    root = Path(directory) if directory is not None else bundled_rules()
    files = rule_files(root)
    if not files:
        raise PolicyLoadError(f"no `*{RULE_SUFFIX}` rule files in `{root}`")
    sources: dict[str, Source] = {}
    modules: list[Module] = []
    syntax: list[Diagnostic] = []
    for path in files:
        source = read_source(path, _display(path))
        sources[source.path] = source
        try:
            modules.append(parse_program(source.text, source.path))
        except PolicySyntaxError as err:
            syntax.extend(_with_source(d, source) for d in err.diagnostics)
    if syntax:
        return CheckResult(None, tuple(sorted(syntax, key=Diagnostic.sort_key))), sources, None
    result = analyse(modules, sources)
    data, data_diags = _load_data(root, result.program)
    if data_diags:
        diags = tuple(sorted(result.diagnostics + tuple(data_diags), key=Diagnostic.sort_key))
        return CheckResult(None, diags), sources, None
    return result, sources, data


def _load_data(root: Path, program: Program | None) -> tuple[DataSet | None, list[Diagnostic]]:
    """The data file of a policy directory, checked against the program's declarations."""
    if not root.is_dir():
        return None, []
    try:
        data = load_data(root)
    except PolicyLoadError as err:
        diags = list(err.diagnostics) or [Diagnostic("data-invalid", Severity.ERROR, str(err))]
        return None, diags
    if data is None or program is None:
        return data, []
    problems = []
    for predicate, rows in data.facts.items():
        decl = program.declarations.get(predicate)
        if not rows:
            continue
        arity = len(rows[0])
        if decl is None:
            problems.append(Diagnostic(
                "undeclared-predicate", Severity.ERROR,
                f"{_display(data.path)} gives facts for `{predicate}/{arity}`, which no rule file declares",
                None, f"declare it in a rule file: `.decl {predicate}(...)` with {arity} arguments"))
        elif decl.arity != arity:
            problems.append(Diagnostic(
                "arity-mismatch", Severity.ERROR,
                f"{_display(data.path)} gives `{predicate}` {arity} values, but it is declared with "
                f"{decl.arity}", decl.span,
                f"it is declared as `{decl.predicate}({', '.join(decl.params)})`"))
    return data, problems


def _with_source(diag: Diagnostic, source: Source) -> Diagnostic:
    return Diagnostic(diag.code, diag.severity, diag.message, diag.span, diag.help, source)


def load_program(directory: str | os.PathLike | None = None) -> LoadedProgram:
    """Load a policy directory (the bundled one by default) or raise with every error found."""
    root = Path(directory) if directory is not None else bundled_rules()
    result, sources, data = analyse_directory(root)
    if result.program is None:
        errors = [d for d in result.diagnostics if d.severity is Severity.ERROR]
        if errors and all(d.code == "syntax" for d in errors):
            raise PolicySyntaxError(errors)
        if errors and all(d.code.startswith("data-") for d in errors):
            raise PolicyLoadError("\n".join(d.headline() for d in errors), tuple(errors))
        raise PolicyCheckError(result.diagnostics)
    return LoadedProgram(root, result.program, sources, result.warnings, data)
