"""Compiled policy bundles: answers, explanations and versions from a bundle are those from the rules;
a corrupted, truncated, forged or wrongly signed bundle is refused with a BundleError."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from benchmarks import generate
from benchmarks.systems.floor import load_truth
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kdv_policy import Policy
from kdv_policy.cli.main import main
from kdv_policy.errors import BundleError, PolicyError, PolicyLoadError, QueryError
from kdv_policy.limits import DEFAULT_LIMITS, Limits
from kdv_policy.policy import bundle
from kdv_policy.policy.bundle import container, signing
from kdv_policy.policy.bundle.container import Container, encode_section
from kdv_policy.policy.loader import bundled_rules
from kdv_policy.policy.store import PolicyStore


def _rendered(result):
    """What a user sees of an answer: its JSON, its explanation's text and JSON."""
    explanation = result.explanation
    return result.model_dump_json(), explanation.render(), explanation.model_dump_json()


@pytest.fixture(scope="module")
def canton(tmp_path_factory):
    """The benchmark canton at the small scale, its bundle, and both policies."""
    root = tmp_path_factory.mktemp("canton")
    directory = generate.generate("small", 1, root / "policy")
    rules = Policy.load(directory)
    path = root / "canton.kdvb"
    bundle.write(bundle.build(rules), path)
    return directory, path, rules, Policy.load(path)


@pytest.fixture(scope="module")
def kdv(tmp_path_factory):
    """The bundled governance policy and its bundle."""
    path = tmp_path_factory.mktemp("kdv") / "kdv.kdvb"
    rules = Policy.load(bundled_rules())  # the rules themselves (Policy.load() reads the shipped bundle)
    bundle.write(bundle.build(rules), path)
    return path, rules, Policy.load(path)


def test_every_benchmark_question_is_answered_alike(canton):
    directory, _, rules, stored = canton
    questions = generate.make_questions(load_truth(directory), seed=1)
    assert stored.version == rules.version
    asked = 0
    for kind, args in sorted(set(questions.mix)):
        from_rules, from_bundle = getattr(rules, kind)(*args), getattr(stored, kind)(*args)
        assert _rendered(from_bundle) == _rendered(from_rules), (kind, args)
        asked += 1
    assert asked > 100
    assert any(rules.may(*q).allowed for q in questions.may)
    assert not all(rules.may(*q).allowed for q in questions.may)


def test_every_stated_and_derived_row_is_explained_alike(canton):
    _, _, rules, stored = canton
    for predicate in sorted(rules.model):
        assert stored.model[predicate] == rules.model[predicate]
        for row in sorted(rules.model[predicate], key=repr)[:40]:
            assert _rendered(stored.holds((predicate, row))) == _rendered(rules.holds((predicate, row)))


def test_the_bundled_policy_answers_alike_in_both_languages(kdv):
    _, rules, stored = kdv
    assert stored.version == rules.version and stored.adopted == rules.adopted
    assert stored.language == rules.language == "de"
    bodies = sorted(r[0] for r in rules.model["body"])
    pairs = sorted({(r[1], r[2]) for r in rules.model["may"]})
    actors = sorted({r[0] for r in rules.model["may"]})
    for lang in ("de", "en"):
        r, s = rules.in_language(lang), stored.in_language(lang)
        for action, object in pairs:
            assert _rendered(s.who_may(action, object)) == _rendered(r.who_may(action, object))
            for actor in actors[:12]:
                assert _rendered(s.may(actor, action, object)) == _rendered(r.may(actor, action, object))
        for body in bodies:
            assert _rendered(s.members(body)) == _rendered(r.members(body))
            assert _rendered(s.chair(body)) == _rendered(r.chair(body))
        assert _rendered(s.delegations()) == _rendered(r.delegations())
        for question in ("darf der Regierungsrat die Strategie verabschieden?", "who approves the Strategie?",
                         "members of StA", "member(steuerungsausschuss, X)"):
            assert s.answer(question).text() == r.answer(question).text()
            assert s.answer(question).json() == r.answer(question).json()


