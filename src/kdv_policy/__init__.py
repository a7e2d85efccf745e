"""kdv_policy: the governance of the Kanton Thurgau's digital administration as executable Datalog.

Data flow: ``rules/*.dl`` → tokens → AST → checked program → engine (pyDatalog)
→ answers. The public surface is listed in ``__all__``.
"""

from ._version import __version__
from .api import INTERFACE, CacheInfo, Policy
from .checker import CheckResult, analyse, check
from .errors import (
    Diagnostic,
    EngineError,
    PolicyCheckError,
    PolicyError,
    PolicyLoadError,
    PolicySyntaxError,
    QueryError,
    Severity,
)
from .explain import ProofNode, WhyNot, verify
from .loader import bundled_rules, load_program
from .names import AmbiguousNameError, UnknownNameError
from .parser import parse_program, parse_query
from .printer import format_module, format_query
from .results import Answers, Decision, Entity, Explanation, Permission

__all__ = [
    "INTERFACE",
    "AmbiguousNameError",
    "Answers",
    "CacheInfo",
    "CheckResult",
    "Decision",
    "Diagnostic",
    "EngineError",
    "Entity",
    "Explanation",
    "Permission",
    "Policy",
    "PolicyCheckError",
    "PolicyError",
    "PolicyLoadError",
    "PolicySyntaxError",
    "ProofNode",
    "QueryError",
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
