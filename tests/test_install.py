"""The bundled policy ships inside the package: an installed kdv_policy needs no checkout.

CI installs the wheel (not editable), so there these tests run against the installed
package from a directory with no checkout around.
"""

import os
import subprocess
import sys
from pathlib import Path

import kdv_policy
from kdv_policy import bundled_rules

PACKAGE = Path(kdv_policy.__file__).resolve().parent
INSTALLED = "site-packages" in PACKAGE.parts or "dist-packages" in PACKAGE.parts


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    if not INSTALLED:  # a source checkout: make the package importable from elsewhere
        env["PYTHONPATH"] = str(PACKAGE.parent)
    return subprocess.run([sys.executable, "-m", "kdv_policy", *args], cwd=cwd, env=env,
                          capture_output=True, text=True)


def test_bundled_rules_are_found():
    rules = bundled_rules()
    assert sorted(p.name for p in rules.glob("*.dl"))
    if INSTALLED:  # a wheel carries the rules as package data, not from a checkout
        assert rules.resolve().is_relative_to(PACKAGE)


def test_check_and_query_work_from_an_empty_directory(tmp_path):
    check = run("check", cwd=tmp_path)
    assert check.returncode == 0, check.stdout + check.stderr
    assert "0 errors, 0 warnings" in check.stdout
    query = run("query", "chair(steuerungsausschuss, X)", cwd=tmp_path)
    assert query.returncode == 0, query.stderr
    assert "X = departementschef_div" in query.stdout
