"""What the command line prints besides answers: exit codes, colour, errors, a closed pipe.

Answers go to stdout, everything else (errors, the policy a command read) to stderr, so that
stdout stays parseable. See docs/cli.md, "Exit status".
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
from typing import TextIO

from kdv_policy.errors import Diagnostic, PolicyError
from kdv_policy.language.source import snippet
from kdv_policy.policy.names import AmbiguousNameError, UnknownNameError
from kdv_policy.policy.questions import QuestionError, Style
from kdv_policy.policy.wording import N_, phrase, say

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_BAD_INPUT = 2
EXIT_BROKEN_PIPE = 128 + getattr(signal, "SIGPIPE", 13)
"""141, as the shell reports a command that a closed pipe stopped (``yes | head``)."""

PROG = "python -m kdv_policy"


def style_for(stream: TextIO) -> Style:
    """Colour only on a terminal, and never when ``NO_COLOR`` is set (https://no-color.org)."""
    isatty = getattr(stream, "isatty", None)
    tty = bool(isatty and isatty())
    return Style(tty and not os.environ.get("NO_COLOR") and os.environ.get("TERM") != "dumb")


def error(message: str, hint: str | None = None, lang: str = "en") -> None:
    """``error: message`` on stderr (``error:`` in red on a terminal; ``Fehler:`` in German), then
    ``help:`` if any."""
    style = style_for(sys.stderr)
    print(f"{style.no(phrase(lang, _ERROR))} {message}", file=sys.stderr)
    if hint:
        print(f"  = {phrase(lang, _HELP)} {hint}", file=sys.stderr)


def render_diagnostic(d: Diagnostic, lang: str = "en") -> str:
    """A diagnostic as :meth:`Diagnostic.render` shows it, its words (``warning:``, ``help:``) in
    ``lang``; the message is the diagnostic's own."""
    if lang == "en":
        return d.render()
    where = "" if d.span is None else (f"{d.span.path}: " if d.span.line == 0 else f"{d.span}: ")
    severity = phrase(lang, _SEVERITIES[d.severity.value])
    parts = [f"{where}{severity}: {d.message} [{d.code}]"]
    snip = snippet(d.source, d.span)
    if snip:
        parts.append(snip)
    if d.help:
        parts.append(f"  = {phrase(lang, _HELP)} {d.help}")
    return "\n".join(parts)


_SEVERITIES = {"error": N_("error"), "warning": N_("warning")}
_ERROR, _HELP, _IN = N_("error:"), N_("help:"), N_("in:")


def policy_error(err: PolicyError, lang: str = "en") -> None:
    """A policy that does not load (or a file that cannot be read), with every diagnostic."""
    if lang == "en" or not err.diagnostics:
        print(err.render(), file=sys.stderr)
        return
    print("\n".join(render_diagnostic(d, lang) for d in err.diagnostics), file=sys.stderr)


def query_error(text: str, err: PolicyError, lang: str = "en") -> None:
    """A bad query: a syntax error with its caret, a name error with its suggestions; the words
    around the message in the question's language (``Fehler:``)."""
    if isinstance(err, QuestionError):
        lang = err.language
    if err.diagnostics:
        print(err.render(), file=sys.stderr)
    elif isinstance(err, QuestionError):
        error(str(err), lang=lang)
    else:
        error(f"{name_error(err, lang)}\n  {phrase(lang, _IN)} {text}", lang=lang)


_UNKNOWN = {"actor": N_("unknown actor `{name}`"), "body": N_("unknown body `{name}`"),
            "unit": N_("unknown unit `{name}`"), "action": N_("unknown action `{name}`"),
            "object": N_("unknown object `{name}`"), "role": N_("unknown role `{name}`"),
            "person": N_("unknown person `{name}`"), None: N_("unknown name `{name}`")}
_DID_YOU_MEAN = N_("; did you mean {listed}?")
_AMBIGUOUS = N_("`{name}` is ambiguous: it names {listed}; use the id or the full name")


def name_error(err: PolicyError, lang: str) -> str:
    """The message of ``err`` in ``lang``: an unknown or ambiguous name is worded from its fields
    (its suggestions, its candidates); any other error keeps its own message."""
    if lang == "en":
        return str(err)
    if isinstance(err, UnknownNameError) and err.reason is None and err.kind in _UNKNOWN:
        listed = ", ".join(f"`{e.name}`" + (f" ({e.id})" if e.id != e.name else "") for e in err.suggestions)
        return say(lang, _UNKNOWN[err.kind], name=err.name) + (say(lang, _DID_YOU_MEAN, listed=listed)
                                                               if listed else "")
    if isinstance(err, AmbiguousNameError) and str(err).endswith("use the id or the full name"):
        listed = ", ".join(f"`{e.name}` ({e.kind} {e.id})" for e in err.candidates)
        return say(lang, _AMBIGUOUS, name=err.name, listed=listed)
    return str(err)


def note(text: str) -> None:
    """A line of context on stderr (which policy was read), flushed before the answers start."""
    print(text, file=sys.stderr, flush=True)


def reader_gone() -> int:
    """The reader of stdout went away (``... | head``): stop writing, quietly.

    stdout is pointed at the null device so that the interpreter's final flush of what is
    still buffered does not fail a second time; the exit status is :data:`EXIT_BROKEN_PIPE`.
    """
    with contextlib.suppress(OSError, ValueError, AttributeError):  # a stdout without a descriptor
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    return EXIT_BROKEN_PIPE
