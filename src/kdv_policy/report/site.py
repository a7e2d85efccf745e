"""The report as a static website: Jinja2 templates (autoescaped) and the bundled scripts
written into a directory that opens from the file system with no network access.

The directory is built beside its target and moved into place whole; an existing directory is
replaced only when it holds a report (its ``report.json``), so a typo in ``-o`` never empties
a folder of other files.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from kdv_policy.errors import PolicyError
from kdv_policy.policy.diff import group_of
from kdv_policy.policy.explain import basis_note
from kdv_policy.report.collect import ReportData
from kdv_policy.report.words import words

PACKAGE = Path(__file__).resolve().parent
TEMPLATES = PACKAGE / "templates"
STATIC = PACKAGE / "static"
MARKER = "report.json"
"""The file that marks a directory as a report (its pages and the policy's version)."""

PAGES = ("index.html", "matrix.html", "governance.html", "changes.html", "rules.html", "tests.html")


class ReportError(PolicyError):
    """The report cannot be written where it was asked to be."""


def _environment() -> Any:
    import jinja2  # on first use: the report is the only user

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        autoescape=True,  # every template is HTML: every value is escaped
        undefined=jinja2.StrictUndefined,
        trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
    )
    env.globals["basis_note"] = basis_note  # a step's note in the page's language, as explanations say it
    env.globals["change_group"] = group_of  # a change's actor and verb in the page's language
    return env


def render(data: ReportData) -> dict[str, str]:
    """Every page of the report: relative path -> HTML."""
    env = _environment()
    lang = data.provenance.language
    common: Mapping[str, Any] = {"d": data, "w": words(lang), "lang": lang}
    pages: dict[str, str] = {}
    for page in PAGES:
        pages[page] = env.get_template(page).render(**common, page=page, root="")
    explain = env.get_template("explain.html")
    for actor_page in data.matrix.actor_pages:
        pages[actor_page.file] = explain.render(**common, page=actor_page.file, root="../", actor=actor_page)
    actors = env.get_template("actors.html")
    for group in data.matrix.groups:
        for number, (file, listed) in enumerate(group.pages, start=1):
            pages[file] = actors.render(**common, page=file, root="../", group=group, listed=listed,
                                        number=number, total=len(group.pages))
    return pages


def write(data: ReportData, out: Path) -> list[str]:
    """Write the report into ``out`` (created, or replaced when it holds a report); the files written."""
    pages = render(data)
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise ReportError(f"`{out}` is a file, not a directory: choose a new or empty directory")
    if out.is_dir() and any(out.iterdir()) and not (out / MARKER).is_file():
        raise ReportError(f"`{out}` is not empty and holds no report: choose a new or empty directory")
    parent = out.resolve().parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        build = Path(tempfile.mkdtemp(prefix=f".{out.name}-", dir=parent))
    except OSError as err:
        raise ReportError(f"cannot write the report into `{out}`: {err.strerror or err}") from None
    try:
        files = []
        for name, html in pages.items():
            path = build / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(html, encoding="utf-8")
            files.append(name)
        (build / "static").mkdir()
        for asset in sorted(STATIC.iterdir()):
            if asset.is_file():
                shutil.copyfile(asset, build / "static" / asset.name)
                files.append(f"static/{asset.name}")
        files.append(MARKER)
        marker = {"policy_version": data.provenance.version, "kdv_policy": data.provenance.tool,
                  "language": data.provenance.language, "files": sorted(files)}
        (build / MARKER).write_text(json.dumps(marker, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        os.chmod(build, 0o755)
        if out.is_dir():
            old = Path(tempfile.mkdtemp(prefix=f".{out.name}-old-", dir=parent))
            os.replace(out, old / "report")
            os.replace(build, out)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(build, out)
    except OSError as err:
        shutil.rmtree(build, ignore_errors=True)
        raise ReportError(f"cannot write the report into `{out}`: {err.strerror or err}") from None
    return sorted(files)
