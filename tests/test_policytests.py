"""Policy tests: the YAML test files beside the rules, and the runner that runs them.

Two parts:

* the bundled policy's own test files (rules/tests/*.yaml): they pass, every `source` is a
  verbatim part of exactly one sentence of the governance text, and every sentence the rules
  encode is tested, both what it grants and what it does not;
* the runner (kdv_policy.authoring.policytests) on small policies in temporary directories: failures
  with file:line and expected against actual, counts, coverage, and every kind of bad test
  file as an error at file:line:col, never as a silent pass or failure.
"""

from __future__ import annotations

import datetime
import json
import re
import shutil
from functools import cache
from pathlib import Path

import pytest

from kdv_policy import Policy, PolicyError
from kdv_policy.authoring.policytests import (
    DECISION_QUESTIONS,
    CaseRunner,
    PolicyTestError,
    TestReport,
    find_test_files,
    load_test_file,
    parse_test_file,
    run_tests,
)
from test_governance import SOURCE_TEXT, doc_table, sentences

ROOT = Path(__file__).resolve().parents[1]
RULES = ROOT / "rules"
TESTING_DOC = ROOT / "docs" / "testing.md"

# predicates whose facts and rules grant something: a sentence encoded by one is tested on
# both sides, what it grants and what it does not
GRANTING = {"competence", "delegates", "member", "chair", "consumer", "consumer_kind", "serves",
            "responsible", "represents", "may", "collaborates_with", "partner"}


@pytest.fixture(scope="module")
def report() -> TestReport:
    return run_tests(RULES)


@cache
def bundled_cases():
    return [case for path in find_test_files(RULES) for case in load_test_file(path).cases]


def is_yes(case) -> bool:
    """The case expects something to hold: a yes, or answers."""
    expect = case.expect.value if case.expect is not None else None
    return expect is True or bool(case.contains) or (isinstance(expect, tuple) and bool(expect))


def is_no(case) -> bool:
    """The case expects something not to hold: a no, no answers, or answers excluded."""
    expect = case.expect.value if case.expect is not None else None
    return expect is False or expect == () or bool(case.excludes and case.excludes.value)


# -- the bundled policy's tests ------------------------------------------------------------------------


def test_the_bundled_policy_passes_its_tests(report):
    assert report.failed == 0, report.render()
    assert report.passed == len(bundled_cases()) > 100
    assert len(report.files) == len(find_test_files(RULES)) >= 5


def test_every_governance_rule_is_exercised_by_a_test(report):
    """Every fact and rule that encodes the governance text appears in the proof of a tested
    answer. (Invariants are the exception: they derive violations, which the bundled policy
    has none of.)"""
    program = Policy.load(RULES).program
    invariants = {c.id for c in program.clauses
                  if c.span is not None and c.span.path.endswith("invariants.dl")}
    assert set(report.uncovered_rules) <= invariants, report.render()
    assert report.rules_total == len({c.id for c in program.clauses if c.id})


def test_every_source_is_a_verbatim_part_of_one_sentence():
    text = SOURCE_TEXT.read_text(encoding="utf-8")
    parts = sentences(text)
    for case in bundled_cases():
        assert case.source is not None, f"{case.location}: {case.name}: cites no sentence"
        assert case.source in text, f"{case.location}: not verbatim: {case.source!r}"
        owners = [s for s in parts if case.source in s]
        assert len(owners) == 1, f"{case.location}: cites text found in {len(owners)} sentences"


def test_every_encoded_sentence_is_tested():
    cited = {c.source for c in bundled_cases()}
    for number, sentence, ids, _ in doc_table():
        if ids:
            assert any(source in sentence for source in cited), \
                f"sentence {number} ({', '.join(ids)}) is cited by no test case: {sentence}"


def test_every_granting_sentence_is_tested_on_both_sides():
    program = Policy.load(RULES).program
    for number, sentence, ids, _ in doc_table():
        heads = {c.head.predicate for c in program.clauses if c.id in ids}
        if not heads & GRANTING:
            continue
        cases = [c for c in bundled_cases() if c.source in sentence]
        assert any(is_yes(c) for c in cases), f"sentence {number}: no case tests what it grants"
        assert any(is_no(c) for c in cases), f"sentence {number}: no case tests what it does not grant"


