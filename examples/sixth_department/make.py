"""Build the changed policy: a copy of the bundled rules with the additions appended and the
change's own policy tests beside the bundled ones.

    python examples/sixth_department/make.py OUT_DIR
    python -m kdv_policy test OUT_DIR                      # every test passes, old and new
    python -m kdv_policy diff <bundled rules> OUT_DIR      # what a reviewer sees: diff.txt
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from kdv_policy.policy.loader import bundled_rules

HERE = Path(__file__).resolve().parent


def make(out: Path) -> Path:
    """Copy the bundled policy to ``out`` and append the sixth department to its directory."""
    shutil.copytree(bundled_rules(), out)
    directory = out / "organisation.toml"
    additions = (HERE / "organisation-additions.toml").read_text(encoding="utf-8")
    directory.write_text(directory.read_text(encoding="utf-8") + "\n" + additions, encoding="utf-8")
    for test_file in (HERE / "tests").glob("*.yaml"):
        shutil.copy(test_file, out / "tests" / test_file.name)
    return out


if __name__ == "__main__":
    print(make(Path(sys.argv[1])))
