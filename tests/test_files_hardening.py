"""Reading policy files safely: only regular files, nothing shown of a file that is no policy
file, limits whose advice can be followed, nesting bounded, and a PolicyStore that records
every failed reload."""

from __future__ import annotations

import dataclasses
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from benchmarks import generate

from kdv_policy import Policy, PolicyError, PolicyLoadError
from kdv_policy.authoring.policytests import PolicyTestError, load_test_file, run_tests
from kdv_policy.files import read_bytes
from kdv_policy.limits import DEFAULT_LIMITS, Limits
from kdv_policy.policy.store import PolicyStore, ReloadFailed

ROOT = Path(__file__).resolve().parents[1]
RULES = ROOT / "rules"
SAMPLE_PEOPLE = ROOT / "examples" / "people.toml"
SECRET_LINES = ["root:x:0:0:root:/root:/bin/bash", "KDV_SECRET_TOKEN=4f1c2e9a7b",
                "operator:$6$salt$hash:19000::"]
"""The lines of a file that is no policy file (like /etc/passwd or /proc/self/environ): no error may
show them."""
GUARD = 120  # seconds: a hang fails the test instead of stalling the suite


def cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "kdv_policy", *args], capture_output=True, text=True,
                          timeout=GUARD, cwd=cwd)


def python(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=GUARD)


def assert_shows_nothing_of_passwd(result: subprocess.CompletedProcess) -> None:
    output = result.stdout + result.stderr
    shown = [line for line in SECRET_LINES if line in output]
    assert not shown, output


@pytest.fixture()
def policy_dir(tmp_path) -> Path:
    target = tmp_path / "policy"
    shutil.copytree(RULES, target)
    return target


@pytest.fixture()
def passwd(tmp_path) -> Path:
    """A readable file outside the policy directory that is no policy file, named like the real one."""
    outside = tmp_path / "etc"
    outside.mkdir()
    path = outside / "passwd"
    path.write_text("\n".join(SECRET_LINES) + "\n", encoding="utf-8")
    return path


# -- nothing of a file that is no policy file is shown ---------------------------------------------


@pytest.mark.parametrize("relative", [False, True])
def test_a_test_files_people_setting_stays_inside_the_policy_directory(policy_dir, passwd, relative):
    people = "../../etc/passwd" if relative else str(passwd)  # the test file lies in policy/tests/
    (policy_dir / "tests" / "zz.yaml").write_text(
        f"people: {people}\ncases:\n  - may: [RR, approve, Strategie]\n    expect: allow\n", encoding="utf-8")
    result = cli("test", str(policy_dir))
    assert result.returncode == 2, result.stderr
    assert "`people`" in result.stderr
    assert "absolute path" in result.stderr or "outside the policy directory" in result.stderr
    assert_shows_nothing_of_passwd(result)


def test_a_symlink_in_the_policy_directory_leads_nowhere_outside(policy_dir, passwd):
    (policy_dir / "staff.toml").symlink_to(passwd)
    (policy_dir / "tests" / "zz.yaml").write_text(
        "people: ../staff.toml\ncases:\n  - may: [RR, approve, Strategie]\n    expect: allow\n",
        encoding="utf-8")
    result = cli("test", str(policy_dir))
    assert result.returncode == 2
    assert "outside the policy directory" in result.stderr
    assert_shows_nothing_of_passwd(result)
    (policy_dir / "tests" / "zz.yaml").unlink()
    for name in ("people.toml", "x.dl"):
        (policy_dir / name).symlink_to(passwd)
        result = cli("query", "--rules", str(policy_dir), "unit(X)")
        assert result.returncode == 2
        assert f"/{name}` is a symbolic link to a file outside the policy directory" in result.stderr
        assert_shows_nothing_of_passwd(result)
        (policy_dir / name).unlink()


@pytest.mark.parametrize("command", [["test"], ["query", "--rules"]])
def test_people_option_with_a_file_that_is_no_people_file_shows_nothing_of_it(policy_dir, passwd, command):
    args = [*command, str(policy_dir), "--people", str(passwd)]
    if command[0] == "query":
        args.append("unit(X)")
    result = cli(*args)
    assert result.returncode == 2
    assert "/etc/passwd` is not a TOML file" in result.stderr
    assert_shows_nothing_of_passwd(result)
    with pytest.raises(PolicyLoadError, match="not a TOML file"):
        Policy.load(policy_dir, people=passwd)


def test_checking_a_file_that_is_no_rule_file_shows_nothing_of_it(passwd):
    result = cli("check", str(passwd))
    assert result.returncode == 2
    assert "is not a rule file" in result.stderr
    assert_shows_nothing_of_passwd(result)


