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


def _display(path: Path) -> str:
    """A path as diagnostics show it: relative to the working directory when inside it."""
    absolute = path.resolve()
    try:
        return absolute.relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return str(absolute)


def analyse_directory(directory: str | os.PathLike | None = None) -> tuple[CheckResult, dict[str, Source]]:
    """Parse and check every rule file; return all diagnostics (syntax errors included)."""
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
        return CheckResult(None, tuple(sorted(syntax, key=Diagnostic.sort_key))), sources
    return analyse(modules, sources), sources


def _with_source(diag: Diagnostic, source: Source) -> Diagnostic:
    return Diagnostic(diag.code, diag.severity, diag.message, diag.span, diag.help, source)


def load_program(directory: str | os.PathLike | None = None) -> LoadedProgram:
    """Load a policy directory (the bundled one by default) or raise with every error found."""
    root = Path(directory) if directory is not None else bundled_rules()
    result, sources = analyse_directory(root)
    if result.program is None:
        errors = [d for d in result.diagnostics if d.severity is Severity.ERROR]
        if errors and all(d.code == "syntax" for d in errors):
            raise PolicySyntaxError(errors)
        raise PolicyCheckError(result.diagnostics)
    return LoadedProgram(root, result.program, sources, result.warnings)
