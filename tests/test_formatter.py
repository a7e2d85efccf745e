"""The formatter: one canonical layout, comments kept, meaning unchanged."""

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kdv_policy import PolicySyntaxError, parse_program
from kdv_policy.language.formatter import format_source
from kdv_policy.language.printer import format_module
from strategies import modules

REPO_RULES = Path(__file__).resolve().parents[1] / "rules"
"""The policy of this repository (not the copy an installation bundles)."""

MESSY = """% Bodies of the governance.

.decl body(b).   % trailing on a declaration
%% Who chairs which body.
.decl chair(body, role)
@id(b1)   @source("Der Regierungsrat verabschiedet die Strategie")   body(regierungsrat).  % after a fact
chair(B,R):-body(B),   % inside a rule
   R=departementschef_div  .


% the end
"""

FORMATTED = """% Bodies of the governance.

.decl body(b)  % trailing on a declaration
%% Who chairs which body.
.decl chair(body, role)
@id(b1)
@source("Der Regierungsrat verabschiedet die Strategie")
body(regierungsrat).  % after a fact
% inside a rule
chair(B, R) :- body(B), R = departementschef_div.

% the end
"""


def test_canonical_layout_keeps_comments():
    assert format_source(MESSY) == FORMATTED
    assert format_source(FORMATTED) == FORMATTED


def test_long_bodies_wrap_one_literal_a_line():
    text = ".decl p(a, b)\np(A, B) :- " + ", ".join(f"p(A, B{i})" for i in range(12)) + ", B = A.\n"
    lines = format_source(text).splitlines()
    assert lines[1] == "p(A, B) :-" and lines[2] == "    p(A, B0)," and lines[-1] == "    B = A."
    assert parse_program(format_source(text)) == parse_program(text)


@pytest.mark.parametrize("path", sorted(REPO_RULES.glob("*.dl")), ids=lambda p: p.name)
def test_the_repositorys_rules_are_formatted(path: Path):
    text = path.read_text(encoding="utf-8")
    assert format_source(text, path.name) == text, f"run: python -m kdv_policy fmt {path}"


def test_text_that_does_not_parse_is_not_formatted():
    with pytest.raises(PolicySyntaxError):
        format_source("p(X :- q.")


comment_lines = st.lists(st.sampled_from(["% a comment", "%% a doc line", "", "% another: p(X) :- q."]),
                         max_size=3)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(modules, st.data())
def test_formatting_never_changes_meaning(module, data):
    lines = format_module(module).splitlines()
    mixed = []
    for line in lines:
        mixed += data.draw(comment_lines)
        mixed.append(line)
    text = "\n".join(mixed) + "\n"
    try:
        original = parse_program(text)
    except PolicySyntaxError:
        return  # a stray doc line can make text that does not parse; nothing to format
    formatted = format_source(text)
    assert parse_program(formatted) == original
    assert format_source(formatted) == formatted  # idempotent
    assert formatted.count("% a comment") == text.count("% a comment")
