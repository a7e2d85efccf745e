"""What the distributions carry: an sdist that builds and tests on its own, a typed wheel.

Both are built from this checkout with the project's own build backend (hatchling), without
network access (``--no-isolation``: the test extra installs the backend).
"""

from __future__ import annotations

import email
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def dist(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    build = subprocess.run([sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out), str(ROOT)],
                           capture_output=True, text=True, timeout=600)
    assert build.returncode == 0, build.stdout + build.stderr
    return out


def _sdist_names(dist: Path) -> set[str]:
    (sdist,) = dist.glob("*.tar.gz")
    with tarfile.open(sdist) as tar:
        return {name.split("/", 1)[1] for name in tar.getnames() if "/" in name}


def _wheel(dist: Path) -> zipfile.ZipFile:
    (wheel,) = dist.glob("*.whl")
    return zipfile.ZipFile(wheel)


def test_the_sdist_carries_the_license_and_everything_the_tests_import(dist):
    names = _sdist_names(dist)
    assert "LICENSE" in names
    assert ".ci/run" in names
    # every top-level package or module a test file imports from the checkout is in the sdist
    for test_file in (ROOT / "tests").glob("*.py"):
        for line in test_file.read_text(encoding="utf-8").splitlines():
            if line.startswith(("from benchmarks", "import benchmarks")):
                module = line.split()[1].split(".")
                candidates = {"/".join(module) + ".py", "/".join(module) + "/__init__.py"}
                assert candidates & names, f"{test_file.name} imports {line.split()[1]}, not in the sdist"
    assert {f"tests/{p.name}" for p in (ROOT / "tests").glob("test_*.py")} <= names


def test_the_wheel_is_typed_licensed_and_carries_the_rules(dist):
    with _wheel(dist) as wheel:
        names = set(wheel.namelist())
        assert "kdv_policy/py.typed" in names
        assert {f"kdv_policy/rules/{p.name}" for p in (ROOT / "rules").glob("*.dl")} <= names
        assert "kdv_policy/rules/policy.toml" in names  # the bundled policy's language
        assert "kdv_policy/policy/locale/de/LC_MESSAGES/kdv_policy.po" in names  # the German wording
        assert "kdv_policy/policy/locale/de/LC_MESSAGES/kdv_policy.mo" in names  # ... as answers read it
        assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)
        (metadata_name,) = [n for n in names if n.endswith(".dist-info/METADATA")]
        metadata = email.message_from_bytes(wheel.read(metadata_name))
    assert metadata["License-Expression"] == "MIT"
    classifiers = metadata.get_all("Classifier")
    for version in ("3.11", "3.12", "3.13"):
        assert f"Programming Language :: Python :: {version}" in classifiers
    assert "Typing :: Typed" in classifiers


def _tracked(folder: str) -> set[str]:
    """The files of the checkout under ``src/kdv_policy/<folder>``, as the wheel names them."""
    out = subprocess.run(["git", "ls-files", f"src/kdv_policy/{folder}"], cwd=ROOT, capture_output=True,
                         text=True, check=True)
    found = {name.removeprefix("src/") for name in out.stdout.split()}
    if not found:  # not a git checkout (the sdist's own tests): the files on disk
        base = ROOT / "src"
        found = {str(p.relative_to(base)) for p in (base / "kdv_policy" / folder).rglob("*")
                 if p.is_file() and "__pycache__" not in p.parts}
    return found


@pytest.mark.parametrize("folder", ["data/sql/migrations", "report/static", "report/templates"])
def test_the_wheel_carries_the_migrations_and_the_reports_files(dist, folder):
    expected = _tracked(folder)
    assert expected, folder
    with _wheel(dist) as wheel:
        names = set(wheel.namelist())
        assert expected <= names, sorted(expected - names)
        for name in expected:  # the files themselves, not only their names
            assert wheel.read(name) == (ROOT / "src" / name).read_bytes(), name


def test_the_wheels_migrations_end_at_the_revision_the_reader_expects(dist):
    from kdv_policy.data.sql.schema import HEAD

    with _wheel(dist) as wheel:
        names = set(wheel.namelist())
        assert "kdv_policy/data/sql/migrations/env.py" in names
        assert "kdv_policy/data/sql/migrations/script.py.mako" in names
        revisions = [wheel.read(n).decode() for n in names
                     if n.startswith("kdv_policy/data/sql/migrations/versions/v") and n.endswith(".py")]
    assert any(f'revision = "{HEAD}"' in text for text in revisions)
    assert len(revisions) == int(HEAD)  # one file a revision, from 0001 on


def test_the_wheel_and_the_sdist_carry_the_bundle_of_the_shipped_rules(dist, tmp_path):
    """The bundled policy's bundle ships as it is in the repository, where
    tests/test_bundles_shipped.py checks that it is the bundle of the rules the wheel carries."""
    shipped = (ROOT / "src" / "kdv_policy" / "bundled.kdvb").read_bytes()
    with _wheel(dist) as wheel:
        assert wheel.read("kdv_policy/bundled.kdvb") == shipped
        for rule_file in (ROOT / "rules").glob("*.dl"):
            assert wheel.read(f"kdv_policy/rules/{rule_file.name}") == rule_file.read_bytes()
        wheel.extractall(tmp_path)
    # installed, the bundle is current: it names every file of the rules the wheel carries
    from kdv_policy.limits import DEFAULT_LIMITS
    from kdv_policy.policy.bundle import container, files_digest

    meta = container.read(tmp_path / "kdv_policy" / "bundled.kdvb", DEFAULT_LIMITS).section("meta")
    assert meta["files"] == files_digest(tmp_path / "kdv_policy" / "rules")
    assert "src/kdv_policy/bundled.kdvb" in _sdist_names(dist)
