"""Did-you-mean: the known names closest to a misspelt one."""

from __future__ import annotations

from collections.abc import Callable, Iterable


def suggestions(word: str, candidates: Iterable[str], limit: int = 3, cutoff: float = 0.6) -> list[str]:
    """Up to ``limit`` candidates similar to ``word``, best first (case-insensitive)."""
    by_key: dict[str, str] = {}
    for cand in candidates:
        by_key.setdefault(cand.casefold(), cand)
    import difflib  # on first use: most programs never compare names

    close = difflib.get_close_matches(word.casefold(), list(by_key), n=limit, cutoff=cutoff)
    return [by_key[c] for c in close]


def did_you_mean(word: str, candidates: Iterable[str],
                 render: Callable[[str], str] = lambda c: f"`{c}`") -> str | None:
    """``"did you mean `x`?"`` or None when nothing is close."""
    found = suggestions(word, candidates)
    if not found:
        return None
    if len(found) == 1:
        return f"did you mean {render(found[0])}?"
    return "did you mean " + ", ".join(render(c) for c in found[:-1]) + f" or {render(found[-1])}?"
