"""An example app: who must act on a budget request of the Impulsprogramm.

A project of the Impulsprogramm Digitale Verwaltung Thurgau needs money. Before the app
routes the request, it asks the policy, never a list of its own: which bodies may request the
budget, with whom the request is lodged, and which bodies release it. When the governance
changes, the rules change and the app follows.

Its tests (tests/test_approvals.py) use the pytest plugin of kdv_policy: the `policy`
fixture and the assert helpers; tests/policy_tests.yaml states the same facts as policy test
cases, collected by pytest as tests of their own.
"""

from __future__ import annotations

from dataclasses import dataclass

from kdv_policy import Policy
from kdv_policy.policy.results import Answers, Entity

BUDGET = "Budget des Impulsprogramms"


@dataclass(frozen=True)
class Step:
    """One step of the route: the bodies that may take it, and the sentence that says so."""

    action: str
    bodies: tuple[str, ...]
    basis: str | None


@dataclass(frozen=True)
class Route:
    """The steps a budget request goes through, in order."""

    budget: str
    steps: tuple[Step, ...]
    lodged_with: tuple[str, ...]

    def render(self) -> str:
        lines = [f"Antrag: {self.budget}"]
        for step in self.steps:
            basis = f"  « {step.basis} »" if step.basis else ""
            lines.append(f"  {step.action}: {', '.join(step.bodies)}{basis}")
        if self.lodged_with:
            lines.append(f"  eingereicht bei: {', '.join(self.lodged_with)}")
        return "\n".join(lines)


def approval_route(policy: Policy, budget: str = BUDGET) -> Route:
    """Who requests ``budget`` and who releases it, as bodies (not their chairs or persons).

    Raises LookupError when the policy names nobody for a step: a request nobody may make or
    release cannot be routed.
    """
    steps = []
    for action in ("beantragen", "freigeben"):
        answers = policy.who_may(action, budget)
        bodies = tuple(e.name for e in answers if e.kind == "body")
        if not bodies:
            raise LookupError(f"the policy names nobody who may {action} the {budget}")
        steps.append(Step(action, bodies, _basis(answers)))
    budget_id = policy.resolve(budget).id
    lodged = {row["R"] for row in policy.ask(f"submits_to(B, request, {budget_id}, R)")}
    return Route(budget, tuple(steps), tuple(sorted(policy.resolve(r).name for r in lodged)))


def approvers(policy: Policy, budget: str = BUDGET) -> tuple[str, ...]:
    """The bodies that release ``budget``: the last step of its route."""
    return approval_route(policy, budget).steps[-1].bodies


def _basis(answers: Answers[Entity]) -> str | None:
    """The sentence that gives the first answer its competence."""
    for proof in answers.explanation.proofs:
        for node in proof.walk():
            if node.predicate == "competence" and node.kind == "fact" and node.citation:
                return node.citation
    return None


if __name__ == "__main__":
    print(approval_route(Policy.load()).render())
