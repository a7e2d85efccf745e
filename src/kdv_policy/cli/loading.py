"""The policy a command reads: which directory, under which limits, and saying so.

Without an explicit policy argument, a command reads the policy directory of the current
directory — ``./rules`` when it holds ``*.dl`` files, else the current directory itself when
it does — and only otherwise the policy bundled with the package. An author editing
``rules/`` therefore never gets answers from the installed copy by accident, and every
command names the policy it read (docs/cli.md, "Which policy").
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from kdv_policy.errors import PolicyError
from kdv_policy.files import display_path
from kdv_policy.limits import Limits
from kdv_policy.policy.api import Policy
from kdv_policy.policy.loader import RULE_SUFFIX, bundled_rules
from kdv_policy.policy.wording import say
from kdv_policy.suggest import did_you_mean

LOCAL_RULES = "rules"
"""The folder, in the current directory, that holds the policy being edited."""

SHORT_VERSION = 12
"""Hex digits of a policy's version shown in text output (JSON carries all of them)."""


@dataclass(frozen=True)
class Location:
    """A policy directory and how it was chosen: given, found in the working directory, bundled."""

    path: Path
    how: str  # "given", "local" or "bundled"

    @property
    def display(self) -> str:
        """The directory as text output names it (relative to the working directory when inside)."""
        return display_path(self.path)

    def describe(self, version: str | None = None, lang: str = "en") -> str:
        """``rules (version 1a2b3c4d5e6f)``; the bundled policy says so; the words in ``lang``."""
        where = (say(lang, "{directory}, the bundled policy", directory=self.display) if self.how == "bundled"
                 else self.display)
        return say(lang, "{where} (version {version})", where=where, version=version[:SHORT_VERSION]) \
            if version else where

    def json(self, version: str) -> dict[str, str]:
        """The ``policy`` field of JSON output."""
        return {"directory": self.display, "version": version, "source": self.how}


def _holds_rules(directory: Path) -> bool:
    """Does ``directory`` itself (not its subfolders) hold a ``*.dl`` rule file?"""
    try:
        if not directory.is_dir():
            return False
        return any(p.suffix == RULE_SUFFIX and not p.name.startswith(".") and p.is_file()
                   for p in directory.iterdir())
    except OSError:
        return False


def local_policy(cwd: Path | None = None) -> Path | None:
    """The policy directory of the working directory: ``./rules``, or ``.`` itself, when it holds
    ``*.dl`` files; None when neither does."""
    here = Path(".") if cwd is None else cwd
    for candidate in (here / LOCAL_RULES, here):
        if _holds_rules(candidate):
            return candidate
    return None


def locate(given: str | None) -> Location:
    """The policy a command reads: ``given`` when not None, else the local one, else the bundled one."""
    if given is not None:
        return Location(Path(given), "given")
    local = local_policy()
    if local is not None:
        return Location(local, "local")
    return Location(bundled_rules(), "bundled")


def announce(location: Location, version: str | None = None, lang: str = "en") -> None:
    """``policy: rules (version 1a2b3c4d5e6f)`` on stderr: text output names the policy it read,
    in ``lang`` (German: ``Policy: rules (Version 1a2b3c4d5e6f)``)."""
    print(say(lang, "policy: {policy}", policy=location.describe(version, lang)), file=sys.stderr, flush=True)


def load_policy(args: argparse.Namespace, *, name_it: bool,
                lang: str | None = None) -> tuple[Policy, Location] | None:
    """The policy of ``--rules`` (or the local or the bundled one) with the command's ``--at``,
    ``--people``, ``--limit`` and interpretation options; named on stderr when ``name_it``, in
    ``lang`` (by default :func:`line_language`). None, with the errors printed, when it does not
    load."""
    try:
        location = locate(args.rules)
        # the bundled policy as Policy.load() gives it: from its shipped bundle when that is current
        given = None if location.how == "bundled" else location.path
        policy = Policy.load(given, at=getattr(args, "at", None),
                             people=getattr(args, "people", None), limits=limits_from(args.limit),
                             lang=getattr(args, "lang", None), verify_key=getattr(args, "verify_key", None))
        policy = with_interpretations(policy, args)
    except PolicyError as err:
        print(err.render(), file=sys.stderr)
        return None
    if name_it:
        announce(location, policy.version, lang or line_language(args, policy.language))
    return policy, location


_LANGUAGE_WORDS = 200
"""Words of the command line's questions read to tell their language."""


