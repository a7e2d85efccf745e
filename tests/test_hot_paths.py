"""The hot questions (may, who_may, who_serves) answer cache hits on a path of their own:
it must count, audit, evict and document exactly like every other question."""

from __future__ import annotations

import gc
import logging
import weakref
from pathlib import Path

import pytest

from kdv_policy import Policy
from kdv_policy.policy.audit import AUDIT_LOGGER

REPO_RULES = Path(__file__).resolve().parents[1] / "rules"
"""The policy of this repository (not the copy an installation bundles)."""


@pytest.fixture(scope="module")
def policy() -> Policy:
    return Policy.load(REPO_RULES)


def test_hits_and_misses_are_counted(policy):
    fresh = Policy(policy._loaded)
    for _ in range(3):
        fresh.may("Regierungsrat", "approve", "Strategie")
        fresh.who_may("approve", "Strategie")
        fresh.who_serves("Staatskanzlei")
        fresh.members("Steuerungsausschuss")
    info = fresh.cache_info()
    assert (info.hits, info.misses, info.size) == (8, 4, 4)


def test_hits_give_the_answers_of_misses(policy):
    cold = Policy(policy._loaded, cache_size=1)
    warm = Policy(policy._loaded)
    for _ in range(2):
        one, two = warm.may("Regierungsrat", "approve", "Strategie"), cold.may("RR", "approve", "Strategie")
        assert (one.allowed, one.explanation) == (two.allowed, two.explanation)
        assert warm.who_may("approve", "Strategie").ids == cold.who_may("approve", "Strategie").ids
        assert warm.who_serves("Staatskanzlei").ids == cold.who_serves("Staatskanzlei").ids


def test_an_evicted_answer_is_not_served_from_the_hot_path(policy):
    small = Policy(policy._loaded, cache_size=2)
    first = small.who_serves("Staatskanzlei")
    small.who_serves("Departement für Inneres und Volkswirtschaft")
    small.may("Regierungsrat", "approve", "Strategie")  # evicts the first entry (FIFO)
    assert small.who_serves("Staatskanzlei") is not first  # computed again, not the evicted object
    assert small.who_serves("Staatskanzlei").ids == first.ids
    assert small.cache_info().size == 2


def test_hits_are_audited(policy):
    fresh = Policy(policy._loaded)
    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append  # type: ignore[method-assign]
    AUDIT_LOGGER.addHandler(handler)
    old_level = AUDIT_LOGGER.level
    AUDIT_LOGGER.setLevel(logging.INFO)
    try:
        for _ in range(2):
            fresh.may("Regierungsrat", "approve", "Strategie")
            fresh.who_serves("Staatskanzlei")
            fresh.who_may("approve", "Strategie")
    finally:
        AUDIT_LOGGER.removeHandler(handler)
        AUDIT_LOGGER.setLevel(old_level)
    assert len(records) == 6
    fresh.may("Regierungsrat", "approve", "Strategie")  # no handler: nothing more
    assert len(records) == 6
    asked = [(r.audit["question"], tuple(r.audit["asked"])) for r in records]  # type: ignore[attr-defined]
    assert asked == [("may", ("Regierungsrat", "approve", "Strategie")), ("who_serves", ("Staatskanzlei",)),
                     ("who_may", ("approve", "Strategie"))] * 2
    assert all(r.audit["version"] == fresh.version for r in records)  # type: ignore[attr-defined]


def test_a_temporary_policy_answers_through_its_hot_path():
    ask = Policy.load(REPO_RULES).who_serves  # nothing else refers to the policy
    gc.collect()
    assert ask("Staatskanzlei").ids == ask("Staatskanzlei").ids


def test_an_unused_policy_is_freed(policy):
    ref = weakref.ref(Policy(policy._loaded))
    gc.collect()
    assert ref() is None


def test_the_hot_questions_keep_their_documentation(policy):
    assert policy.may.__doc__ == Policy.may.__doc__
    assert policy.who_serves.__name__ == "who_serves"
    assert "provide services" in (policy.who_serves.__doc__ or "")
