"""kdv_policy: the governance of the Kanton Thurgau's digital administration as executable Datalog.

Data flow: ``rules/*.dl`` → tokens → AST → checked program → engine (pyDatalog)
→ answers. The public surface is listed in ``__all__``.
"""

from kdv_policy._version import __version__
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
