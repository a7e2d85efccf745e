"""The compiled catalogs answers read are those their ``.po`` files compile to."""

from __future__ import annotations

import subprocess
import sys

from kdv_policy.policy import catalogs, wording


def test_every_shipped_catalog_is_compiled_from_its_po() -> None:
    assert catalogs.translated() == ("de",)
    for lang in catalogs.translated():
        assert catalogs.mo_path(lang).read_bytes() == catalogs.compiled(lang), (
            f"{catalogs.mo_path(lang)} is older than its .po: run `python -m kdv_policy.policy.catalogs`")


def test_answers_read_every_translation_of_the_po() -> None:
    from babel.messages.pofile import read_po

    with catalogs.po_path("de").open("rb") as f:
        messages = read_po(f, locale="de", domain=wording.DOMAIN)
    expected = {str(m.id): str(m.string) for m in messages if m.id and isinstance(m.id, str) and m.string}
    assert len(expected) > 200
    assert wording.catalog("de") == expected
    message = "{goal} does not hold:"
    assert wording.say("de", message, goal="x") == expected[message].format(goal="x")


def test_german_words_do_not_load_babel() -> None:
    code = ("import sys; from kdv_policy.policy import wording; "
            "print(wording.phrase('de', 'Structure'), 'babel' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split()[-1] == "False"
    assert out.split()[0] != "Structure"


def test_compiling_writes_the_catalogs_it_checks(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(catalogs, "mo_path", lambda lang: tmp_path / f"{lang}.mo")
    assert catalogs.main() == 0
    assert (tmp_path / "de.mo").read_bytes() == catalogs.compiled("de")