def line_language(args: argparse.Namespace, default: str) -> str:
    """The language of the ``policy:`` line: ``--lang``; else, as a question is answered in its own
    language, the language of the questions on the command line; else ``default``."""
    chosen = getattr(args, "lang", None)
    if chosen:
        return str(chosen)
    queries = [q for q in getattr(args, "queries", None) or () if isinstance(q, str) and q != "-"]
    if not queries:
        return default
    from kdv_policy.policy.grammar import language_of  # the question grammar, on first use

    words = [w for q in queries for w in q[:10_000].split()][:_LANGUAGE_WORDS]
    return language_of(words)


# -- --interpretation ID, --no-interpretation ID, --text-only -----------------------------------------


def add_interpretation_options(parser: argparse.ArgumentParser) -> None:
    """The options that choose the interpretations adopted, for every command that loads a policy."""
    parser.add_argument("--interpretation", metavar="ID", action="append", default=[],
                        help="adopt this interpretation too (repeatable); `interpretations` lists them")
    parser.add_argument("--no-interpretation", metavar="ID", action="append", default=[],
                        help="do not adopt this interpretation, though policy.toml does (repeatable)")
    parser.add_argument("--text-only", action="store_true",
                        help="adopt no interpretation: answers from the text alone (then --interpretation "
                             "adds to none)")


def chosen_interpretations(args: argparse.Namespace, configured: Sequence[str]) -> tuple[str, ...] | None:
    """The interpretations the options adopt, starting from ``configured`` (policy.toml's), or
    None when no option is given (the policy's own choice stands)."""
    adds = getattr(args, "interpretation", None) or []
    removes = getattr(args, "no_interpretation", None) or []
    text_only = getattr(args, "text_only", False)
    if not (adds or removes or text_only):
        return None
    chosen = dict.fromkeys(() if text_only else configured)
    chosen.update(dict.fromkeys(adds))
    for name in removes:
        chosen.pop(name, None)
    return tuple(chosen)


def with_interpretations(policy: Policy, args: argparse.Namespace) -> Policy:
    """``policy`` adopting what the options say (unchanged without options); an unknown id in
    any option is an error naming the declared ones."""
    chosen = chosen_interpretations(args, policy.adopted)
    if chosen is None:
        return policy
    for name in getattr(args, "no_interpretation", None) or []:
        policy.with_interpretations([name])  # refuses an id the policy does not declare
    return policy.with_interpretations(chosen)


# -- --limit NAME=VALUE ------------------------------------------------------------------------------


def limit_setting(text: str) -> tuple[str, int]:
    """One ``--limit NAME=VALUE`` (an argparse ``type``): a usage error names what is wrong."""
    name, sep, value = text.partition("=")
    name = name.strip()
    if not sep or not name:
        raise argparse.ArgumentTypeError(f"`{text}` is not NAME=VALUE, e.g. `max_line_length=10000`")
    if name not in Limits.names():
        hint = did_you_mean(name, Limits.names())
        known = ", ".join(Limits.names())
        raise argparse.ArgumentTypeError(f"unknown limit `{name}`; " + (hint or f"the limits are: {known}"))
    digits = value.strip().replace("_", "")
    if not (digits.isascii() and digits.isdigit()) or len(digits) > 18 or int(digits) <= 0:
        raise argparse.ArgumentTypeError(f"limit `{name}` must be a positive whole number, not `{value}`")
    return name, int(digits)


def limits_from(settings: Sequence[tuple[str, int]] | None) -> Limits:
    """The limits of ``--limit`` settings (the last one of a name wins), the defaults elsewhere."""
    return Limits().replace(**dict(settings or ()))


def add_verify_key_option(parser: argparse.ArgumentParser) -> None:
    """``--verify-key PUBKEY``: a policy bundle loads only if this Ed25519 public key signed it."""
    parser.add_argument("--verify-key", metavar="PUBKEY",
                        help="refuse a bundle this Ed25519 public key (PEM) did not sign")


def add_limit_option(parser: argparse.ArgumentParser) -> None:
    """``--limit NAME=VALUE``, repeatable, for every command that loads a policy."""
    parser.add_argument(
        "--limit", metavar="NAME=VALUE", action="append", type=limit_setting, default=[],
        help="raise or lower one bound (repeatable), e.g. --limit max_rows_per_relation=5000000; "
             "the names: " + ", ".join(Limits.names()))