def test_derived_policies_are_evaluated_from_what_the_bundle_holds(kdv):
    _, rules, stored = kdv
    for date in ("2020-06-30", "2030-01-01"):
        a, b = rules.at(date), stored.at(date)
        assert b.version == a.version and b.model == a.model
        for row in sorted(a.model["may"], key=repr)[:30]:
            assert _rendered(b.holds(("may", row))) == _rendered(a.holds(("may", row)))
    fact = _stated(rules)
    changed_rules, changed_bundle = rules.with_facts(remove=[fact]), stored.with_facts(remove=[fact])
    assert changed_bundle.version == changed_rules.version
    assert changed_bundle.model == changed_rules.model != rules.model
    assert stored.ask("may(X, approve, O)") == rules.ask("may(X, approve, O)")
    assert stored.ask("member(B, R), not chair(B, R)") == rules.ask("member(B, R), not chair(B, R)")
    with pytest.raises(QueryError):
        stored.ask("member(B, R), member(C, S), member(D, T)", )  # the same bound as from the rules
    with pytest.raises(QueryError):
        rules.ask("member(B, R), member(C, S), member(D, T)")


def _stated(policy):
    """A fact the rule files state."""
    stated = next(c.head for c in policy.program.facts if c.head.predicate == "competence")
    return stated.predicate, tuple(t.value for t in stated.args)


def test_a_bundle_evaluates_nothing_to_answer(kdv, monkeypatch):
    path = kdv[0]
    import kdv_policy.engine.evaluation as evaluation

    def refuse(*args, **kwargs):
        raise AssertionError("the engine was asked to evaluate")

    monkeypatch.setattr(evaluation.Engine, "_evaluate", refuse)
    stored = Policy.load(path).materialise()
    assert bool(stored.may("Regierungsrat", "verabschieden", "Strategie"))
    assert stored.may("Regierungsrat", "verabschieden", "Strategie").explanation.render()
    assert stored.names.resolve("StA").id == "steuerungsausschuss"


def test_the_first_questions_on_a_bundle_read_only_the_names_they_name(canton, monkeypatch):
    """Straight after `Policy.load(bundle)` a question reads the names it asks about from the
    stored index; the tables of every name (what `materialise()` builds) wait."""
    directory, path, rules, _ = canton
    questions = generate.make_questions(load_truth(directory), seed=1)
    first = Policy.load(path)
    built: list[Policy] = []
    original = Policy._build_fast_tables

    def build(self, names):
        built.append(self)
        return original(self, names)

    monkeypatch.setattr(Policy, "_build_fast_tables", build)
    for kind, args in questions.mix[:20]:
        assert _rendered(getattr(first, kind)(*args)) == _rendered(getattr(rules, kind)(*args))
    assert first not in built
    first.materialise()
    assert first in built


# -- the file: truncation, bit flips, forgeries, limits ---------------------------------------------------


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_a_truncated_or_flipped_bundle_is_refused(kdv, data):
    raw = kdv[0].read_bytes()
    cut = data.draw(st.integers(0, len(raw) - 1))
    with pytest.raises(BundleError):
        Container(raw[:cut], DEFAULT_LIMITS, "x.kdvb")
    at = data.draw(st.integers(0, len(raw) - 1))
    bit = data.draw(st.integers(0, 7))
    flipped = bytearray(raw)
    flipped[at] ^= 1 << bit
    with pytest.raises(BundleError):
        Container(bytes(flipped), DEFAULT_LIMITS, "x.kdvb")
    extra = data.draw(st.binary(min_size=1, max_size=8))
    with pytest.raises(BundleError):
        Container(raw + extra, DEFAULT_LIMITS, "x.kdvb")


def _forged(tmp_path: Path, kdv_path: Path, **changes: object) -> Path:
    """A bundle whose checksum is right but whose sections are changed: what a hostile builder could make."""
    good = Container(kdv_path.read_bytes(), DEFAULT_LIMITS, "good")
    sections = {name: encode_section(good.section(name)) for name in good.names()}
    for name, value in changes.items():
        sections[name.replace("__", "/")] = value if isinstance(value, bytes) else encode_section(value)
    path = tmp_path / "forged.kdvb"
    path.write_bytes(container.write(sections))
    return path


