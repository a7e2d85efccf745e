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

from kdv_policy.errors import PolicyError
from kdv_policy.policy.questions import QuestionError, Style

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


def error(message: str, hint: str | None = None) -> None:
    """``error: message`` on stderr (``error:`` in red on a terminal), then ``help:`` if any."""
    style = style_for(sys.stderr)
    print(f"{style.no('error:')} {message}", file=sys.stderr)
    if hint:
        print(f"  = help: {hint}", file=sys.stderr)


def policy_error(err: PolicyError) -> None:
    """A policy that does not load (or a file that cannot be read), with every diagnostic."""
    print(err.render(), file=sys.stderr)


def query_error(text: str, err: PolicyError) -> None:
    """A bad query: a syntax error with its caret, a name error with its suggestions."""
    if err.diagnostics:
        print(err.render(), file=sys.stderr)
    elif isinstance(err, QuestionError):
        error(str(err))
    else:
        error(f"{err}\n  in: {text}")


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