def test_every_may_case_of_a_granted_competence_has_a_denied_counterpart():
    """For each (action, object) a case allows someone, some case denies it to someone else."""
    allowed = {(c.args[1].value, c.args[2].value) for c in bundled_cases() if c.question == "may"
               and c.expect.value is True and c.date is None and not c.add}
    policy = Policy.load(RULES)
    denied = {(policy.resolve(c.args[1].value).id, policy.resolve(c.args[2].value).id)
              for c in bundled_cases() if c.question == "may" and c.expect.value is False}
    exact = {(policy.resolve(c.args[0].value).id, policy.resolve(c.args[1].value).id)
             for c in bundled_cases() if c.question == "who_may" and c.expect is not None}
    for action, obj in allowed:
        key = (policy.resolve(action).id, policy.resolve(obj).id)
        assert key in denied or key in exact, f"may {action} {obj}: no case says who may not"


# -- the runner on small policies ------------------------------------------------------------------------


BOARD = """\
.decl may(actor, action, object)
.decl member(body, role)
.decl chair(body, role)

@id(board_signs) @source("The board signs contracts.")
may(board, sign, contract).

@id(board_members) @source("The board has a treasurer.")
member(board, treasurer).

@id(chair_member) @source("The board has a treasurer.")
member(B, R) :- chair(B, R).

@id(board_chair) @source("The chair leads the board.")
chair(board, president).

@id(chair_acts) @source("The chair leads the board.")
may(R, A, O) :- chair(B, R), may(B, A, O).
"""


def policy_dir(tmp_path: Path, tests: dict[str, str], rules: str = BOARD) -> Path:
    tmp_path.mkdir(parents=True, exist_ok=True)
    (tmp_path / "board.dl").write_text(rules, encoding="utf-8")
    (tmp_path / "source-text.txt").write_text(
        "The board signs contracts. The board has a treasurer. The chair leads the board.\n",
        encoding="utf-8")
    (tmp_path / "tests").mkdir()
    for name, text in tests.items():
        (tmp_path / "tests" / name).write_text(text, encoding="utf-8")
    return tmp_path


def problems(tmp_path: Path, text: str, rules: str = BOARD) -> list[str]:
    """The headlines of the errors run_tests raises for one test file."""
    with pytest.raises(PolicyTestError) as caught:
        run_tests(policy_dir(tmp_path, {"t.yaml": text}, rules))
    assert isinstance(caught.value, PolicyError)
    return [d.headline() for d in caught.value.diagnostics]


