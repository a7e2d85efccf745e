"""clingo (Potassco's ASP system) evaluating the same rules once: a materialised model.

clingo is the strongest peer for what kdv_policy does: a Datalog-style program over the
organisation's facts, evaluated bottom-up (grounding, then solving a stratified program that
has exactly one answer set). The generated ``.dl`` rule files are nearly ASP already; they
are taken as they are, with the declarations, comments and annotations (``@id``, ``@source``)
left out. The data files' facts (units, roles, bodies, persons and their assignments) are
written as ASP facts from what :func:`~benchmarks.systems.floor.read_organisation` reads,
with the assignments' dates as ``0`` (no rule reads them). ``#show`` keeps ``may/3`` and
``serves/2``; the one model is read into the same sets and dicts the floor answers from,
so the questions cost what the floor's cost, and the load is clingo's evaluation.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from . import System
from .floor import read_organisation

_ANNOTATION = re.compile(r'^(?:@\w+\((?:"(?:[^"\\]|\\.)*"|[^()"])*\)\s*)+')
_BARE = re.compile(r"[a-z][A-Za-z0-9_]*\Z")


def _term(value: object) -> str:
    if isinstance(value, int):
        return str(value)
    text = str(value)
    if _BARE.match(text):
        return text
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def rules_text(directory: Path) -> str:
    """The clauses of the ``.dl`` files as ASP: declarations, comments and annotations dropped."""
    out = []
    for path in sorted(Path(directory).glob("*.dl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            stripped = _ANNOTATION.sub("", line.strip())
            if not stripped or stripped.startswith(("%", ".decl")):
                continue
            out.append(stripped)
    return "\n".join(out)


def data_text(directory: Path) -> str:
    """The data files' facts, as kdv_policy's loader states them, in ASP."""
    org = read_organisation(directory)
    t = _term
    facts: list[str] = []
    facts += [f"unit({t(u)}). unit_kind({t(u)},{t(k)})." for u, k in org.unit_kind.items()]
    facts += [f"parent({t(u)},{t(p)})." for u, p in org.parent.items()]
    facts += [f"administrative_kind({t(k)})." for k in org.admin_kinds]
    facts += [f"role({t(r)}). role_of({t(r)},{t(u)},{t(org.role_function[r])})."
              for r, u in org.role_unit.items()]
    facts += [f"body({t(b)}). in_phase({t(b)},{phase})." for b, phase in org.phase.items()]
    for person, roles in org.assignments.items():
        facts.append(f"person({t(person)}).")
        facts += [f"assignment({t(person)},{t(r)},0,0)." for r in roles]
    return "\n".join(facts)


class ClingoSystem(System):
    name = "clingo"
    label = "clingo (materialised model)"

    @classmethod
    def unavailable(cls) -> str | None:
        try:
            import clingo  # noqa: F401
        except ImportError:
            return "clingo is not installed (pip install kdv_policy[bench])"
        return None

    def load(self, directory: Path) -> None:
        import clingo

        program = rules_text(directory) + "\n" + data_text(directory) + "\n#show may/3.\n#show serves/2.\n"
        control = clingo.Control(["--warn=none"])
        control.add("base", [], program)
        control.ground([("base", [])])
        may: set[tuple[str, str, str]] = set()
        serves: dict[str, list[str]] = {}
        with control.solve(yield_=True) as handle:
            model = next(iter(handle))
            for symbol in model.symbols(shown=True):
                args = tuple(a.string if a.type == clingo.SymbolType.String else str(a)
                             for a in symbol.arguments)
                if symbol.name == "may":
                    may.add(args)  # type: ignore[arg-type]
                else:
                    serves.setdefault(args[1], []).append(args[0])
        who: dict[tuple[str, str], list[str]] = {}
        for actor, action, obj in may:
            who.setdefault((action, obj), []).append(actor)
        self._may = frozenset(may)
        self._serves = {u: tuple(sorted(ps)) for u, ps in serves.items()}
        self._who_may = {k: tuple(sorted(v)) for k, v in who.items()}

    def calls(self) -> dict[str, Callable[..., Any]]:
        may_rows, serves, who = self._may, self._serves, self._who_may

        def may(actor: str, action: str, obj: str) -> bool:
            return (actor, action, obj) in may_rows

        def who_serves(unit: str) -> tuple[str, ...]:
            return serves.get(unit, ())

        def who_may(action: str, obj: str) -> tuple[str, ...]:
            return who.get((action, obj), ())

        return {"may": may, "who_serves": who_serves, "who_may": who_may}

    def info(self) -> dict[str, Any]:
        return {"may_rows": len(self._may), "serves_rows": sum(len(v) for v in self._serves.values())}
