"""Pause CPython's cyclic garbage collector while a policy is built.

Loading a large policy and evaluating its model allocate hundreds of thousands of small,
acyclic objects (tokens, rows, pyDatalog's facts). Every few hundred allocations the cyclic
collector runs, and its older generations scan the whole, growing heap: at the large
benchmark scale that was about 40% of the load and evaluation time, and freed nothing.
Reference counting still frees everything that is not part of a cycle while paused.

:func:`paused` is a context manager that nests and is safe across threads: the collector is
paused while at least one build runs and resumes after the last one, and only if it was
enabled when the first one began (an app that disabled it keeps it disabled).
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_depth = 0
_resume = False


@contextmanager
def paused() -> Iterator[None]:
    """Run the body with the cyclic collector paused (see the module docstring)."""
    global _depth, _resume
    with _lock:
        if _depth == 0:
            _resume = gc.isenabled()
            gc.disable()
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0 and _resume:
                gc.enable()
