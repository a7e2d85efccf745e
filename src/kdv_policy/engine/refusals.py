"""The errors of the evaluation limits: each names the rule (its ``@id`` and where it is), the
limit and its value, and says what the user can do.

A limit of :class:`~kdv_policy.limits.Limits` is raised with ``Limits(NAME=...)`` in Python or
``--limit NAME=VALUE`` on the command line (docs/operations.md, "Evaluation limits").
"""

from __future__ import annotations

from kdv_policy.errors import Diagnostic, EngineError, Severity
from kdv_policy.language import syntax as ast

CODE = "evaluation-limit"


def rule_name(clause: ast.Clause) -> str:
    """``rule `id``` for a rule with an ``@id``, else the rule's head predicate."""
    ident = clause.id
    return f"rule `{ident}`" if ident else f"the rule for `{clause.head.signature}`"


def _raise_it(limit: str) -> str:
    return f"raise the limit with `Limits({limit}=...)` or `--limit {limit}=...`"


def _refuse(clause: ast.Clause, message: str, help: str) -> EngineError:
    diagnostic = Diagnostic(CODE, Severity.ERROR, message, clause.span, help)
    return EngineError(diagnostic.headline(), (diagnostic,))


def too_many_literals(clause: ast.Clause, limit: int) -> EngineError:
    """A rule body longer than ``max_body_literals``."""
    return _refuse(
        clause,
        f"{rule_name(clause)} has {len(clause.body):,} body literals, more than the limit "
        f"`max_body_literals` of {limit:,}",
        "split it into rules over intermediate predicates; or, if it must be this long, "
        + _raise_it("max_body_literals"))


def too_much_work(clause: ast.Clause, estimate: int, limit: int) -> EngineError:
    """A rule whose join could build more rows in one evaluation step than ``max_rule_work``."""
    return _refuse(
        clause,
        f"{rule_name(clause)} could build up to {estimate:,} rows in one evaluation step, more than "
        f"the limit `max_rule_work` of {limit:,}",
        "join its atoms through shared variables or bind them to constants; if the data really "
        "needs it, " + _raise_it("max_rule_work"))


def too_many_rows(clause: ast.Clause, predicate: str, limit: int) -> EngineError:
    """A rule that makes its relation hold more rows than ``max_rows_per_relation``."""
    return _refuse(
        clause,
        f"{rule_name(clause)} derives more than {limit:,} rows of `{predicate}`, the limit "
        "`max_rows_per_relation`",
        "check the rule (a recursive rule may derive far more than intended); if the data "
        "really needs it, " + _raise_it("max_rows_per_relation"))


def again(error: EngineError) -> EngineError:
    """The same refusal once more, for a relation asked again after its evaluation was refused."""
    return EngineError(str(error), error.diagnostics)
