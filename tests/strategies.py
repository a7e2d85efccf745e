"""Hypothesis strategies for rule-language ASTs, shared by the property tests."""

import datetime

from hypothesis import strategies as st

from kdv_policy.language.syntax import (
    COMPARISON_OPS,
    Annotation,
    Atom,
    Clause,
    Comparison,
    Constant,
    Declaration,
    Interpretation,
    Module,
    Negation,
    Query,
    Variable,
)

names = st.from_regex(r"[a-zäöüß][a-zA-Z0-9_äöü]{0,8}", fullmatch=True)
variable_names = st.one_of(st.from_regex(r"[A-Z_][A-Za-z0-9_]{0,5}", fullmatch=True), st.just("_"))
values = st.one_of(
    names,
    # any text the rule language can write: no control characters but the escapes \n and \t
    st.text(st.characters(blacklist_categories=("Cs", "Cc"), whitelist_characters="\n\t"), max_size=12),
    st.integers(min_value=-(10**18) + 1, max_value=10**18 - 1),
    st.dates(min_value=datetime.date(1000, 1, 1), max_value=datetime.date(9999, 12, 31)),
)
constants = st.builds(Constant, values)
variables = st.builds(Variable, variable_names)
terms = st.one_of(constants, variables)
atoms = st.builds(Atom, names, st.lists(terms, max_size=4).map(tuple))
literals = st.one_of(
    atoms,
    st.builds(Negation, atoms),
    st.builds(Comparison, st.sampled_from(COMPARISON_OPS), terms, terms),
)
annotations = st.one_of(
    st.builds(Annotation, names, st.lists(constants, max_size=2).map(tuple)),
    # the annotations of the bases and of interpretations, whose text is always quoted
    st.builds(Annotation, st.sampled_from(["source", "structure", "interpretation", "de", "en", "rationale"]),
              st.lists(constants, min_size=1, max_size=1).map(tuple)),
)
doc_chars = st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp"))
doc_lines = st.text(alphabet=doc_chars, max_size=20).map(str.strip)
docs = st.one_of(st.none(), st.lists(doc_lines, min_size=1, max_size=3).map("\n".join))
clauses = st.builds(
    Clause,
    atoms,
    st.lists(literals, max_size=4).map(tuple),
    st.lists(annotations, max_size=2).map(tuple),
    docs,
)
declarations = st.builds(
    Declaration,
    names,
    st.lists(st.one_of(names, variable_names.filter(lambda n: n != "_")), max_size=4).map(tuple),
    docs,
    st.lists(annotations, max_size=2).map(tuple),
)
interpretations = st.builds(
    Interpretation,
    names,
    docs,
    st.lists(annotations, max_size=3).map(tuple),
)
items = st.lists(st.one_of(clauses, declarations, interpretations), max_size=6).map(tuple)
modules = st.builds(Module, st.just("<test>"), items)
queries = st.builds(Query, st.lists(literals, min_size=1, max_size=4).map(tuple))
