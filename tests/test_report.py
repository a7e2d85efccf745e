"""The auditor's report without a browser: what the pages hold, reproducibility, escaping,
the command line's errors (the browser tests are in test_report_browser.py)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from kdv_policy import Policy
from kdv_policy.authoring.traceability import split_sentences
from kdv_policy.policy.loader import bundled_rules
from kdv_policy.report import generate

ROOT = Path(__file__).resolve().parents[1]
DATE_LINE = re.compile(r'<p id="report-date">[^<]*</p>')


def cli(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NO_COLOR": "1"}
    return subprocess.run([sys.executable, "-m", "kdv_policy", *args], capture_output=True, text=True,
                          env=env, timeout=300, cwd=cwd)


def files_of(directory: Path) -> dict[str, bytes]:
    return {p.relative_to(directory).as_posix(): p.read_bytes()
            for p in sorted(directory.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def bundled(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("report") / "site"
    generate(Policy.load(lang="de"), out, date="2030-01-02")
    return out


def test_the_report_has_every_page_and_its_scripts_inside(bundled):
    names = set(files_of(bundled))
    assert {"index.html", "matrix.html", "governance.html", "changes.html", "rules.html", "tests.html",
            "report.json", "static/mermaid.min.js", "static/mermaid.LICENSE", "static/report.js",
            "static/report.css"} <= names
    for name, content in files_of(bundled).items():
        if name.endswith(".html"):
            html = content.decode("utf-8")
            # nothing is fetched from elsewhere: every src and href is relative
            for ref in re.findall(r'(?:src|href)="([^"]*)"', html):
                assert not re.match(r"^[a-z]+:|^//", ref), (name, ref)


def test_the_main_page_is_german_and_holds_every_sentence_and_the_coverage(bundled):
    html = (bundled / "index.html").read_text(encoding="utf-8")
    assert '<html lang="de">' in html and "Abdeckung" in html and "Herkunft" in html
    text = (bundled_rules() / "source-text.txt").read_text(encoding="utf-8")
    sentences = split_sentences(text)
    for s in sentences:
        assert f'id="s{s.number}"' in html
    assert f"von {len(sentences)} Sätzen codiert" in html
    assert "Policy-Tests bestanden" in html
    assert Policy.load().version in html


def test_the_report_is_reproducible_apart_from_the_date_line(bundled, tmp_path):
    again = tmp_path / "again"
    generate(Policy.load(lang="de"), again, date="2031-05-06")
    first, second = files_of(bundled), files_of(again)
    assert first.keys() == second.keys()
    differing = [n for n in first if first[n] != second[n]]
    assert differing == ["index.html"]
    strip = lambda b: DATE_LINE.sub("", b.decode("utf-8"))  # noqa: E731
    assert strip(first["index.html"]) == strip(second["index.html"])


def test_a_second_run_replaces_an_earlier_report_but_never_other_files(bundled, tmp_path):
    out = tmp_path / "site"
    shutil.copytree(bundled, out)
    (out / "explain" / "stale.html").write_text("old", encoding="utf-8")
    generate(Policy.load(lang="de"), out, date="2030-01-02")
    assert not (out / "explain" / "stale.html").exists()
    other = tmp_path / "notes"
    other.mkdir()
    (other / "keep.txt").write_text("mine", encoding="utf-8")
    result = cli("report", "-o", str(other))
    assert result.returncode == 2
    assert "is not empty and holds no report" in result.stderr
    assert (other / "keep.txt").read_text(encoding="utf-8") == "mine"


def test_a_hostile_name_is_escaped_everywhere(tmp_path):
    rules = tmp_path / "rules"
    shutil.copytree(bundled_rules(), rules)
    organisation = rules / "organisation.toml"
    hostile = '<script>alert("x")</script> & <img src=x onerror=alert(1)>'
    text = organisation.read_text(encoding="utf-8")
    text, count = re.subn(r'name = "Planungsausschuss"', f"name = '{hostile}'", text, count=1)
    assert count == 1
    organisation.write_text(text, encoding="utf-8")
    out = tmp_path / "site"
    generate(Policy.load(rules, lang="en"), out, date="2030-01-02")
    seen = 0
    for name, content in files_of(out).items():
        if not name.endswith(".html"):
            continue
        html = content.decode("utf-8")
        assert "<script>alert" not in html and "<img src=x" not in html, name
        seen += html.count("&lt;script&gt;alert(")
    assert seen > 3


def test_english_pages_with_lang_en(tmp_path):
    out = tmp_path / "en"
    result = cli("report", "-o", str(out), "--lang", "en")
    assert result.returncode == 0, result.stderr
    html = (out / "index.html").read_text(encoding="utf-8")
    assert '<html lang="en">' in html and "Coverage" in html and "Provenance" in html
    assert "index.html: report of" in result.stderr


@pytest.mark.parametrize("args, message", [
    (("report",), "the following arguments are required: -o/--output"),
    (("report", "no/such/policy", "-o", "{tmp}/x"), "does not exist"),
    (("report", "-o", "{tmp}/x", "--lang", "fr"), "invalid choice"),
    (("report", "-o", "{tmp}/x", "--people", "no/such/people.toml"), "people"),
    (("report", "-o", "{tmp}/x", "--against", "no/such/dir"), "does not exist"),
    (("report", "-o", "{tmp}/x", "--against", "git:-x"), "does not name a git revision"),
    (("report", "-o", "{tmp}/file"), "is a file, not a directory"),
])
def test_bad_input_exits_2_with_a_message(tmp_path, args, message):
    (tmp_path / "file").write_text("", encoding="utf-8")
    result = cli(*(a.replace("{tmp}", str(tmp_path)) for a in args))
    assert result.returncode == 2, result.stderr
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "x").exists()


def test_the_matrix_is_bounded_by_summarising_groups(tmp_path):
    policy = Policy.load(people=ROOT / "examples" / "people.toml", lang="en")
    out = tmp_path / "site"
    generate(policy, out, people=ROOT / "examples" / "people.toml", date="2030-01-02", max_matrix_cells=700)
    html = (out / "matrix.html").read_text(encoding="utf-8")
    # bodies and roles fit the bound, the persons do not: they are listed with what they may
    assert 'data-kind="role"' in html and 'data-kind="person"' not in html
    assert "too many for the matrix" in html
    persons = (out / "actors" / "person-1.html").read_text(encoding="utf-8")
    assert "Erika Muster" in persons


def test_against_a_git_revision_fills_the_changes_page(tmp_path):
    out = tmp_path / "site"
    result = cli("report", "rules", "-o", str(out), "--against", "git:HEAD", "--lang", "en")
    assert result.returncode == 0, result.stderr
    html = (out / "changes.html").read_text(encoding="utf-8")
    assert 'id="changes-summary"' in html and "<code>git:HEAD</code>" in html
    assert 'id="no-comparison"' not in html
    # without --against the page says how to get one
    generate(Policy.load(lang="en"), tmp_path / "plain", date="2030-01-02")
    assert 'id="no-comparison"' in (tmp_path / "plain" / "changes.html").read_text(encoding="utf-8")


def test_a_decision_resting_on_an_adopted_interpretation_is_marked_as_such(tmp_path):
    policy = Policy.load(lang="en").with_interpretations(["vorsitz_handelt_allein"])
    out = tmp_path / "site"
    generate(policy, out, date="2030-01-02")
    matrix = (out / "matrix.html").read_text(encoding="utf-8")
    row = matrix.split('data-name="departementschef div departementschef_div"')[1].split("</tr>")[0]
    assert 'class="cell interpretation"' in row and 'class="cell allow"' not in row
    index = (out / "index.html").read_text(encoding="utf-8")
    adopted = index.split("Interpretations adopted")[1].split("</dd>")[0]
    assert "vorsitz_handelt_allein" in adopted


def _page_text(path: Path) -> str:
    """A page's words: without scripts and tags, entities decoded."""
    import html as html_module

    page = re.sub(r"<script.*?</script>", "", path.read_text(encoding="utf-8"), flags=re.S)
    return html_module.unescape(re.sub(r"<[^>]+>", " ", page))


