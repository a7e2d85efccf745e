"""``diff OLD NEW``: the decisions a policy change flips (OLD may be ``git:REV``)."""

from __future__ import annotations

import argparse
import contextlib
from typing import TYPE_CHECKING

from kdv_policy.cli.loading import limits_from, with_interpretations
from kdv_policy.cli.output import EXIT_BAD_INPUT, EXIT_FAILED, EXIT_OK, policy_error
from kdv_policy.cli.revision import checkout
from kdv_policy.errors import PolicyError
from kdv_policy.policy.api import Policy
from kdv_policy.policy.wording import N_, phrase, say

if TYPE_CHECKING:
    from kdv_policy.policy.diff import PolicyDiff


def cmd_diff(args: argparse.Namespace) -> int:
    """Load both versions (the old one from git when ``git:REV``) and print what differs; the
    output names both versions."""
    from kdv_policy.policy.diff import diff as diff_policies

    try:
        with contextlib.ExitStack() as stack:
            old_dir = checkout(args.old, args.new, stack)
            options = dict(at=args.at, people=args.people, limits=limits_from(args.limit))
            old, new = Policy.load(old_dir, **options), Policy.load(args.new, **options)
            old, new = with_interpretations(old, args), with_interpretations(new, args)
            result = diff_policies(old, new, explain=args.explain or args.format == "json")
    except PolicyError as err:
        policy_error(err)
        return EXIT_BAD_INPUT
    lang = getattr(args, "lang", None) or "en"
    if args.format == "json":
        print(result.model_dump_json())
    else:
        print(result.render(explain=args.explain) if lang == "en" else render(result, lang, args.explain))
    return EXIT_FAILED if result else EXIT_OK


_DECIDES = {"may": N_("may"), "member": N_("membership"), "chair": N_("chair"), "serves": N_("service"),
            "responsible": N_("responsibility"), "consumer": N_("consumer")}
"""What each relation a diff compares decides, as its headings say it."""


def render(result: PolicyDiff, lang: str, explain: bool = False) -> str:
    """:meth:`PolicyDiff.render` in ``lang``: the same lines, their words from the catalog."""
    versions = f"({result.old_version} → {result.new_version})"
    if not result.changes:
        return say(lang, "no decision changed {versions}", versions=versions)
    lines = [say(lang, "{gained} gained, {lost} lost {versions}", gained=str(len(result.gained)),
                 lost=str(len(result.lost)), versions=versions)]
    current = None
    for c in result.changes:
        decides = _DECIDES.get(c.relation)
        heading = f"{phrase(lang, decides) if decides else c.relation}: {c.group}"
        if heading != current:
            lines += ["", heading]
            current = heading
        lines.append(f"  {'+' if c.change == 'gained' else '-'} {c.atom}")
        if explain and c.explanation is not None:
            lines += ["      " + line for line in c.explanation.render().splitlines()]
    return "\n".join(lines)
