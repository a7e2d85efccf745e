"""A compliance report an auditor can read without Python: every body, its members and chair,
what it may decide, and every decision with the sentence of the governance text it rests on.

    python examples/report/compliance_report.py [--rules DIR] [--at YYYY-MM-DD] [-o report.md]

Writes Markdown. Every line comes from the policy: the members and chairs from `member/2`
and `chair/2`, the decisions from `may/3` with the citations of the facts and rules in their
proofs, the consumers and responsibilities from `consumer/1` and `responsible/2`.
"""

from __future__ import annotations

import argparse
import sys

from kdv_policy import Policy


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _citations(explanation) -> list[str]:
    """The sentences of the stated facts a proof rests on (the competences and delegations)."""
    seen: dict[str, None] = {}
    for proof in explanation.proofs:
        for node in proof.walk():
            if node.kind == "fact" and node.citation:
                seen.setdefault(node.citation)
    return list(seen)


def report(policy: Policy) -> str:
    """The report as Markdown."""
    lines = ["# Compliance report: governance of the Kompetenzzentrum Digitale Verwaltung", "",
             f"Policy version `{policy.version}`, rules `{policy.directory.name}`"
             + (f", as of {policy.as_of.isoformat()}" if policy.as_of else ", timeless (the text as a whole)")
             + ".", ""]
    bodies = sorted({row[0] for row in policy.relation("body")})
    lines += ["## Bodies", ""]
    for body_id in bodies:
        body = policy.entity(body_id)
        lines.append(f"### {body.name}")
        chair = policy.chair(body_id)
        members = policy.members(body_id)
        if chair or members:
            lines.append("")
        if chair:
            lines.append(f"- Chair: {', '.join(e.name for e in chair)}")
        if members:
            lines.append(f"- Members: {', '.join(e.name for e in members)}")
        permissions = policy.what_may(body_id)
        if permissions:
            lines += ["", "| may | object | rests on |", "|---|---|---|"]
            for p in permissions:
                decision = policy.may(body_id, p.action.id, p.object.id)
                sources = "; ".join(f"« {c} »" for c in _citations(decision.explanation))
                lines.append(f"| {p.action.id} | {_cell(p.object.name)} | {_cell(sources)} |")
        else:
            lines.append("- May decide nothing on its own" + (" on this date." if policy.as_of else "."))
        lines.append("")
    lines += ["## Consumers of the services (Leistungsbezüger)", "",
              "| unit | served by |", "|---|---|"]
    for (unit_id,) in sorted(policy.relation("consumer")):
        servers = ", ".join(e.name for e in policy.who_serves(unit_id)) or "—"
        lines.append(f"| {_cell(policy.entity(unit_id).name)} | {_cell(servers)} |")
    lines += ["", "## Responsibility for the digital transformation", "", "| role | area |", "|---|---|"]
    for role_id, unit_id in sorted(policy.relation("responsible")):
        lines.append(f"| {_cell(policy.entity(role_id).name)} | {_cell(policy.entity(unit_id).name)} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rules", metavar="DIR")
    parser.add_argument("--at", metavar="YYYY-MM-DD")
    parser.add_argument("-o", "--output", metavar="FILE")
    args = parser.parse_args(argv)
    text = report(Policy.load(args.rules, at=args.at))
    if args.output:
        with open(args.output, "w", encoding="utf-8") as f:
            f.write(text)
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
