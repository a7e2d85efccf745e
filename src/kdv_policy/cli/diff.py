"""``diff OLD NEW``: the decisions a policy change flips (OLD may be ``git:REV``)."""

from __future__ import annotations

import argparse
import contextlib

from kdv_policy.cli.loading import limits_from, with_interpretations
from kdv_policy.cli.output import EXIT_BAD_INPUT, EXIT_FAILED, EXIT_OK, policy_error
from kdv_policy.cli.revision import checkout
from kdv_policy.errors import PolicyError
from kdv_policy.policy.api import Policy


def cmd_diff(args: argparse.Namespace) -> int:
    """Load both versions (the old one from git when ``git:REV``) and print what differs; the
    output names both versions, its words (headings, verbs, explanations) in ``--lang``."""
    from kdv_policy.policy.diff import diff as diff_policies

    lang = getattr(args, "lang", None) or "en"
    try:
        with contextlib.ExitStack() as stack:
            old_dir = checkout(args.old, args.new, stack)
            # the explanations in the language of the output
            options = dict(at=args.at, people=args.people, limits=limits_from(args.limit), lang=lang)
            old, new = Policy.load(old_dir, **options), Policy.load(args.new, **options)
            old, new = with_interpretations(old, args), with_interpretations(new, args)
            result = diff_policies(old, new, explain=args.explain or args.format == "json")
    except PolicyError as err:
        policy_error(err)
        return EXIT_BAD_INPUT
    if args.format == "json":
        print(result.model_dump_json())
    else:
        print(result.render(explain=args.explain, lang=lang))
    return EXIT_FAILED if result else EXIT_OK
