"""``query`` and ``explain``: answer each query of a batch, in order, as it comes.

The question forms are parsed in :mod:`kdv_policy.policy.questions`, the queries read in
:mod:`kdv_policy.cli.batch`. Each answer is written (and flushed) before the next query is
read, so ``yes "chair of StA" | python -m kdv_policy query -`` answers line by line.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from collections.abc import Callable
from typing import Any

from kdv_policy.cli import batch
from kdv_policy.cli.loading import limits_from, load_policy
from kdv_policy.cli.output import (
    EXIT_BAD_INPUT,
    EXIT_FAILED,
    EXIT_OK,
    error,
    policy_error,
    query_error,
    style_for,
)
from kdv_policy.errors import PolicyError
from kdv_policy.policy.api import Policy
from kdv_policy.policy.questions import Query, Style, error_json

Answer = Callable[[str, Query, Policy, Style, bool], "str | dict[str, Any]"]
"""(query text, parsed query, policy, style, first?) → the text to print, or the JSON object."""


def _answer_each(args: argparse.Namespace, answer: Answer) -> int:
    """Load the policy, then answer every query in order: stdout gets each answer, stderr (and,
    in JSON, stdout) each bad query. Returns EXIT_BAD_INPUT when one was bad, else EXIT_OK."""
    if not args.queries and args.file is None:
        error("no query given: write one as arguments, `-` for stdin, or --file PATH")
        return EXIT_BAD_INPUT
    limits = limits_from(args.limit)
    with contextlib.ExitStack() as stack:
        try:
            file = stack.enter_context(batch.open_queries(args.file)) if args.file is not None else None
        except PolicyError as err:
            policy_error(err)
            return EXIT_BAD_INPUT
        loaded = load_policy(args, name_it=args.format == "text")
        if loaded is None:
            return EXIT_BAD_INPUT
        policy, location = loaded
        stamp = {"policy": location.json(policy.version)} if args.format == "json" else {}
        style = style_for(sys.stdout)
        chosen = getattr(args, "lang", None)  # --lang; else a question is answered in its own language
        speaking: dict[str, Policy] = {}
        bad, first = False, True
        try:
            for text, make in batch.items(args.queries, file, args.file, limits.max_line_length):
                lang = chosen
                try:
                    query = make().read(policy)
                    lang = chosen or query.language
                    asked = policy
                    if chosen is None and query.language is not None:
                        asked = speaking.setdefault(query.language, policy.in_language(query.language))
                    out = answer(text, query, asked, style, first)
                except PolicyError as err:
                    query_error(text, err, lang or "en")
                    if args.format == "json":
                        print(json.dumps({**error_json(text, err), **stamp}, ensure_ascii=False), flush=True)
                    bad = True
                    continue
                if isinstance(out, dict):
                    out = json.dumps({**out, **stamp}, ensure_ascii=False)
                print(out, flush=True)  # an answer is out before the next query is read
                first = False
        except PolicyError as err:  # the batch itself cannot be read on (an over-long line)
            policy_error(err)
            return EXIT_BAD_INPUT
    return EXIT_BAD_INPUT if bad else EXIT_OK


def cmd_query(args: argparse.Namespace) -> int:
    """``query``: the answer of each query, with its short why (``--explain``: the proof tree)."""
    denied = False

    def answer(text: str, query: Query, policy: Policy, style: Style, first: bool) -> str | dict[str, Any]:
        nonlocal denied
        reply = query.ask(policy)
        out = reply.json() if args.format == "json" else reply.text(style, explain=args.explain)
        denied = denied or reply.denied
        return out

    status = _answer_each(args, answer)
    if status == EXIT_OK and denied and args.fail_on_deny:
        return EXIT_FAILED
    return status


def cmd_explain(args: argparse.Namespace) -> int:
    """``explain``: the proof tree (or why-not) of each query's answer."""

    def answer(text: str, query: Query, policy: Policy, style: Style, first: bool) -> str | dict[str, Any]:
        explanation = query.explanation(policy)
        if args.format == "json":
            return {"query": text, "kind": query.kind, "explanation": explanation.model_dump(mode="json")}
        head, _, rest = explanation.render().partition("\n")
        return ("" if first else "\n") + style.bold(head) + ("\n" + rest if rest else "")

    return _answer_each(args, answer)
