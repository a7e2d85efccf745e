"""The systems a benchmark run compares, each answering the same questions of one generated policy.

Every system loads a policy directory written by :mod:`benchmarks.generate` and answers three
kinds of question: ``may(actor, action, object)``, ``who_serves(unit)`` and
``who_may(action, object)``. ``calls()`` gives, per kind, the function the timing loops call
and the attribute read from its result (``"allowed"``, ``"ids"``, or None when the function
returns the answer itself); ``normalise`` turns that into the comparable answer (a bool, or a
sorted tuple of ids).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

KINDS = ("may", "who_serves", "who_may")


class System:
    """One way of answering the questions; subclasses fill in ``load`` and ``calls``."""

    name: ClassVar[str] = ""
    label: ClassVar[str] = ""
    #: the attribute the timing loops read from a result, per kind (None: the result is the answer)
    post: ClassVar[dict[str, str | None]] = {"may": None, "who_serves": None, "who_may": None}
    #: warm times from batches of the same question repeated; False: each call timed on its own, the
    #: questions taken in turn (a one-entry cache would otherwise answer every repeat)
    batched_warm: ClassVar[bool] = True

    @classmethod
    def unavailable(cls) -> str | None:
        """Why this system cannot run here (a missing package), or None."""
        return None

    def load(self, directory: Path) -> None:
        raise NotImplementedError

    def calls(self) -> dict[str, Callable[..., Any]]:
        raise NotImplementedError

    def normalise(self, kind: str, value: Any) -> bool | tuple[str, ...]:
        """The comparable answer: a bool, or a sorted tuple of ids (``value`` is the attribute read)."""
        return bool(value) if kind == "may" else tuple(sorted(value))

    #: seconds per phase of the last ``load`` (files, evaluation, ...), for systems that time them
    phases: dict[str, float]

    def info(self) -> dict[str, Any]:
        """Facts about the loaded system worth reporting (sizes, settings)."""
        return {}


def registry() -> dict[str, type[System]]:
    """Every system by name, in the order of the report."""
    from .casbin_system import CasbinSystem
    from .cedar_system import CedarSystem
    from .clingo_system import ClingoSystem
    from .floor import Floor
    from .kdv import KdvPolicy, KdvPolicyUncached

    return {s.name: s for s in (Floor, KdvPolicy, KdvPolicyUncached, CedarSystem, CasbinSystem, ClingoSystem)}
