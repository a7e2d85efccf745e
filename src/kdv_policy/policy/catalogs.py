"""The compiled message catalogs: ``python -m kdv_policy.policy.catalogs`` writes each
``locale/<lang>/LC_MESSAGES/kdv_policy.mo`` from its ``.po``.

Translators edit the ``.po``; answers read the ``.mo`` with the standard library's
:mod:`gettext` (:mod:`kdv_policy.policy.wording`), so a command that answers in German does not
import Babel and parse the ``.po`` first. Babel compiles them here, as ``pybabel compile``
would; ``tests/test_catalogs.py`` fails when a shipped ``.mo`` is not what its ``.po`` compiles to.
"""

from __future__ import annotations

import io
import sys
from pathlib import Path

from kdv_policy.files import write_atomic
from kdv_policy.policy.wording import DOMAIN, LANGUAGES, catalog_path


def po_path(lang: str) -> Path:
    return catalog_path(lang, ".po")


def mo_path(lang: str) -> Path:
    return catalog_path(lang)


def compiled(lang: str) -> bytes:
    """The ``.mo`` that the ``.po`` of ``lang`` compiles to."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with po_path(lang).open("rb") as f:
        messages = read_po(f, locale=lang, domain=DOMAIN)
    out = io.BytesIO()
    write_mo(out, messages)
    return out.getvalue()


def translated() -> tuple[str, ...]:
    """The languages with a catalog (English is the message ids themselves)."""
    return tuple(lang for lang in LANGUAGES if po_path(lang).is_file())


def main() -> int:
    for lang in translated():
        write_atomic(mo_path(lang), compiled(lang))
        print(f"wrote {mo_path(lang)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