def test_german_pages_say_structure_notes_and_reasons_in_german(bundled):
    from kdv_policy.authoring.traceability import REASONS

    explained = list((bundled / "explain").glob("*.html"))
    words = " ".join(_page_text(p) for p in [bundled / "index.html", bundled / "changes.html", *explained])
    assert "↳ Struktur: ein Gremium darf, wofür es die Kompetenz hat" in words
    assert "a body may what it holds the competence for" not in words
    # the reasons a sentence is not encoded, through the catalog as the trace says them
    assert "Nicht codiert:" in words or "nicht codiert" in words
    assert not any(reason in words for reason in REASONS.values())
    index = _page_text(bundled / "index.html")
    assert "Der Staatsschreiber ist Mitglied des Steuerungsausschusses" in index
    assert "member(Steuerungsausschuss" not in index


def test_english_pages_say_the_same_notes_and_reasons_in_english(tmp_path):
    from kdv_policy.authoring.traceability import REASONS, reason_text

    out = tmp_path / "en"
    generate(Policy.load(lang="en"), out, date="2030-01-02")
    words = " ".join(_page_text(p) for p in [out / "index.html", *(out / "explain").glob("*.html")])
    assert "↳ structure: a body may what it holds the competence for" in words
    assert any(reason in words for reason in REASONS.values())
    assert reason_text("heading", "en") == REASONS["heading"]
    assert reason_text("heading", "de") == "eine Überschrift des Texts, keine Aussage."
    assert "Staatsschreiber is a member of Steuerungsausschuss" in words


def test_the_governance_picture_and_the_changes_speak_the_pages_language(tmp_path):
    policy = Policy.load(lang="de")
    changed = policy.with_facts(add=["competence(planungsausschuss, define, schwerpunktplanung)"])
    out = tmp_path / "de"
    generate(changed, out, old=policy, against="what-if", date="2030-01-02")
    governance = _page_text(out / "governance.html")
    assert '|"Vorsitz"|' in governance and '|"chair"|' not in governance
    assert "delegiert: die Strategie Digitale Verwaltung Thurgau umsetzen" in governance
    changes = _page_text(out / "changes.html")
    assert "Planungsausschuss / definieren" in changes and "Planungsausschuss / define" not in changes
    out_en = tmp_path / "en"
    generate(changed.in_language("en"), out_en, old=policy.in_language("en"), against="what-if",
             date="2030-01-02")
    assert '|"chair"|' in _page_text(out_en / "governance.html")
    assert "Planungsausschuss / define" in _page_text(out_en / "changes.html")


def test_clause_ref_is_public_and_the_report_uses_no_private_name():
    from kdv_policy.authoring import traceability

    clause = next(c for c in Policy.load().program.clauses if c.id == "darf_aus_kompetenz")
    ref = traceability.clause_ref(clause)
    assert (ref.id, ref.basis) == ("darf_aus_kompetenz", "structure")
    report = ROOT / "src" / "kdv_policy" / "report"
    for source in report.glob("*.py"):
        assert not re.search(r"import .*\b_[a-z]\w*", source.read_text(encoding="utf-8")), source
