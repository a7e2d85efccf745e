"""One policy version as the service serves it: the policy, its other languages, the policies
derived from it (as of a date, with other interpretations) and the decisions already made.

A request takes the state once and is answered wholly by it, whatever reloads happen meanwhile.
Everything cached here belongs to one version and goes with it.
"""

from __future__ import annotations

import contextlib
import datetime
import threading
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

from kdv_policy.policy.api import Policy
from kdv_policy.policy.wording import LANGUAGES

DerivedKey = tuple[datetime.date | None, tuple[str, ...] | None, str]


class PolicyState:
    """A policy version with its derived policies and decision cache (both bounded)."""

    def __init__(self, policy: Policy, *, cache_size: int, derived_size: int) -> None:
        self.policy = policy
        self.version = policy.version
        self._languages: dict[str, Policy] = {policy.language: policy}
        self._derived: OrderedDict[DerivedKey, Policy] = OrderedDict()
        self._derived_size = max(1, derived_size)
        self._lock = threading.Lock()
        self.decisions: dict[tuple[Any, ...], Any] = {}
        self.cache_size = max(1, cache_size)
        self.adapter: Any = None  # how AuthZEN requests are asked of this version (service.authzen)

    def remember(self, key: tuple[Any, ...], value: Any) -> None:
        """Keep a decision (first in, first out once the cache is full)."""
        decisions = self.decisions
        if len(decisions) >= self.cache_size:
            # another thread may have evicted it first
            with contextlib.suppress(StopIteration, KeyError, RuntimeError):
                del decisions[next(iter(decisions))]
        decisions[key] = value

    def in_language(self, lang: str | None) -> Policy:
        """The policy answering in ``lang`` (its own language when None); cheap and kept."""
        if lang is None:
            return self.policy
        found = self._languages.get(lang)
        if found is None:
            found = self._languages[lang] = self.policy.in_language(lang)
        return found

    def derived(
        self, at: datetime.date | None, interpretations: Sequence[str] | None, lang: str | None
    ) -> Policy:
        """The policy as of ``at`` with ``interpretations`` adopted (None: its own), in ``lang``.

        Building one evaluates its relations on first use: call it off the event loop."""
        if at is None and interpretations is None:
            return self.in_language(lang)
        key: DerivedKey = (
            at,
            None if interpretations is None else tuple(sorted(set(interpretations))),
            lang or self.policy.language,
        )
        with self._lock:
            found = self._derived.get(key)
            if found is not None:
                self._derived.move_to_end(key)
                return found
        base = self.policy
        if interpretations is not None:
            base = base.with_interpretations(key[1] or ())
        if at is not None:
            base = base.at(at)
        base = base.in_language(key[2])
        with self._lock:
            self._derived[key] = base
            while len(self._derived) > self._derived_size:
                self._derived.popitem(last=False)
        return base


def preferred_language(header: str | None) -> str | None:
    """The first language of an ``Accept-Language`` header the service speaks (de, en), or None."""
    if not header:
        return None
    weighted = []
    for position, part in enumerate(header.split(",")[:20]):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        params = params.strip()
        if params.startswith("q="):
            try:
                quality = float(params[2:])
            except ValueError:
                quality = 0.0
        primary = tag.strip().lower().split("-", 1)[0]
        if primary in LANGUAGES and quality > 0:
            weighted.append((-quality, position, primary))
    return min(weighted)[2] if weighted else None
