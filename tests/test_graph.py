"""`graph`: the governance as Mermaid and DOT, and the picture embedded in docs/governance.md."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from kdv_policy import Policy
from kdv_policy.authoring.graph import (
    BEGIN,
    DOC_LANGUAGE,
    END,
    REFRESH,
    dot,
    dot_text,
    embed,
    governance,
    mermaid,
    mermaid_text,
)
from kdv_policy.cli.main import main

REPO_RULES = Path(__file__).resolve().parents[1] / "rules"
"""The policy of this repository (not the copy an installation bundles)."""

DOC = Path(__file__).resolve().parents[1] / "docs" / "governance.md"


@pytest.fixture(scope="module")
def policy() -> Policy:
    return Policy.load(REPO_RULES)


def test_the_picture_in_governance_md_is_current(policy, update_golden):
    text = DOC.read_text(encoding="utf-8")
    fresh = embed(text, mermaid(policy, DOC_LANGUAGE))
    if update_golden and fresh != text:
        DOC.write_text(fresh, encoding="utf-8")
        text = fresh
    assert fresh == text, (f"the graph in docs/governance.md is stale; refresh it with `{REFRESH}` "
                           "(it embeds the output of `python -m kdv_policy graph --lang en`)")


def test_mermaid_shows_bodies_members_chair_delegation_and_services(policy):
    text = mermaid(policy, "en")
    lines = text.splitlines()
    assert lines[0] == "flowchart LR"
    assert '  n_steuerungsausschuss(["Steuerungsausschuss"])' in lines
    assert '  n_departementschef_div["Departementschef DIV"]' in lines
    assert '  n_departementschef_div ==>|"chair"| n_steuerungsausschuss' in lines
    assert "  n_departementschef_div --> n_steuerungsausschuss" not in lines  # the chair edge says it
    assert "  n_staatsschreiber --> n_steuerungsausschuss" in lines
    assert ('  n_regierungsrat -.->|"delegates: implement Strategie Digitale Verwaltung Thurgau"| '
            "n_steuerungsausschuss") in lines
    assert '  n_vtg -.-|"partner"| n_kontaktgremium' in lines
    # consumers grouped by kind: one edge per kind, not one per unit
    assert '  subgraph k_departement["Departement"]' in lines
    assert '  n_kompetenzzentrum -->|"serves"| k_departement' in lines
    assert not any(re.match(r"  n_kompetenzzentrum -->.* n_div$", line) for line in lines)
    assert sum(1 for line in lines if line.startswith("  subgraph ")) == sum(
        1 for line in lines if line == "  end")
    # not consumers: outside the administration
    assert "Thurgauer Kantonalbank" not in text and "Politische Gemeinde Frauenfeld" not in text


def test_output_is_deterministic_and_sorted(policy):
    assert mermaid(policy) == mermaid(Policy.load(REPO_RULES))
    assert dot(policy) == dot(Policy.load(REPO_RULES))
    g = governance(policy)
    bodies = [n.id for n in g.nodes if n.kind == "body"]
    assert bodies == sorted(bodies)


def test_every_mermaid_edge_names_a_declared_node_or_group(policy):
    declared = set()
    edges = []
    for line in mermaid(policy).splitlines()[1:]:
        found = re.match(r"\s+(?:subgraph )?([A-Za-z_]\w*)[\[(]", line)
        if found:
            declared.add(found.group(1))
        edge = re.match(r"\s+(\w+) (?:-->|==>|-\.->|-\.-)(?:\|\"[^\"]*\"\|)? (\w+)$", line)
        if edge:
            edges.append(edge.groups())
    assert edges
    for source, target in edges:
        assert source in declared and target in declared, (source, target)


def test_dot_is_well_formed(policy):
    text = dot(policy, "en")
    assert text.startswith("digraph governance {\n") and text.endswith("}\n")
    without_strings = re.sub(r'"(?:\\.|[^"\\])*"', '""', text)
    depth = 0
    for ch in without_strings:
        depth += {"{": 1, "}": -1}.get(ch, 0)
        assert depth >= 0
    assert depth == 0
    declared = set(re.findall(r"^\s+(\w+) \[label=", text, re.M))
    edges = re.findall(r"^\s+(\w+) -> (\w+)", text, re.M)
    assert len(edges) > 30
    for source, target in edges:
        assert source in declared and target in declared, (source, target)
    clusters = set(re.findall(r"subgraph (cluster_\w+) \{", text))
    assert set(re.findall(r"lhead=(\w+)", text)) <= clusters
    assert 'n_departementschef_div -> n_steuerungsausschuss [label="chair"' in text


def test_labels_are_escaped():
    assert mermaid_text('Verein "Smarter" <Thurgau> #1') == "Verein #quot;Smarter#quot; #lt;Thurgau#gt; #35;1"
    assert dot_text('a "b" \\ c\nd') == 'a \\"b\\" \\\\ c\\nd'


def test_a_policy_without_data_draws_its_constants_and_quotes_names(tmp_path):
    (tmp_path / "p.dl").write_text(
        '.decl body(b)\n.decl member(b, r)\n.decl chair(b, r)\n.decl serves(p, u)\n'
        '@id(b1) @source("s") body(board).\n'
        '@id(m1) @source("s") member(board, "the \\"treasurer\\"").\n'
        '@id(c1) @source("s") chair(board, end).\n'
        '@id(s1) @source("s") serves(board, town).\n', encoding="utf-8")
    policy = Policy.load(tmp_path)
    text = mermaid(policy, "en")
    assert '  n_the__treasurer_["the #quot;treasurer#quot;"]' in text
    assert '  n_end ==>|"chair"| n_board' in text  # `end` is safe behind the prefix
    assert '  subgraph k_other["other units"]' in text
    assert 'n_the__treasurer_ [label="the \\"treasurer\\""' in dot(policy)


def test_embed_replaces_only_between_the_markers():
    doc = f"# T\n\nbefore\n\n{BEGIN}\nold\n{END}\n\nafter\n"
    block = f"{BEGIN}\n```mermaid\nflowchart LR\n```\n{END}"
    assert embed(doc, "flowchart LR\n") == f"# T\n\nbefore\n\n{block}\n\nafter\n"
    with pytest.raises(ValueError, match="markers"):
        embed("no markers", "flowchart LR\n")


@pytest.mark.parametrize("fmt", ["mermaid", "dot"])
def test_graph_command(fmt, capsys, policy):
    assert main(["graph", "--format", fmt]) == 0
    out = capsys.readouterr().out
    assert out == (mermaid(policy) if fmt == "mermaid" else dot(policy))


def test_graph_command_with_a_bad_directory_exits_2(tmp_path, capsys):
    assert main(["graph", "--rules", str(tmp_path / "nowhere")]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_the_german_graph_speaks_german_and_declines_the_delegated_object(policy):
    lines = mermaid(policy, "de").splitlines()
    assert '  n_departementschef_div ==>|"Vorsitz"| n_steuerungsausschuss' in lines
    assert '  n_vtg -.-|"Partner"| n_kontaktgremium' in lines
    # the object in the accusative, with its article from organisation.toml, before the German verb
    assert ('  n_regierungsrat -.->|"delegiert: die Strategie Digitale Verwaltung Thurgau umsetzen"| '
            "n_steuerungsausschuss") in lines
    assert '  n_kompetenzzentrum -->|"erbringt Leistungen für"| k_departement' in lines
    text = "\n".join(lines)
    assert not re.search(r'\|"(chair|partner|serves|delegates: [^"]*)"\|', text)
    dot_text_de = dot(policy, "de")
    assert 'label="Vorsitz"' in dot_text_de and 'label="chair"' not in dot_text_de


def test_the_graph_follows_the_policy_language_unless_lang_says_otherwise(policy, tmp_path):
    assert mermaid(policy) == mermaid(policy, "de")  # the bundled policy speaks German
    assert mermaid(policy.in_language("en")) == mermaid(policy, "en")
    (tmp_path / "p.dl").write_text(
        '.decl body(b)\n.decl serves(p, u)\n@id(b1) @source("s") body(board).\n'
        '@id(s1) @source("s") serves(board, town).\n', encoding="utf-8")
    plain = Policy.load(tmp_path)
    assert '  subgraph k_other["weitere Einheiten"]' in mermaid(plain, "de")
    assert '  subgraph k_other["other units"]' in mermaid(plain, "en")
    with pytest.raises(Exception, match="lang"):
        mermaid(policy, "fr")


@pytest.mark.parametrize(("lang", "chair", "line"), [
    ("de", "Vorsitz", "Policy: rules (Version "), ("en", "chair", "policy: rules (version ")])
def test_graph_command_lang(lang, chair, line, capsys, monkeypatch):
    monkeypatch.chdir(REPO_RULES.parent)
    assert main(["graph", "--lang", lang]) == 0
    captured = capsys.readouterr()
    assert f'==>|"{chair}"| n_steuerungsausschuss' in captured.out
    assert captured.err.startswith(line)


def test_graph_command_defaults_to_the_policy_language(capsys, monkeypatch):
    monkeypatch.chdir(REPO_RULES.parent)
    assert main(["graph"]) == 0
    captured = capsys.readouterr()
    assert '==>|"Vorsitz"| n_steuerungsausschuss' in captured.out
    assert captured.err.startswith("Policy: rules (Version ")
