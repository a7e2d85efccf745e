"""The words of answers in the user's language: code assembles, catalogs spell.

Every sentence an answer shows is an English message id (``"{actor} may not {action}
{object}."``) looked up in the gettext catalog of the language
(``locale/<lang>/LC_MESSAGES/kdv_policy.po``, compiled to the ``.mo`` beside it by
:mod:`kdv_policy.policy.catalogs` and read with the standard library's :mod:`gettext` on first
use). English is the message ids themselves.

A placeholder's value is text or a :class:`Named`: a name with its German forms. For a
named placeholder ``{actor}`` a translation may also use ``{actor_nom}`` (with its
article; ``{actor_Nom}`` at the start of a sentence), ``{actor_gen}``, ``{actor_dat}`` and
``{actor_acc}``: "des Steuerungsausschusses" comes from the organisation directory
(:class:`~kdv_policy.data.facts.Forms`), never from string rules in code.
"""

from __future__ import annotations

import datetime
import gettext
import string
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Final

from kdv_policy.errors import ArgumentError

if TYPE_CHECKING:
    from kdv_policy.data.facts import Forms

LANGUAGES: Final = ("de", "en")
"""The languages answers are given in."""

DOMAIN: Final = "kdv_policy"
LOCALE_DIR: Final = Path(__file__).resolve().parent / "locale"
CASES: Final = ("nom", "Nom", "gen", "dat", "acc")
"""The case suffixes a translation may add to a named placeholder (``Nom``: the nominative at the
start of a sentence, its article capitalised)."""


@dataclass(frozen=True)
class Named:
    """A name in a sentence: ``text`` as it stands alone, with its German ``forms`` when known."""

    text: str
    forms: Forms | None = None

    def case(self, case: str) -> str:
        if self.forms is None:
            return self.text
        if case in ("nom", "Nom"):
            nominative = self.forms.nominative
            return nominative[:1].upper() + nominative[1:] if case == "Nom" else nominative
        return {"gen": self.forms.genitive, "dat": self.forms.dative, "acc": self.forms.accusative}[case]


def check_language(lang: object, what: str = "`lang`") -> str:
    """``lang`` when it is a language answers are given in, else an :class:`ArgumentError`."""
    if not isinstance(lang, str) or lang not in LANGUAGES:
        shown = f"`{lang}`" if isinstance(lang, str) and len(lang) <= 20 else "that value"
        raise ArgumentError(f"{what} must be one of {', '.join(f'`{x}`' for x in LANGUAGES)}, not {shown}")
    return lang


_catalogs: dict[str, dict[str, str]] = {}
_lock = threading.Lock()


def catalog(lang: str) -> dict[str, str]:
    """The translations of ``lang`` by message id (empty for English), read on first use."""
    found = _catalogs.get(lang)
    if found is not None:
        return found
    with _lock:
        if lang not in _catalogs:
            _catalogs[lang] = _read(lang) if lang != "en" else {}
        return _catalogs[lang]


def catalog_path(lang: str, suffix: str = ".mo") -> Path:
    """The catalog of ``lang``: the compiled ``.mo`` answers read, or (``suffix=".po"``) the
    source translators edit."""
    return LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}{suffix}"


def _read(lang: str) -> dict[str, str]:
    with catalog_path(lang).open("rb") as f:
        translations = gettext.GNUTranslations(f)
    # gettext keeps what it read in `_catalog`: message ids → translations, the header under ""
    messages: dict[object, object] = getattr(translations, "_catalog", {})
    return {k: v for k, v in messages.items() if isinstance(k, str) and k and isinstance(v, str)}


def N_(message: str) -> str:
    """Marks ``message`` as one to translate where it is written, for :func:`phrase` to look up later."""
    return message


def placeholders(text: str) -> set[str]:
    """The names of the ``{placeholders}`` of a message."""
    return {field for _, field, _, _ in string.Formatter().parse(text) if field}


def say(lang: str, message: str, **values: str | Named) -> str:
    """``message`` in ``lang`` with ``values`` filled in (a name also in its cases)."""
    text = catalog(lang).get(message, message)
    fields: dict[str, str] = {}
    for key, value in values.items():
        if isinstance(value, Named):
            fields[key] = value.text
            for case in CASES:
                fields[f"{key}_{case}"] = value.case(case)
        else:
            fields[key] = value
    return text.format_map(fields)


def phrase(lang: str, message: str) -> str:
    """A message without placeholders, in ``lang``."""
    return catalog(lang).get(message, message)


_DATE_PATTERNS: Final = {"de": "d. MMMM y"}
"""How prose writes a date in a language: "1. März 2020"; English prose, like JSON, keeps ISO
("on 2020-03-01"), which reads the same everywhere."""


def spoken_date(lang: str, date: datetime.date) -> str:
    """``date`` as a sentence writes it in ``lang``: German in words with Babel's CLDR month names
    ("1. März 2020"), English as ``2020-03-01``."""
    from babel.dates import format_date  # on first use: Babel costs import time

    pattern = _DATE_PATTERNS.get(lang)
    if pattern is None:
        return date.isoformat()
    return str(format_date(date, pattern, locale=lang))


__all__ = ["CASES", "LANGUAGES", "N_", "Named", "catalog", "catalog_path", "check_language", "phrase",
           "placeholders", "say", "spoken_date"]
