"""A request-approval workflow for Impulsprogramm projects, on top of kdv_policy.

A project lead files a request (say, the budget of a new Impulsprogramm project). The
workflow asks the policy which bodies must act on it — who requests the budget from whom,
who releases it — routes the request through those steps, lets the people who hold the
roles decide, and records every decision in the audit log (``kdv_policy.policy.audit``, one JSON
line per decision). Whoever is refused sees the policy's explanation, not a bare "no".

    python examples/workflow/workflow.py [--audit decisions.jsonl]

runs a demo with the fictitious people of examples/people.toml. A body such as the
Regierungsrat may act as a whole (its decision recorded as the body's); a person acts for a
body they represent (the chair), as of the day of the decision.
"""

from __future__ import annotations

import argparse
import datetime
import logging
import sys
from dataclasses import dataclass, field
from pathlib import Path

from kdv_policy import Decision, Policy
from kdv_policy.policy.audit import AUDIT_LOGGER, JsonLinesHandler

HERE = Path(__file__).resolve().parent
PEOPLE = HERE.parent / "people.toml"

STEPS = (("request", "beantragen"), ("approve", "freigeben"))
"""The steps of a budget request, in order: the action and the German verb users see."""


@dataclass
class Request:
    """A request for the budget of an Impulsprogramm project, and what happened to it."""

    title: str
    budget: str = "Budget des Impulsprogramms"
    done: list[tuple[str, str, Decision]] = field(default_factory=list)  # (step, person, decision)

    @property
    def next_step(self) -> tuple[str, str] | None:
        taken = {step for step, _, decision in self.done if decision.allowed}
        return next((s for s in STEPS if s[0] not in taken), None)

    @property
    def approved(self) -> bool:
        return self.next_step is None


class Workflow:
    """Routes requests by asking the policy; never by a list of its own."""

    def __init__(self, policy: Policy) -> None:
        self.policy = policy

    def who_must_act(self, request: Request) -> list[str]:
        """The bodies that may take the request's next step (by their official names)."""
        step = request.next_step
        if step is None:
            return []
        return [e.name for e in self.policy.who_may(step[0], request.budget) if e.kind == "body"]

    def act(self, request: Request, person: str) -> Decision:
        """``person`` takes the next step; the policy decides whether they may."""
        step = request.next_step
        if step is None:
            raise ValueError(f"{request.title!r} is approved already")
        decision = self.policy.may(person, step[0], request.budget)
        request.done.append((step[0], person, decision))
        return decision


def demo(out=sys.stdout, today: datetime.date | None = None) -> Request:
    """File a request and let three actors act on it: a Generalsekretär (refused), the chair of
    the Steuerungsausschuss (requests the budget), and the Regierungsrat as a body (releases it)."""
    # who holds office today; the chair signs for its body: a reading the text does not state,
    # adopted explicitly
    policy = Policy.load(people=PEOPLE, at=today or datetime.date.today(),
                         interpretations=["vorsitz_handelt_allein"])
    flow = Workflow(policy)
    request = Request("Digitale Baubewilligung (Impulsprogramm-Projekt)")
    print(f"Antrag: {request.title} — {request.budget}", file=out)
    for person in ("Max Beispiel", "Erika Muster", "Regierungsrat"):
        step = request.next_step
        if step is None:
            break
        print(f"\nnächster Schritt: {step[1]}; zuständig: {', '.join(flow.who_must_act(request))}", file=out)
        decision = flow.act(request, person)
        verdict = "erledigt" if decision.allowed else "abgelehnt"
        print(f"{person} will {step[1]}: {verdict}", file=out)
        print("  " + decision.explanation.summary, file=out)
    print(f"\nStatus: {'bewilligt' if request.approved else 'offen'}", file=out)
    return request


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--audit", metavar="FILE", help="append the audit log (JSON lines) to FILE")
    args = parser.parse_args(argv)
    handler = None
    if args.audit:
        handler = JsonLinesHandler(args.audit)
        AUDIT_LOGGER.addHandler(handler)
        AUDIT_LOGGER.setLevel(logging.INFO)
    try:
        demo()
    finally:
        if handler is not None:
            AUDIT_LOGGER.removeHandler(handler)
            handler.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