@pytest.mark.parametrize("changes", [
    {"meta": {"schema": 99}},
    {"values": {"strings": [1, 2], "ints": [], "dates": []}},
    {"values": {"strings": [], "ints": [10**30], "dates": []}},
    {"values": {"strings": [], "ints": [], "dates": ["not a date"]}},
    {"relation__0": {"rows": [10**6], "steps": [0]}},
    {"relation__0": {"rows": [0.5], "steps": [0]}},
    {"relation__0": {"rows": [0], "steps": []}},
    {"relation__0": {"rows": "nonsense"}},
    {"relation__0": b"[" * 100 + b"]" * 100},
    {"relation__0": b"{not json"},
    {"program": {"files": [["evil.dl", "import os"]], "source_text": None}},
    {"program": {"files": "x", "source_text": None}},
    {"names": [[1, 2, 3]]},
    {"facts": {"role": [10**9]}},
    {"facts": {"undeclared": [0]}},
    {"origins": {"role": [[10**6, "organisation.toml:1: roles.x"]]}},
    {"origins": {"role": [["0", 1]]}},
    {"variant__0": {"added": {"undeclared": [0]}, "removed": {}}},
    {"variant__0": {"added": {}}},
    {"constants": [-1]},
    {"name_index": {"buckets": 4096, "groups": []}},
    {"name_index": {"buckets": 0, "groups": []}},
    {"name_index": {"buckets": 1, "groups": [["function", "x", [["a", "A"]]]]}},
    {"names__0": {"ids": {"regierungsrat": [["0", "Regierungsrat", "body"]]}, "keys": {}}},
    {"names__0": {"ids": {"regierungsrat": []}, "keys": {}}},
    {"names__0": {"ids": {}, "keys": {"sta": [["steuerungsausschuss", "StA"]]}}},
    {"names__0": {"ids": {}, "keys": {"sta": [[1, "StA", "body"]]}}},
])
def test_a_forged_bundle_is_refused_before_it_answers(tmp_path, kdv, changes):
    def use(path):
        policy = Policy.load(path).materialise()
        policy.names.resolve("StA")
        policy.may("Regierungsrat", "verabschieden", "Strategie").explanation.render()
        policy._loaded.origin("role", ("regierungsrat",))
        policy._engine.constants()

    use(_forged(tmp_path, kdv[0]))  # rewritten unchanged, it is used without a problem
    with pytest.raises(BundleError):
        use(_forged(tmp_path, kdv[0], **changes))


def test_a_bundle_is_built_from_a_policy_as_its_files_state_it(kdv):
    _, rules, stored = kdv
    for derived in (rules.at("2030-01-01"), rules.with_facts(remove=[_stated(rules)]), stored):
        with pytest.raises(BundleError):
            bundle.build(derived)


def test_bundle_limits_are_named(kdv):
    raw = kdv[0].read_bytes()
    with pytest.raises(PolicyLoadError, match="max_bundle_bytes"):
        container.read(kdv[0], Limits(max_bundle_bytes=1000))
    with pytest.raises(BundleError, match="max_bundle_sections"):
        Container(raw, Limits(max_bundle_sections=3), "x")
    with pytest.raises(BundleError, match="max_bundle_section_bytes"):
        Container(raw, Limits(max_bundle_section_bytes=100), "x")
    with pytest.raises(BundleError, match="max_nesting"):
        Container(raw, Limits(max_nesting=1), "x").section("meta")
    with pytest.raises(BundleError, match="max_rows_per_relation"):
        Policy.load(kdv[0], limits=Limits(max_rows_per_relation=2)).materialise()


def test_what_is_not_a_bundle_is_said_so(tmp_path):
    path = tmp_path / "x.kdvb"
    path.write_text("member(a, b).\n")
    with pytest.raises(BundleError, match="not a policy bundle"):
        Policy.load(path)
    with pytest.raises(PolicyError, match="does not exist"):
        Policy.load(tmp_path / "missing.kdvb")
    with pytest.raises(BundleError, match="applies to bundles only"):
        Policy.load(verify_key=b"key")


# -- signatures -----------------------------------------------------------------------------------------


def test_a_signed_bundle_loads_only_with_its_key(tmp_path, kdv):
    _, rules, _ = kdv
    key = tmp_path / "ci.pem"
    public = signing.keygen(key)
    assert oct(key.stat().st_mode & 0o777) == "0o600"
    other_public = signing.keygen(tmp_path / "other.pem")
    signed, unsigned = tmp_path / "signed.kdvb", tmp_path / "unsigned.kdvb"
    bundle.write(bundle.build(rules, sign=key), signed)
    bundle.write(bundle.build(rules), unsigned)
    assert Policy.load(signed, verify_key=public).version == rules.version
    assert Policy.load(signed, verify_key=public.read_bytes()).version == rules.version
    assert Policy.load(signed).version == rules.version  # no key required: the checksum still is
    with pytest.raises(BundleError, match="not signed by the key"):
        Policy.load(signed, verify_key=other_public)
    with pytest.raises(BundleError, match="is not signed"):
        Policy.load(unsigned, verify_key=public)
    with pytest.raises(BundleError, match="no PEM public key"):
        Policy.load(signed, verify_key=b"not a key")
    with pytest.raises(BundleError, match="exists already"):
        signing.keygen(key)
    # a signed bundle whose content is changed and its checksum recomputed keeps the old signature
    raw = bytearray(signed.read_bytes())
    good = Container(bytes(raw), DEFAULT_LIMITS, "signed")
    sections = {name: encode_section(good.section(name)) for name in good.names()}
    assert Policy.load(signed).vocabulary.verb("verabschieden") == "approve"
    sections["actions"] = encode_section([])  # no verb for questions any more
    forged = container.write(sections)[:-4 - 2]  # unsigned, then the old signature put back
    forged += (64).to_bytes(2, "big") + good.signature + container.END  # type: ignore[operator]
    (tmp_path / "forged.kdvb").write_bytes(forged)
    with pytest.raises(BundleError):
        Policy.load(tmp_path / "forged.kdvb", verify_key=public)


