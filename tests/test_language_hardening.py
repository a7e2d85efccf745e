"""Hostile rule and query text: diagnostics stay bounded, every character policy text cannot
hold is a syntax error at its position, and long integers are refused, never a raw ValueError."""

import subprocess
import sys
import textwrap

import pytest

from kdv_policy import Policy
from kdv_policy.cli.main import main
from kdv_policy.errors import (
    MAX_MESSAGE,
    Diagnostic,
    MoreDiagnostics,
    PolicyCheckError,
    PolicyError,
    PolicySyntaxError,
    Severity,
    cap_per_file,
)
from kdv_policy.language.checker import analyse
from kdv_policy.language.parser import parse_program, parse_query
from kdv_policy.language.source import SNIPPET_WIDTH, Source, snippet
from kdv_policy.limits import DEFAULT_LIMITS

LIMIT = DEFAULT_LIMITS.max_diagnostics_per_file


def repeated_annotations(n: int) -> str:
    """One line with ``n`` times the same annotation: ``n - 1`` duplicate-annotation errors."""
    return ".decl p(x)\n" + "@id(a) " * n + 'p(1).\n'


def policy_dir(tmp_path, text: str, name: str = "p.dl"):
    (tmp_path / name).write_text(text, encoding="utf-8")
    return tmp_path


# -- item 4: diagnostics are bounded -------------------------------------------------------------

def test_repeated_annotations_report_at_most_the_limit_then_a_count():
    text = repeated_annotations(1_000)
    result = analyse([parse_program(text, "p.dl")], {"p.dl": Source("p.dl", text)})
    assert len(result.diagnostics) == LIMIT + 1
    more = result.diagnostics[-1]
    assert isinstance(more, MoreDiagnostics)
    # 999 duplicates and one missing citation; LIMIT errors are shown
    assert (more.errors, more.warnings) == (999 - LIMIT, 1)
    assert more.render().startswith("p.dl: error: and 900 more errors and warnings in this file")
    assert "max_diagnostics_per_file" in more.help


def test_check_output_of_a_line_of_repeated_annotations_is_bounded(tmp_path, capsys):
    # 1,000 annotations on a 7 KB line printed about 14 MB: each diagnostic showed the whole line
    status = main(["check", str(policy_dir(tmp_path, repeated_annotations(1_000)))])
    out = capsys.readouterr().out
    assert status == 1
    assert len(out) < 60_000
    assert "and 900 more errors and warnings in this file [too-many-diagnostics]" in out
    assert max(len(line) for line in out.splitlines()) < 300


