"""The auditor's report: a static, self-contained website of a policy (``python -m kdv_policy
report``), built with Jinja2 templates from the package's ``templates/`` and the scripts of its
``static/`` (the page's own filter script and Mermaid, which draws the governance).

:func:`generate` loads nothing itself but the policy tests: it is given the loaded policy (and,
for "what changed", the older one) and writes the pages. :mod:`~kdv_policy.report.collect`
gathers what they show, :mod:`~kdv_policy.report.site` renders and writes them.
"""

from __future__ import annotations

import datetime
import os
from pathlib import Path

from kdv_policy._version import __version__
from kdv_policy.limits import Limits, as_limits
from kdv_policy.policy.api import Policy


def report_date() -> str:
    """Today, or the day of ``SOURCE_DATE_EPOCH`` when it is set (reproducible builds)."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "")
    if epoch.isdigit():
        return datetime.datetime.fromtimestamp(int(epoch), datetime.UTC).date().isoformat()
    return datetime.date.today().isoformat()


def generate(policy: Policy, out: str | os.PathLike[str], *, people: str | os.PathLike[str] | None = None,
             old: Policy | None = None, against: str | None = None, limits: Limits | None = None,
             date: str | None = None, max_matrix_cells: int | None = None) -> list[str]:
    """Write the report of ``policy`` into the directory ``out``; the files written.

    ``old``: the earlier version for the "what changed" page (``against`` names it). Raises a
    :class:`~kdv_policy.errors.PolicyError` when the policy's tests or text do not load or the
    directory cannot be written.
    """
    from kdv_policy.policy.diff import diff
    from kdv_policy.report import collect, site

    changes = diff(old, policy, explain=True) if old is not None else None
    data = collect.collect(
        policy, root=policy.directory, people=Path(people) if people is not None else None,
        date=date or report_date(), tool=__version__, limits=as_limits(limits), changes=changes,
        against=against,
        max_matrix_cells=collect.MAX_MATRIX_CELLS if max_matrix_cells is None else max_matrix_cells)
    return site.write(data, Path(out))


__all__ = ["generate", "report_date"]
