"""The package's stages and their order: a lower stage never imports a higher one.

text → checked program (``language/``) → evaluated model (``engine/``, beside the data files of
``data/``) → answers and explanations (``policy/``) → tools for authors (``authoring/``,
``testing``) → the command line (``cli/``). The modules every stage shares (``errors``, ``files``,
``limits``, ...) import no stage but the source text and its spans (``language/source``).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "kdv_policy"

RANK = {
    "shared": 0,
    "language": 1,
    "engine": 2,
    "data": 2,
    "policy": 3,
    "authoring": 4,
    "report": 4.5,
    "service": 4.5,  # the HTTP decision point: after the authors' tools, before the command line
    "testing": 5,
    "cli": 5,
    "__main__": 6,
    "__init__": 6,
}
ALLOWED = {
    # A reloading store validates a new version with the policy's own test files before it swaps it
    # in (the default of `PolicyStore(validate=...)`); imported when the first reload runs.
    ("kdv_policy.policy.store", "kdv_policy.authoring.policytests"),
}
SHARED = {"errors", "files", "limits", "gcpause", "suggest", "_version", "language.source"}


def stage(module: str) -> str:
    """``kdv_policy.policy.api`` → ``policy``; shared modules → ``shared``."""
    inner = module.removeprefix("kdv_policy").lstrip(".")
    if inner in SHARED or not inner:
        return "shared" if inner else "__init__"
    return inner.split(".")[0]


def modules() -> list[tuple[str, Path]]:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE).with_suffix("").parts
        name = ".".join(("kdv_policy", *parts)).removesuffix(".__init__")
        found.append((name, path))
    return found


def imports(path: Path) -> list[tuple[int, str]]:
    """The project modules a file imports at module level or in functions (not for type checking)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    type_checking = {id(n) for node in ast.walk(tree) if isinstance(node, ast.If)
                     and "TYPE_CHECKING" in ast.unparse(node.test) for n in ast.walk(node)}
    for node in ast.walk(tree):
        if id(node) in type_checking:
            continue
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("kdv_policy"):
            for alias in node.names:  # `from kdv_policy.x import y`: the module y, or a name of x
                candidate = f"{node.module}.{alias.name}"
                file = PACKAGE.parent / candidate.replace(".", "/")
                found.append((node.lineno, candidate if file.with_suffix(".py").exists() or file.is_dir()
                              else node.module))
        elif isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names if a.name.startswith("kdv_policy")]
    return found


@pytest.mark.parametrize("module,path", modules(), ids=[m for m, _ in modules()])
def test_no_stage_imports_a_later_one(module, path):
    own = stage(module)
    for line, imported in imports(path):
        other = stage(imported)
        if other == own or (module, imported) in ALLOWED:
            continue
        assert RANK[other] < RANK[own] or (own == "shared" and imported == "kdv_policy.language.source"), (
            f"{path.relative_to(PACKAGE)}:{line}: `{module}` ({own}) imports `{imported}` ({other}), "
            f"a later stage")
        assert {own, other} != {"engine", "data"}, (
            f"{module} and {imported}: the engine and the data files are independent stages")


def test_the_layout_is_the_documented_one():
    folders = {p.name for p in PACKAGE.iterdir() if p.is_dir() and not p.name.startswith("__")}
    assert folders == {"language", "engine", "data", "policy", "authoring", "report", "cli", "service"}
    assert not (PACKAGE / "ast.py").exists()  # would shadow the standard library's ast