def test_passing_and_failing_cases_are_reported_with_file_line_expected_and_actual(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    policy_dir(tmp_path, {"board.yaml": """\
- name: the board signs
  source: "The board signs contracts."
  may: [board, sign, contract]
  expect: allow
- name: the treasurer signs
  may: [treasurer, sign, contract]
  expect: allow
- who_may: [sign, contract]
  expect: [board]
"""})
    report = run_tests(tmp_path)
    assert (report.passed, report.failed) == (1, 2)
    first, second, third = report.results
    assert (first.file, first.line, first.passed) == ("tests/board.yaml", 1, True)
    assert first.source == "The board signs contracts."
    assert first.rule_ids == ("board_signs",)
    assert (second.line, second.expected, second.actual) == (5, "allow", "deny")
    assert "treasurer may not sign contract" in second.explanation
    assert third.name == "who_may(sign, contract)"
    assert third.expected == "exactly [board]"
    assert third.actual == "[board, president] (unexpected: president)"
    text = report.render()
    lines = text.splitlines()
    assert lines[0] == "tests/board.yaml:5: the treasurer signs: expected allow, got deny"
    assert lines[1].startswith("    treasurer may not sign contract.")
    assert "tests/board.yaml:8: who_may(sign, contract): expected exactly [board], got [board, president]" \
           " (unexpected: president)" in lines
    assert "1 passed, 2 failed (3 cases in 1 file)" in lines
    assert "the board signs" not in text  # a pass is listed only when verbose
    verbose = report.render(verbose=True)
    assert "tests/board.yaml:1: the board signs: ok" in verbose
    assert "rule darf" not in verbose and "fails at: no " in verbose  # the failure's why-not, in full
    data = json.loads(report.model_dump_json())
    assert (data["passed"], data["failed"]) == (1, 2)
    assert data["results"][1]["expected"] == "allow" and data["results"][1]["line"] == 5


def test_coverage_counts_the_facts_and_rules_of_the_proofs_of_tested_answers(tmp_path):
    report = run_tests(policy_dir(tmp_path, {"t.yaml": """\
- may: [president, sign, contract]
  expect: allow
- may: [treasurer, sign, contract]
  expect: deny
"""}))
    assert report.rules_total == 5
    assert report.covered_rules == ("board_signs", "board_chair", "chair_acts")
    assert report.uncovered_rules == ("board_members", "chair_member")
    assert report.locations["board_members"].endswith("board.dl:9")
    text = report.render()
    assert "rules exercised: 3/5" in text.splitlines()
    assert re.search(r"^  board_members +\S*board\.dl:9$", text, re.M)
    full = run_tests(policy_dir(tmp_path / "full", {"t.yaml": """\
- members: board
  expect: [treasurer, president]
- ask: "may(R, sign, contract)"
  contains: [{R: president}]
"""}))
    assert full.uncovered_rules == () and "rules exercised: 5/5" in full.render()


def test_list_questions_exact_contains_and_excludes(tmp_path):
    report = run_tests(policy_dir(tmp_path, {"t.yaml": """\
- members: board
  contains: [treasurer]
  excludes: [nobody]
- members: board
  contains: [nobody]
- members: board
  excludes: [president]
- chair: board
  expect: president
- chair: board
  expect: []
- what_may: president
  expect: [[sign, contract]]
"""}, BOARD + "@id(nobody_role) @source(\"The board has a treasurer.\")\nmember(club, nobody).\n"))
    assert [r.passed for r in report.results] == [True, False, False, True, False, True]
    assert report.results[1].actual == "[president, treasurer] (missing: nobody)"
    assert report.results[2].expected == "none of [president]"
    assert report.results[2].actual == "[president, treasurer] (unexpected: president)"
    assert (report.results[4].expected, report.results[4].actual) == (
        "exactly nothing", "[president] (unexpected: president)")


def test_ask_cases(tmp_path):
    report = run_tests(policy_dir(tmp_path, {"t.yaml": """\
- ask: "member(board, R)"
  expect: [{R: treasurer}, {R: president}]
- ask: "member(board, R)"
  expect: [{R: treasurer}]
- ask: "member(club, R)"
  expect: no
- ask: "may(X, sign, Y)"
  contains: [{X: board}]
  excludes: [{X: treasurer}]
- ask: "member(board, treasurer)"
  expect: yes
"""}))
    assert [r.passed for r in report.results] == [True, False, True, True, True]
    assert report.results[1].actual == "[{R: president}, {R: treasurer}] (unexpected: {R: president})"
    assert report.results[2].actual == "no"


def test_because_names_the_facts_and_rules_the_proof_must_use(tmp_path):
    report = run_tests(policy_dir(tmp_path, {"t.yaml": """\
- may: [president, sign, contract]
  expect: allow
  because: [chair_acts, board_chair]
- may: [president, sign, contract]
  expect: allow
  because: [board_members]
"""}))
    assert [r.passed for r in report.results] == [True, False]
    assert report.results[1].expected == "allow because of board_members"
    assert report.results[1].actual.startswith("allow without board_members (the proof uses chair_acts")


def test_what_if_facts_and_dates(tmp_path):
    dated = BOARD + """
.decl as_of(date)
.decl inactive(body)
@id(closed) @source("The chair leads the board.")
inactive(board) :- as_of(D), D < 2020-01-01.
@id(gate) @source("The chair leads the board.")
may(board, open, office) :- as_of(_), not inactive(board).
@id(office) @source("The chair leads the board.")
may(president, open, office).
"""
    report = run_tests(policy_dir(tmp_path, {"t.yaml": """\
at: 2021-01-01
cases:
  - may: [board, open, office]
    expect: allow
  - may: [board, open, office]
    at: 2019-06-30
    expect: deny
  - add: ["member(board, secretary)"]
    members: board
    contains: [secretary]
  - remove: ["member(board, treasurer)"]
    members: board
    expect: [president]
"""}, dated))
    assert report.failed == 0, report.render()
    assert [r.at for r in report.results] == [datetime.date(2021, 1, 1), datetime.date(2019, 6, 30)] + [
        datetime.date(2021, 1, 1)] * 2


def test_people_files(tmp_path):
    shutil.copytree(RULES, tmp_path / "rules", ignore=shutil.ignore_patterns("tests"))
    shutil.copy(ROOT / "examples" / "people.toml", tmp_path / "rules" / "staff.toml")
    (tmp_path / "rules" / "tests").mkdir()
    (tmp_path / "rules" / "tests" / "people.yaml").write_text("""\
people: ../staff.toml
interpretations: [vorsitz_handelt_allein]
cases:
  - may: [Erika Muster, definieren, Strategie]
    expect: allow
  - may: [Max Beispiel, definieren, Strategie]
    expect: deny
""", encoding="utf-8")
    (tmp_path / "rules" / "tests" / "plain.yaml").write_text(
        "- may: [Erika Muster, definieren, Strategie]\n  interpretations: [vorsitz_handelt_allein]\n"
        "  expect: allow\n", encoding="utf-8")
    with pytest.raises(PolicyTestError, match=r"plain\.yaml:1:9: .*unknown actor `Erika Muster`"):
        run_tests(tmp_path / "rules")  # without a people file nobody is called Erika Muster
    report = run_tests(tmp_path / "rules", people=tmp_path / "rules" / "staff.toml")
    assert (report.passed, report.failed) == (3, 0)


# -- bad test files ----------------------------------------------------------------------------------------


def test_invalid_yaml_is_an_error_at_its_line(tmp_path):
    assert problems(tmp_path, "- may: [board, sign, contract]\n  expect: allow\n - x\n") == [
        f"{_display(tmp_path)}/tests/t.yaml:3:2: error: invalid YAML: expected <block end>, but found "
        "'<block sequence start>' [test-yaml]"]


def _display(path: Path) -> str:
    try:
        return path.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return str(path.resolve())


def test_yaml_tags_never_construct_python_objects(tmp_path):
    marker = tmp_path / "hacked"
    found = problems(tmp_path, f"- may: [board, sign, contract]\n"
                     f"  expect: !!python/object/apply:os.system [\"touch {marker}\"]\n")
    assert len(found) == 1 and "could not determine a constructor for the tag" in found[0]
    assert found[0].endswith("[test-yaml]") and ":2:11: error: invalid YAML value" in found[0]
    assert not marker.exists()


def test_unknown_keys_are_errors_with_did_you_mean(tmp_path):
    found = problems(tmp_path, "- mayy: [board, sign, contract]\n  expect: allow\n"
                     "- may: [board, sign, contract]\n  expcet: allow\n")
    assert found[0].endswith(":1:3: error: unknown key `mayy` in a case; did you mean `may`? [test-key]")
    assert any(":4:3: error: unknown key `expcet` in a case; did you mean `expect`?" in f for f in found)
    assert any(":3:3: error: the case states no expected answer" in f for f in found)


def test_names_resolve_through_the_policy_and_typos_are_errors(tmp_path):
    found = problems(tmp_path, """\
- may: [bord, sign, contract]
  expect: allow
- members: board
  contains: [tresurer]
- who_may: [sign, contract]
  expect: [board]
  because: [board_sign]
""")
    where = f"{_display(tmp_path)}/tests/t.yaml"
    assert found == [
        f"{where}:1:9: error: unknown actor `bord`; did you mean `board`? [test-name]",
        f"{where}:4:13: error: unknown member `tresurer`; did you mean `treasurer`? [test-name]",
        f"{where}:7:12: error: `because` names `board_sign`, which is no fact or rule id of the policy; "
        "did you mean `board_signs`, `board_chair` or `board_members`? [test-name]",
    ]


def test_every_problem_of_every_file_is_reported_at_once(tmp_path):
    with pytest.raises(PolicyTestError) as caught:
        run_tests(policy_dir(tmp_path, {
            "a.yaml": "- may: [board, sign]\n  expect: allow\n- chair: board\n  expect: deny\n",
            "b.yaml": "- is_consumer: board\n  expect: maybe\n- holds: 'member(board'\n  expect: yes\n",
        }))
    headlines = [d.headline() for d in caught.value.diagnostics]
    assert [re.sub(r"^.*tests/", "", h).split(": error")[0] for h in headlines] == [
        "a.yaml:1:8", "a.yaml:4:11", "b.yaml:2:11", "b.yaml:3:10"]
    assert "takes an actor, an action and an object as a list" in headlines[0]
    assert "`chair` answers with a list" in headlines[1]
    assert "write `allow` or `deny`" in headlines[2]
    assert "[test-question]" in headlines[3]
    assert "(and 3 more problems)" in str(caught.value)
    rendered = caught.value.render()
    assert "   2 |   expect: maybe\n     |           ^^^^^" in rendered


@pytest.mark.parametrize(("text", "message"), [
    ("", "the test file has no cases"),
    ("may: [board, sign, contract]\nexpect: allow\n", "the cases must be a list: begin each case with `- `"),
    ("cases: []\n", "the test file has no cases"),
    ("at: 2021-01-01\n", "the test file has no `cases:` list"),
    ("- [board, sign, contract]\n", "a case must be a set of `key: value` lines"),
    ("- may: [board, sign, contract]\n  members: board\n  expect: allow\n",
     "a case asks exactly one question; this one asks 2: `may`, `members`"),
    ("- may: [board, sign, contract]\n  contains: [x]\n", "`may` answers yes or no"),
    ("- members: board\n  expect: [x]\n  contains: [y]\n", "write either `expect:` (the exact answers) or"),
    ("- members: yes\n  expect: []\n", "`members` must be text, not `true`"),
    ("- members: board\n  at: someday\n  expect: []\n", "`at` must be a date written YYYY-MM-DD"),
    ("- members: board\n  at: 2021-02-30\n  expect: []\n", "invalid YAML value: day is out of range"),
    ("- members: board\n  members: club\n  expect: []\n", "`members` is given twice in a case"),
    ("- may: [board, sign, contract]\n  expect: no\n  because: [board_signs]\n", "but this case expects no"),
    ("- what_may: board\n  expect: [sign]\n", "a list of [action, object] pairs"),
    ("- ask: 'member(board, R)'\n  expect: [treasurer]\n", "each a mapping of the query's variables"),
    ("people: nowhere.toml\ncases:\n  - members: board\n    expect: []\n",
     "the people file `nowhere.toml` does not"),
    ("colour: red\ncases:\n  - members: board\n    expect: []\n", "unknown key `colour` in a test file"),
])
def test_malformed_cases_are_errors(tmp_path, text, message):
    found = problems(tmp_path, text)
    assert any(message in f for f in found), found


@pytest.mark.parametrize(("text", "message"), [
    ("- source: 'The board signs all contracts.'\n  members: board\n  expect: []\n",
     "`source` is not a verbatim part of source-text.txt"),
    ("- add: ['member(board']\n  members: board\n  expect: []\n", "[test-fact]"),
    ("- remove: ['member(board, president)']\n  members: board\n  expect: []\n", "is derived by rules"),
    ("- at: 2021-01-01\n  members: board\n  expect: []\n", "cannot be asked as of a date"),
    ("- ask: 'member(board, R)'\n  expect: [{S: treasurer}]\n", "`S` is not a variable of the query"),
    ("- ask: 'member(B, R)'\n  expect: [{R: treasurer}]\n", "each answer of `expect` gives every variable"),
    ("- ask: 'nothing(R)'\n  expect: no\n", "[test-question]"),
    ("- holds: 'member(board, R)'\n  expect: no\n", "is not ground"),
])
def test_cases_that_cannot_run_are_errors_not_failures(tmp_path, text, message):
    found = problems(tmp_path, text)
    assert len(found) == 1 and message in found[0], found
    assert re.search(r"tests/t\.yaml:[12]:\d+: error: ", found[0])


def test_a_policy_without_test_files(tmp_path):
    (tmp_path / "board.dl").write_text(BOARD, encoding="utf-8")
    with pytest.raises(PolicyTestError, match="no test files in"):
        run_tests(tmp_path)
    with pytest.raises(PolicyTestError, match=r"policy directory `.*nowhere` does not exist"):
        run_tests(tmp_path / "nowhere")


def test_a_policy_that_does_not_load_raises_its_own_error(tmp_path):
    with pytest.raises(PolicyError) as caught:
        run_tests(policy_dir(tmp_path, {"t.yaml": "- members: board\n  expect: []\n"}, BOARD + "oops(\n"))
    assert not isinstance(caught.value, PolicyTestError)


def test_a_case_runner_runs_parsed_cases_against_any_policy():
    test_file = parse_test_file("- chair: StA\n  expect: Departementschef DIV\n", "inline.yaml")
    runner = CaseRunner(lambda people: Policy.load(RULES))
    (case,) = test_file.cases
    result = runner.run(case)
    assert result.passed and result.question == "chair(steuerungsausschuss, X)"
    assert result.rule_ids[0] == "sta_vorsitz_departementschef_div"
    assert set(DECISION_QUESTIONS) == {"may", "is_consumer", "holds"}


# -- docs/testing.md ---------------------------------------------------------------------------------------


def yaml_blocks() -> list[str]:
    return re.findall(r"```yaml\n(.*?)```", TESTING_DOC.read_text(encoding="utf-8"), re.S)


@pytest.mark.parametrize("block", yaml_blocks())
def test_the_yaml_examples_of_the_docs_pass_against_the_bundled_policy(block):
    test_file = parse_test_file(block, "docs/testing.md", RULES / "tests" / "doc.yaml")
    runner = CaseRunner(lambda people: Policy.load(RULES, people=people),
                        (RULES / "source-text.txt").read_text(encoding="utf-8"))
    for case in test_file.cases:
        result = runner.run(case)
        assert result.passed, result.render(verbose=True)


def test_the_report_the_docs_show(tmp_path, monkeypatch):
    """The ```console example of `python -m kdv_policy test`: the bundled tests with one
    expectation turned around give that report (counts aside, which grow with the tests)."""
    doc = TESTING_DOC.read_text(encoding="utf-8")
    (shown,) = re.findall(r"```console\n\$ python -m kdv_policy test\n(.*?)```", doc, re.S)
    shutil.copytree(RULES, tmp_path / "rules")
    tests = tmp_path / "rules" / "tests" / "gremien.yaml"
    text = tests.read_text(encoding="utf-8")
    case = ("- name: Der Planungsausschuss nimmt die Schwerpunktplanung nicht ab\n"
            '  source: "nimmt die Schwerpunktplanung ab"\n'
            "  may: [Planungsausschuss, abnehmen, Schwerpunktplanung]\n"
            "  expect: deny\n")
    assert text.count(case) == 1
    tests.write_text(text.replace(case, case.replace("expect: deny", "expect: allow")), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    report = run_tests(Path("rules"))

    def counts_aside(line: str) -> str:
        return re.sub(r"\d+ (bestanden|Fälle)", r"N \1", re.sub(r"\d+/\d+", "a/b", line))

    printed = [counts_aside(line) for line in report.render().splitlines()]
    expected = [counts_aside(line) for line in shown.splitlines() if line != "..."]
    assert printed[:len(expected)] == expected
