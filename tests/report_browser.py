"""The headless browser the report tests use: Debian's Chromium, driven by Playwright.

``.ci/run`` installs ``chromium`` when it is missing; only where no browser is installed do the
browser tests skip, saying why. ``python tests/report_browser.py`` regenerates docs/report.png.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SCREENSHOT = ROOT / "docs" / "report.png"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def chromium() -> str | None:
    """The system browser: $CHROMIUM, /usr/bin/chromium, or chromium on the PATH."""
    for candidate in (os.environ.get("CHROMIUM"), "/usr/bin/chromium", shutil.which("chromium")):
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return candidate
    return None


def missing() -> str | None:
    """Why the browser tests cannot run here, or None when they can."""
    if chromium() is None:
        return "no Chromium here: `apt-get install -y chromium` (.ci/run does it)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright is not installed: `pip install -e '.[test]'`"
    return None


@contextmanager
def browser() -> Iterator[Any]:
    """A headless Chromium, closed afterwards."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=chromium(), args=ARGS)
        try:
            yield launched
        finally:
            launched.close()


def screenshot(out: Path = SCREENSHOT) -> Path:
    """Generate the bundled policy's report (German) and take the main page's screenshot."""
    import tempfile

    from kdv_policy import Policy
    from kdv_policy.report import generate

    with tempfile.TemporaryDirectory() as tmp, browser() as b:
        site = Path(tmp) / "report"
        generate(Policy.load(lang="de"), site, date="2030-01-01")
        page = b.new_page(viewport={"width": 1280, "height": 1500})
        page.goto((site / "index.html").as_uri())
        page.screenshot(path=str(out))
    return out


if __name__ == "__main__":
    reason = missing()
    if reason:
        sys.exit(reason)
    print(screenshot())