# -- the store and the command line ---------------------------------------------------------------------


def test_a_store_serves_a_bundle_and_keeps_it_on_a_bad_one(tmp_path, kdv):
    path, rules, _ = kdv
    served = tmp_path / "served.kdvb"
    shutil.copy(path, served)
    with PolicyStore(served) as store:
        assert store.version == rules.version
        assert bool(store.current.may("Regierungsrat", "verabschieden", "Strategie"))
        served.write_bytes(path.read_bytes()[:-100])
        with pytest.raises(BundleError):
            store.reload()
        assert store.version == rules.version
        assert bool(store.current.may("Regierungsrat", "verabschieden", "Strategie"))
        shutil.copy(path, served)
        assert store.reload().version == rules.version


def test_a_store_takes_only_a_bundle_its_key_signed(tmp_path, kdv):
    _, rules, _ = kdv
    key = tmp_path / "ci.pem"
    public = signing.keygen(key)
    served = tmp_path / "served.kdvb"
    bundle.write(bundle.build(rules, sign=key), served)
    with PolicyStore(served, verify_key=public) as store:
        assert store.version == rules.version
        bundle.write(bundle.build(rules), served)  # unsigned
        with pytest.raises(BundleError, match="is not signed"):
            store.reload()
        assert store.version == rules.version
    with pytest.raises(BundleError):
        PolicyStore(served, verify_key=public)


def test_the_command_line_builds_and_answers_from_a_bundle(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["keygen", "ci.pem"]) == 0
    assert main(["build", "-o", "kdv.kdvb", "--sign", "ci.pem"]) == 0
    assert "built kdv.kdvb" in capsys.readouterr().out
    question = ["may", "Regierungsrat", "verabschieden", "Strategie"]
    assert main(["query", "--format", "json", *question]) == 0
    from_rules = json.loads(capsys.readouterr().out)
    verified = ["--rules", "kdv.kdvb", "--verify-key", "ci.pub.pem"]
    assert main(["query", "--format", "json", *verified, *question]) == 0
    from_bundle = json.loads(capsys.readouterr().out)
    assert from_bundle.pop("policy")["version"] == from_rules.pop("policy")["version"]
    assert from_bundle == from_rules
    assert main(["explain", "--rules", "kdv.kdvb", *question]) == 0
    assert "Regierungsrat" in capsys.readouterr().out
    Path("broken.kdvb").write_bytes(Path("kdv.kdvb").read_bytes()[:500])
    assert main(["query", "--rules", "broken.kdvb", *question]) == 2
    err = capsys.readouterr().err
    assert "truncated or corrupted" in err and "Traceback" not in err
    assert main(["keygen", "other.pem"]) == 0
    capsys.readouterr()
    assert main(["query", "--rules", "kdv.kdvb", "--verify-key", "other.pub.pem", *question]) == 2
    assert "not signed by the key" in capsys.readouterr().err
    assert main(["build", "kdv.kdvb", "-o", "again.kdvb"]) == 2
    assert main(["build", "-o", "missing/dir/x.kdvb", "--no-tests"]) == 2
    assert "cannot write" in capsys.readouterr().err


def test_the_same_files_give_the_same_bundle(tmp_path):
    """Reproducible: two builds of the bundled policy, in processes that order their sets differently."""
    import os
    import subprocess
    import sys

    for seed in ("1", "2"):
        command = [sys.executable, "-m", "kdv_policy", "build", "--no-tests", "-o", f"{seed}.kdvb"]
        done = subprocess.run(command, cwd=tmp_path, env={**os.environ, "PYTHONHASHSEED": seed},
                              capture_output=True, text=True, check=False)
        assert done.returncode == 0, done.stderr
    assert (tmp_path / "1.kdvb").read_bytes() == (tmp_path / "2.kdvb").read_bytes()
