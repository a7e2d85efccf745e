"""kdv_policy through its public API, ids as names: with its decision cache, and without (cache_size=1)."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

from . import System


class KdvPolicy(System):
    """``Policy.load(dir)``; ``policy.may(...).allowed``, ``policy.who_serves(u).ids``,
    ``policy.who_may(a, o).ids``."""

    name = "kdv_policy"
    label = "kdv_policy"
    post: ClassVar[dict[str, str | None]] = {"may": "allowed", "who_serves": "ids", "who_may": "ids"}
    cache_size: int | None = None

    def load(self, directory: Path) -> None:
        """``Policy.load`` (files → checked program and facts; relations are evaluated on first
        use), then ``materialise()``: every relation evaluated, as a server (or
        ``PolicyStore``) has it before it answers. Both phases are timed (``phases``)."""
        from kdv_policy import Policy

        options = {} if self.cache_size is None else {"cache_size": self.cache_size}
        began = time.perf_counter()
        policy = Policy.load(directory, **options)
        loaded = time.perf_counter()
        self.policy = policy.materialise()
        self.phases = {"files_s": loaded - began, "evaluate_s": time.perf_counter() - loaded}

    def calls(self) -> dict[str, Callable[..., Any]]:
        p = self.policy
        return {"may": p.may, "who_serves": p.who_serves, "who_may": p.who_may}

    def info(self) -> dict[str, Any]:
        model = self.policy.model
        return {"model_rows": sum(len(rows) for rows in model.values()),
                "may_rows": len(model.get("may", ())), "cache": self.policy.cache_info().maxsize}


class KdvPolicyUncached(KdvPolicy):
    """The same with ``cache_size=1``: every question answered from the model and its indexes."""

    name = "kdv_uncached"
    label = "kdv_policy (cache_size=1)"
    cache_size = 1
    batched_warm = False  # a repeat of the same question would hit the one-entry cache