# -- regular files only -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["f.dl", "organisation.toml", "people.toml", "tests/f.yaml"])
def test_a_fifo_in_a_policy_directory_is_refused_without_blocking(policy_dir, name):
    (policy_dir / name).unlink(missing_ok=True)
    os.mkfifo(policy_dir / name)
    command = "test" if name.startswith("tests/") else "check"
    result = cli(command, str(policy_dir))  # before: blocked forever opening the FIFO
    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert f"/{name}` is a FIFO (named pipe), not a regular file" in output
    assert "Traceback" not in output


def test_a_device_as_people_file_is_refused_as_what_it_is(tmp_path):
    zero = tmp_path / "zero.toml"
    zero.symlink_to("/dev/zero")
    result = python(f"from kdv_policy import Policy\nPolicy.load(people={str(zero)!r})")
    assert "is a device, not a regular file" in result.stderr  # before: "does not exist"
    with pytest.raises(PolicyLoadError, match=r"people file `/dev/zero` is a device"):
        Policy.load(people=zero)
    result = cli("query", "--people", "/dev/zero", "unit(X)")
    assert result.returncode == 2
    assert "does not exist" not in result.stderr


def test_a_fifo_is_refused_by_the_reader_itself(tmp_path):
    fifo = tmp_path / "x.dl"
    os.mkfifo(fifo)
    result = python(f"from pathlib import Path\nfrom kdv_policy.files import read_text\n"
                    f"read_text(Path({str(fifo)!r}), 'x.dl')")
    assert "rule file `x.dl` is a FIFO (named pipe)" in result.stderr


# -- limits whose advice can be followed --------------------------------------------------------------


def test_the_default_data_limit_serves_an_organisation_of_100000_persons(tmp_path):
    org = generate.build(dataclasses.replace(generate.SCALES["large"], name="o100k", persons=100_000))
    path = tmp_path / "people.toml"
    path.write_text(generate._people_toml(org), encoding="utf-8")
    size = path.stat().st_size
    assert size > 8 << 20  # more than the old limit for every policy file
    assert size < DEFAULT_LIMITS.max_data_file_bytes / 2  # room to spare
    assert len(read_bytes(path, "people.toml", limit=DEFAULT_LIMITS.max_data_file_bytes)) == size


def test_a_too_large_people_file_says_to_raise_the_limit_not_to_split(tmp_path):
    limits = Limits(max_data_file_bytes=1000)
    with pytest.raises(PolicyLoadError) as info:
        Policy.load(RULES, people=SAMPLE_PEOPLE, limits=limits)
    message = info.value.render()
    assert "more than the limit of 1,000 bytes for one people file (`max_data_file_bytes`)" in message
    assert "`Limits(max_data_file_bytes=...)`" in message
    assert "`--limit max_data_file_bytes=...`" in message
    assert "split" not in message
    largest = max(SAMPLE_PEOPLE.stat().st_size, (RULES / "organisation.toml").stat().st_size)
    raised = Limits(max_data_file_bytes=largest)
    assert Policy.load(RULES, people=SAMPLE_PEOPLE, limits=raised).names.resolve("Erika Muster")


def test_a_too_large_rule_or_test_file_names_its_own_limit(policy_dir):
    with pytest.raises(PolicyLoadError) as info:
        Policy.load(policy_dir, limits=Limits(max_rule_file_bytes=200))
    assert "(`max_rule_file_bytes`)" in str(info.value)
    assert "split the rules into several `*.dl` files, or raise it with `Limits(max_rule_file_bytes=" \
        in str(info.value)
    with pytest.raises(PolicyTestError) as test_info:
        run_tests(policy_dir, limits=Limits(max_test_file_bytes=200))
    assert "(`max_test_file_bytes`)" in test_info.value.render()
    assert "split its cases into several test files" in test_info.value.render()


def test_the_item_limit_is_reported_as_the_total_over_all_rule_files(tmp_path):
    for name in ("a", "b"):
        facts = "".join(f"{name}({name}{i}).\n" for i in range(60))
        (tmp_path / f"{name}.dl").write_text(f".decl {name}(x)\n{facts}", encoding="utf-8")
    with pytest.raises(PolicyLoadError) as info:
        Policy.load(tmp_path, limits=Limits(max_items=100))
    message = info.value.render()
    assert "hold more than 100 declarations, facts and rules" in message  # before: "more than 39"
    assert "all rule files together (reached in `" in message
    assert "belongs in organisation.toml" in message
    assert "`Limits(max_items=...)`" in message and "`--limit max_items=...`" in message
    assert Policy.load(tmp_path, limits=Limits(max_items=200)).relation("a")


# -- nesting --------------------------------------------------------------------------------------------


