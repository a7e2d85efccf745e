"""kdv_policy through its public API, ids as names: with its decision cache, and without (cache_size=1)."""

from __future__ import annotations

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
        from kdv_policy import Policy

        if self.cache_size is None:
            self.policy = Policy.load(directory)
        else:
            self.policy = Policy.load(directory, cache_size=self.cache_size)

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
