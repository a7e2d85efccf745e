"""kdv_policy: the governance of the Kanton Thurgau's digital administration as executable Datalog.

Data flow: ``rules/*.dl`` → tokens → AST → checked program → engine (pyDatalog)
→ answers. The public surface is listed in ``__all__``.
"""

from typing import TYPE_CHECKING

from kdv_policy._version import __version__

if TYPE_CHECKING:
    from kdv_policy.errors import (
        ArgumentError,
        Diagnostic,
        EngineError,
        PolicyCheckError,
        PolicyError,
        PolicyLoadError,
        PolicySyntaxError,
        QueryError,
        Severity,
    )
    from kdv_policy.language.checker import CheckResult, analyse, check
    from kdv_policy.language.parser import parse_program, parse_query
    from kdv_policy.language.printer import format_module, format_query
    from kdv_policy.limits import Limits, QueryLimits
    from kdv_policy.policy.api import INTERFACE, CacheInfo, Policy
    from kdv_policy.policy.explain import ProofNode, WhyNot, verify
    from kdv_policy.policy.loader import bundled_rules, load_program
    from kdv_policy.policy.names import AmbiguousNameError, UnknownNameError
    from kdv_policy.policy.results import Answers, Decision, Delegation, Entity, Explanation, Permission

_HOME = {
    "ArgumentError": "kdv_policy.errors", "Diagnostic": "kdv_policy.errors",
    "EngineError": "kdv_policy.errors",
    "PolicyCheckError": "kdv_policy.errors", "PolicyError": "kdv_policy.errors",
    "PolicyLoadError": "kdv_policy.errors", "PolicySyntaxError": "kdv_policy.errors",
    "QueryError": "kdv_policy.errors", "Severity": "kdv_policy.errors",
    "CheckResult": "kdv_policy.language.checker", "analyse": "kdv_policy.language.checker",
    "check": "kdv_policy.language.checker",
    "parse_program": "kdv_policy.language.parser", "parse_query": "kdv_policy.language.parser",
    "format_module": "kdv_policy.language.printer", "format_query": "kdv_policy.language.printer",
    "Limits": "kdv_policy.limits", "QueryLimits": "kdv_policy.limits",
    "INTERFACE": "kdv_policy.policy.api", "CacheInfo": "kdv_policy.policy.api",
    "Policy": "kdv_policy.policy.api",
    "ProofNode": "kdv_policy.policy.explain", "WhyNot": "kdv_policy.policy.explain",
    "verify": "kdv_policy.policy.explain",
    "bundled_rules": "kdv_policy.policy.loader", "load_program": "kdv_policy.policy.loader",
    "AmbiguousNameError": "kdv_policy.policy.names", "UnknownNameError": "kdv_policy.policy.names",
    "Answers": "kdv_policy.policy.results", "Decision": "kdv_policy.policy.results",
    "Delegation": "kdv_policy.policy.results", "Entity": "kdv_policy.policy.results",
    "Explanation": "kdv_policy.policy.results", "Permission": "kdv_policy.policy.results",
}
"""Where each public name lives: imported on first use (PEP 562), so that ``import kdv_policy``
and a command that needs little (``--version``, ``--help``) do not pay for pydantic, the
parser and the engine."""


def __getattr__(name: str) -> object:
    home = _HOME.get(name)
    if home is None:
        raise AttributeError(f"module 'kdv_policy' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(home), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


__all__ = [
    "INTERFACE",
    "AmbiguousNameError",
    "Answers",
    "ArgumentError",
    "CacheInfo",
    "CheckResult",
    "Decision",
    "Delegation",
    "Diagnostic",
    "EngineError",
    "Entity",
    "Explanation",
    "Limits",
    "Permission",
    "Policy",
    "PolicyCheckError",
    "PolicyError",
    "PolicyLoadError",
    "PolicySyntaxError",
    "ProofNode",
    "QueryError",
    "QueryLimits",
    "Severity",
    "UnknownNameError",
    "WhyNot",
    "__version__",
    "analyse",
    "bundled_rules",
    "check",
    "format_module",
    "format_query",
    "load_program",
    "parse_program",
    "parse_query",
    "verify",
]