DEEP_TOML = {
    "arrays": "a = " + "[" * 2000 + "]" * 2000 + "\n",  # before: RecursionError
    "tables": "[" + ".".join(["a"] * 2000) + "]\nx = 1\n",  # before: RecursionError
    "inline tables": "a = " + "{b = " * 600 + "1" + "}" * 600 + "\n",
    "just over the limit": "[" + ".".join(["a"] * 40) + "]\nx = 1\n",
}


@pytest.mark.parametrize("text", DEEP_TOML.values(), ids=DEEP_TOML.keys())
def test_deep_toml_is_refused_naming_the_file_and_the_limit(policy_dir, text):
    (policy_dir / "organisation.toml").write_text(text, encoding="utf-8")
    with pytest.raises(PolicyLoadError) as info:
        Policy.load(policy_dir)
    assert "organisation.toml` nests tables and arrays more than 32 levels deep (`max_nesting`)" \
        in str(info.value)
    result = cli("query", "--rules", str(policy_dir), "unit(X)")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr and "max_nesting" in result.stderr


def test_the_nesting_limit_is_configurable(tmp_path):
    people = tmp_path / "people.toml"  # persons → person → roles → role: four levels
    shutil.copy(SAMPLE_PEOPLE, people)
    with pytest.raises(PolicyLoadError, match="more than 3 levels"):
        Policy.load(RULES, people=people, limits=Limits(max_nesting=3))
    assert Policy.load(RULES, people=people, limits=Limits(max_nesting=4)).names.resolve("Erika Muster")


DEEP_YAML = {
    "flow": "- may: " + "[" * 1000 + "]" * 1000 + "\n  expect: allow\n",  # before: RecursionError
    "block": "".join("  " * i + "k:\n" for i in range(700)),
}


@pytest.mark.parametrize("text", DEEP_YAML.values(), ids=DEEP_YAML.keys())
def test_deep_yaml_is_refused_naming_the_file_and_the_limit(policy_dir, text):
    path = policy_dir / "tests" / "deep.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(PolicyTestError) as info:
        load_test_file(path)
    assert "deep.yaml:" in str(info.value)
    assert "nests lists and mappings more than 32 levels deep (`max_nesting`)" in str(info.value)
    result = cli("test", str(policy_dir))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr and "max_nesting" in result.stderr


# -- PolicyStore: every failure recorded, the last good policy answering --------------------------------


def test_a_reload_records_each_failure_and_keeps_the_good_policy(policy_dir):
    store = PolicyStore(policy_dir)
    good = store.current
    org = (policy_dir / "organisation.toml").read_text(encoding="utf-8")
    (policy_dir / "broken.dl").write_text("p(\n", encoding="utf-8")
    with pytest.raises(PolicyError):
        store.reload()
    first = store.last_error
    (policy_dir / "broken.dl").unlink()
    for bad in DEEP_TOML.values():
        (policy_dir / "organisation.toml").write_text(bad, encoding="utf-8")
        with pytest.raises(PolicyLoadError, match="max_nesting"):
            store.reload()
        assert store.last_error is not first  # before: still the previous, unrelated error
        assert "max_nesting" in str(store.last_error)
        assert store.current is good and store.current.may("RR", "approve", "Strategie")
    (policy_dir / "organisation.toml").write_text(org, encoding="utf-8")
    (policy_dir / "tests" / "deep.yaml").write_text(DEEP_YAML["flow"], encoding="utf-8")
    with pytest.raises(PolicyTestError, match="max_nesting"):
        store.reload()
    assert "max_nesting" in str(store.last_error)
    (policy_dir / "tests" / "deep.yaml").unlink()
    store.reload()
    assert store.last_error is None


def test_a_failure_that_is_no_policy_error_is_recorded_as_one(policy_dir):
    calls = []

    def validate(policy):
        calls.append(policy)
        if len(calls) > 1:
            raise RuntimeError("the app's check broke")

    store = PolicyStore(policy_dir, validate=validate)
    good = store.current
    with pytest.raises(ReloadFailed, match="RuntimeError: the app's check broke"):
        store.reload()
    assert isinstance(store.last_error, ReloadFailed)
    assert store.current is good


def test_the_poller_survives_a_bad_directory_and_records_why(policy_dir, caplog):
    with PolicyStore(policy_dir, poll_interval=0.05) as store:
        good = store.current
        (policy_dir / "organisation.toml").write_text(DEEP_TOML["arrays"], encoding="utf-8")
        deadline = time.monotonic() + GUARD
        while store.last_error is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert "max_nesting" in str(store.last_error)
        assert store.current is good
        assert store._thread is not None and store._thread.is_alive()