def test_rendering_the_load_error_of_a_long_line_stays_in_bounded_memory(tmp_path):
    # 30,000 annotations (210 KB): the old rendering needed about 30,000 x 420 KB
    policy_dir(tmp_path, repeated_annotations(30_000))
    script = textwrap.dedent(f"""
        import resource
        resource.setrlimit(resource.RLIMIT_AS, (1_500_000_000, 1_500_000_000))
        from kdv_policy import Policy, PolicyError
        try:
            Policy.load({str(tmp_path)!r})
        except PolicyError as err:
            print(len(err.render()), len(str(err)))
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    rendered, message = map(int, done.stdout.split())
    assert rendered < 60_000
    assert message < 1_000


def test_a_file_of_syntax_errors_reports_the_limit_then_a_count():
    text = "".join(f"p({i}) q.\n" for i in range(500))
    with pytest.raises(PolicySyntaxError) as caught:
        parse_program(text, "p.dl")
    diags = caught.value.diagnostics
    assert len(diags) == LIMIT + 1
    assert diags[-1].code == "syntax" and diags[-1].message == "and 400 more syntax errors in this file"
    assert str(caught.value).endswith("(and 499 more syntax errors)")


def test_syntax_errors_at_the_start_of_items_are_all_reported():
    # an unexpected character where an item starts stopped the parser with that one error
    with pytest.raises(PolicySyntaxError) as caught:
        parse_program(";\n.decl p(x)\n;\np(1).\n&\n", "p.dl")
    assert [d.span.line for d in caught.value.diagnostics] == [1, 3, 5]


def test_the_limit_is_per_file_and_configurable():
    text = "".join(f"p({i}) q.\n" for i in range(20))
    with pytest.raises(PolicySyntaxError) as caught:
        parse_program(text, "p.dl", max_diagnostics=5)
    assert len(caught.value.diagnostics) == 6
    assert caught.value.diagnostics[-1].message == "and 15 more syntax errors in this file"
    checked = analyse([parse_program(".decl p(x)\n" + "p(1).\n" * 20, "p.dl")], max_diagnostics=3)
    assert [d.code for d in checked.diagnostics] == ["missing-citation"] * 3 + ["missing-citation"]
    assert checked.diagnostics[-1].message == "and 17 more warnings in this file"


def test_errors_are_kept_before_warnings():
    # 150 facts without citation (warnings) come before the one error of the file
    text = ".decl p(x)\n" + "p(1).\n" * 150 + "q(1).\n"
    result = analyse([parse_program(text, "p.dl")])
    assert result.program is None
    assert sum(d.code == "undeclared-predicate" for d in result.diagnostics) == 1
    shown = [d for d in result.diagnostics if not isinstance(d, MoreDiagnostics)]
    assert sum(d.code == "missing-citation" for d in shown) == LIMIT - 1
    assert result.diagnostics[-1].message == "and 52 more warnings in this file"  # of 151


def test_errors_built_from_many_diagnostics_render_at_most_the_limit_per_file():
    source = Source("a.dl", "x\n" * 300)
    diags = [Diagnostic("syntax", Severity.ERROR, "bad", source.span(2 * i, 2 * i + 1), None, source)
             for i in range(300)]
    for error in (PolicySyntaxError(diags), PolicyCheckError(diags), PolicyError("bad", diags)):
        assert len(error.diagnostics) == LIMIT + 1
        assert error.render().count("error: bad") == LIMIT
        assert "and 200 more syntax errors in this file" in error.render()
    both = cap_per_file([*diags, Diagnostic("syntax", Severity.ERROR, "bad", Source("b.dl", "x").span(0, 1))])
    assert [d.path for d in both].count("b.dl") == 1


def test_snippet_of_a_long_line_is_an_excerpt_with_the_caret_under_the_span():
    line = "".join(f"w{i:05d} " for i in range(2_000))
    source = Source("p.dl", line + "\n")
    for start in (0, 7 * 1_000, len(line) - 7):
        span = source.span(start, start + 6)
        text, carets = snippet(source, span).split("\n")
        shown = text.split(" | ", 1)[1]
        assert len(shown) <= SNIPPET_WIDTH + 2
        at = carets.index("^") - (len(text) - len(shown))
        assert shown[at:at + 6] == line[start:start + 6]
        assert carets.count("^") == 6
        assert shown.startswith("…") == (start > 0)
        assert shown.endswith("…") == (start < len(line) - 7)


def test_snippet_shows_control_characters_as_replacement_characters():
    source = Source("p.dl", 'p("\x1b[2J").\n')
    assert "\x1b" not in snippet(source, source.span(0, 1))


def test_messages_quote_long_names_shortened():
    long = "a" * 100_000
    result = analyse([parse_program(f".decl p(x)\n@source(\"s\")\np(X) :- {long}(X), V{long} = X.\n")])
    assert {d.code for d in result.errors} == {"undeclared-predicate", "unsafe-variable"}
    for d in result.diagnostics:
        assert len(d.message) < 200 and len(d.help or "") < 400 and len(d.render()) < 1_000
    for text in (f"{long} :- .", f"V{long}(1).", f'p("{long}" q).', f"p(1) {long}."):
        with pytest.raises(PolicySyntaxError) as caught:
            parse_program(text)
        assert len(str(caught.value)) < 300


def test_a_diagnostic_message_is_cut_at_the_limit():
    diag = Diagnostic("x", Severity.ERROR, "m" * 100_000, None, "h" * 100_000)
    assert len(diag.message) == len(diag.help) == MAX_MESSAGE
    assert diag.message.endswith("…")


# -- item 11: characters policy text cannot hold ---------------------------------------------------

@pytest.mark.parametrize(("text", "line", "col", "message"), [
    ('p("a\x00b").', 2, 5, "NUL byte in policy text"),
    ("% a comment \x00\np(1).", 2, 13, "NUL byte in policy text"),
    ("%% a doc comment \x00\np(1).", 2, 18, "NUL byte in policy text"),
    ("p(1). % at the end \x00", 2, 20, "NUL byte in policy text"),
    ("p(1).\x00", 2, 6, "NUL byte in policy text"),
    ('p("a\x1b[31mb").', 2, 5, "control character U+001B in policy text"),
    ('p("a\x7fb").', 2, 5, "control character U+007F in policy text"),
    ('p("a\x85b").', 2, 5, "control character U+0085 in policy text"),
    ('p("a\rb").', 2, 5, "control character U+000D in a string"),
    ('p("a\\\x00").', 2, 6, "NUL byte in policy text"),
    ('p("a\ud800").', 2, 5, "lone surrogate U+D800 in policy text"),
])
def test_a_character_policy_text_cannot_hold_is_a_syntax_error_at_its_position(text, line, col, message):
    with pytest.raises(PolicySyntaxError) as caught:
        parse_program(".decl p(x)\n" + text, "p.dl")
    diag = caught.value.diagnostic
    assert (diag.span.line, diag.span.col, diag.message) == (line, col, message)


def test_every_forbidden_character_is_reported():
    with pytest.raises(PolicySyntaxError) as caught:
        parse_program('.decl p(x)\np("\x00").\n% \x01\np("\x02").\n')
    assert [d.span.line for d in caught.value.diagnostics] == [2, 3, 4]


def test_a_nul_byte_in_a_string_fails_check(tmp_path, capsys):
    status = main(["check", str(policy_dir(tmp_path, '.decl p(x)\n@source("s")\np("a\x00b").\n'))])
    out = capsys.readouterr().out
    assert status == 1
    assert "p.dl:3:5: error: NUL byte in policy text [syntax]" in out
    assert "\x00" not in out


def test_a_nul_byte_in_a_query_is_a_syntax_error():
    with pytest.raises(PolicySyntaxError) as caught:
        parse_query('member(X, "a\x00")')
    assert caught.value.span.col == 13


def test_whitespace_tabs_and_escapes_still_parse():
    module = parse_program('.decl p(x)\r\np("a\tb").\r\n\fp("c\\n\\td").\v\n')
    assert [c.head.args[0].value for c in module.clauses] == ["a\tb", "c\n\td"]


# -- item 8 (integers): long integer literals -----------------------------------------------------

@pytest.mark.parametrize("digits", [19, 4_301, 100_000])
def test_a_long_integer_in_rule_text_is_a_syntax_error_at_its_span(digits):
    number = "9" * digits
    for text in (f"p({number}).", f"p(-{number}).", f"@id({number}) p(1).",
                 f"p(X) :- p(X), X < {number}."):
        with pytest.raises(PolicySyntaxError) as caught:
            parse_program(".decl p(x)\n" + text, "p.dl")
        diag = caught.value.diagnostic
        assert "is out of range" in diag.message and len(diag.message) < 100
        assert diag.span.line == 2 and diag.span.end_col - diag.span.col >= digits


@pytest.mark.parametrize("digits", [19, 4_301, 100_000])
def test_a_long_integer_in_a_query_is_a_syntax_error(digits):
    with pytest.raises(PolicySyntaxError) as caught:
        parse_query(f"p(X), X != {'1' * digits}")
    assert caught.value.span.col == 12
    assert "is out of range" in caught.value.diagnostic.message


def test_the_largest_integers_still_parse():
    module = parse_program(f".decl p(x)\np({'9' * 18}).\np(-{'9' * 18}).\n")
    assert [c.head.args[0].value for c in module.clauses] == [10**18 - 1, -(10**18 - 1)]


def test_a_long_integer_through_the_cli_check_is_exit_1_without_a_traceback(tmp_path, capsys):
    status = main(["check", str(policy_dir(tmp_path, f".decl p(x)\np({'7' * 5_000}).\n"))])
    captured = capsys.readouterr()
    assert status == 1
    assert "integer `777" in captured.out and "(5,000 digits) is out of range" in captured.out
    assert "Traceback" not in captured.err


def test_loading_a_policy_with_a_long_integer_raises_a_syntax_error(tmp_path):
    with pytest.raises(PolicySyntaxError):
        Policy.load(policy_dir(tmp_path, f".decl p(x)\np({'7' * 5_000}).\n"))
