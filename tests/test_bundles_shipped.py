"""The bundled policy ships as a bundle (``kdv_policy/bundled.kdvb``): it is the bundle of the
shipped rules, ``Policy.load()`` and the command line answer from it when it is current, and from
the rules when it is stale, absent or broken, with the same answers either way."""

from __future__ import annotations

import itertools
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from kdv_policy import Policy
from kdv_policy.cli.main import main
from kdv_policy.limits import DEFAULT_LIMITS
from kdv_policy.policy import bundle, loader
from kdv_policy.policy.bundle.contents import BundledProgram

ROOT = Path(__file__).resolve().parents[1]
REBUILD = "python -m kdv_policy build rules --no-tests -o src/kdv_policy/bundled.kdvb"


def _rendered(result):
    explanation = result.explanation
    return result.model_dump_json(), explanation.render(), explanation.model_dump_json()


def test_the_shipped_bundle_is_the_bundle_of_the_shipped_rules(tmp_path):
    """Fails when the rules (or what a bundle of them holds) changed without a new bundle."""
    built = tmp_path / "bundled.kdvb"
    command = [sys.executable, "-m", "kdv_policy", "build", "rules", "--no-tests", "-o", str(built)]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    stale = f"the shipped bundle is stale: run `{REBUILD}` in the repository"
    assert built.read_bytes() == (ROOT / "src" / "kdv_policy" / bundle.SHIPPED).read_bytes(), stale
    # the installed package's bundle (the checkout's own in an editable install) is that one too
    assert built.read_bytes() == bundle.SHIPPED_PATH.read_bytes(), stale
    assert bundle.shipped() is not None


@pytest.fixture
def shipped(tmp_path, monkeypatch):
    """A copy of the bundled rules and of the shipped bundle, in their places."""
    rules = tmp_path / "rules"
    shutil.copytree(loader.bundled_rules(), rules, ignore=shutil.ignore_patterns("__pycache__"))
    path = tmp_path / bundle.SHIPPED
    shutil.copyfile(bundle.SHIPPED_PATH, path)
    monkeypatch.setattr(bundle, "SHIPPED_PATH", path)
    monkeypatch.setattr(loader, "bundled_rules", lambda: rules)
    return rules, path


def test_the_bundled_policy_loads_from_its_bundle_when_it_is_current(shipped):
    policy = Policy.load()
    assert isinstance(policy._loaded, BundledProgram)
    assert policy.version == Policy.load(shipped[0]).version
    # what was asked with a people file or a bundle key is read from the rules
    assert not isinstance(Policy.load(people=ROOT / "examples" / "people.toml")._loaded, BundledProgram)


@pytest.mark.parametrize("change", ["a rule file", "a new file", "no bundle", "a broken bundle",
                                    "another version"])
def test_a_stale_absent_or_broken_shipped_bundle_is_not_read(shipped, change):
    rules, path = shipped
    if change == "a rule file":
        with (rules / "bodies.dl").open("a", encoding="utf-8") as out:
            out.write("\n% a comment changes the files, not the answers\n")
    elif change == "a new file":
        (rules / "more.dl").write_text("% nothing yet\n", encoding="utf-8")
    elif change == "no bundle":
        path.unlink()
    elif change == "a broken bundle":
        path.write_bytes(path.read_bytes()[:-100])
    else:  # built by another version of kdv_policy: the same sections, another `meta`
        from kdv_policy.policy.bundle import container

        read = container.read(path, DEFAULT_LIMITS)
        sections = {name: container.encode_section(read.section(name)) for name in read.names()}
        meta = read.section("meta")
        sections["meta"] = container.encode_section({**meta, "kdv_policy": meta["kdv_policy"] + ".other"})
        path.write_bytes(container.write(sections))
    assert bundle.shipped() is None
    policy = Policy.load()
    assert not isinstance(policy._loaded, BundledProgram)
    assert policy.may("regierungsrat", "approve", "strategie").allowed


def test_the_shipped_bundle_answers_as_the_rules_do_in_both_languages(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)  # the paths explanations show are those of the rules, from anywhere
    from_rules, from_bundle = Policy.load(loader.bundled_rules()), Policy.load()
    assert isinstance(from_bundle._loaded, BundledProgram)
    assert from_bundle.version == from_rules.version
    entities = from_rules.names.entities()
    actors = [e.id for e in entities if e.kind in ("body", "role")]
    actions = [e.id for e in entities if e.kind == "action"]
    objects = [e.id for e in entities if e.kind == "object"]
    asked = 0
    for lang in ("de", "en"):
        rules, stored = from_rules.in_language(lang), from_bundle.in_language(lang)
        for actor, action, obj in itertools.product(actors, actions, objects):
            assert _rendered(stored.may(actor, action, obj)) == _rendered(rules.may(actor, action, obj))
            asked += 1
        for action, obj in itertools.product(actions, objects):
            assert _rendered(stored.who_may(action, obj)) == _rendered(rules.who_may(action, obj))
    assert asked > 1000


def test_the_command_line_answers_from_the_shipped_bundle_as_from_the_rules(monkeypatch, tmp_path, capsys):
    monkeypatch.chdir(tmp_path)  # no ./rules: the bundled policy
    questions = [["may", "Regierungsrat", "verabschieden", "Strategie"],
                 ["--explain", "who may approve Strategie"],
                 ["--format", "json", "darf der Steuerungsausschuss die Strategie definieren"]]
    for question in questions:
        assert main(["query", *question]) == 0
        from_bundle = capsys.readouterr()
        assert main(["query", "--rules", str(loader.bundled_rules()), *question]) == 0
        from_rules = capsys.readouterr()
        # JSON names how the policy was chosen (`"source"`): the only difference
        assert from_bundle.out == from_rules.out.replace('"source": "given"', '"source": "bundled"')
        assert "the bundled policy" in from_bundle.err or '"source": "bundled"' in from_bundle.out
