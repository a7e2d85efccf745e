"""The words of the report's pages, as catalog messages: the templates read them by key, so
German and English pages come from one set of templates (``policy/locale``).

A message with ``{placeholders}`` is filled in the template with ``.format``.
"""

from __future__ import annotations

from kdv_policy.policy.wording import N_, phrase

WORDS: dict[str, str] = {
    "title": N_("Governance policy report"),
    "nav_text": N_("Text and rules"),
    "nav_matrix": N_("Decision matrix"),
    "nav_governance": N_("Governance"),
    "nav_changes": N_("What changed"),
    "nav_rules": N_("Rules"),
    "nav_tests": N_("Policy tests"),
    "coverage": N_("Coverage"),
    "sentences_encoded": N_("{encoded} of {total} sentences encoded, {explained} not encoded with a reason, "
                            "{untraced} neither"),
    "rules_exercised": N_("{covered} of {total} rules exercised by the policy tests"),
    "tests_passing": N_("{passed} of {total} policy tests passing"),
    "no_tests": N_("The policy has no policy tests."),
    "no_text": N_("The policy has no governance text (source-text.txt): there is nothing to trace."),
    "provenance": N_("Provenance"),
    "policy_version": N_("Policy version (content hash)"),
    "policy_directory": N_("Policy directory"),
    "people_file": N_("People file"),
    "report_date": N_("Report date"),
    "tool_version": N_("kdv_policy version"),
    "adopted": N_("Interpretations adopted"),
    "declared_not_adopted": N_("Declared, not adopted"),
    "none": N_("none"),
    "the_text": N_("The text, sentence by sentence"),
    "sentence": N_("Sentence {number}"),
    "line": N_("line {line}"),
    "encoded_by": N_("Encoded by"),
    "data_entries": N_("Data entries"),
    "interpretations": N_("Interpretations"),
    "decisions": N_("Decisions it produces"),
    "and_more": N_("and {n} more"),
    "tested_by": N_("Tested by"),
    "not_tested": N_("No policy test cites it."),
    "not_encoded": N_("Not encoded: {reason}"),
    "untraced": N_("Neither encoded nor explained."),
    "note": N_("Note"),
    "status_encoded": N_("encoded"),
    "status_explained": N_("not encoded"),
    "status_untraced": N_("untraced"),
    "passed": N_("passed"),
    "failed": N_("failed"),
    "not_run": N_("not run"),
    "basis_text": N_("text"),
    "basis_structure": N_("structure"),
    "basis_interpretation": N_("interpretation"),
    "matrix_intro": N_("Every body, role and person against every action and object: allowed, denied, or "
                       "allowed only by an adopted interpretation. Each cell links to its explanation."),
    "filter_body": N_("Body"),
    "filter_kind": N_("Kind"),
    "filter_search": N_("Search"),
    "filter_allowed": N_("only rows with an allowed cell"),
    "all": N_("all"),
    "kind_body": N_("Bodies"),
    "kind_role": N_("Roles"),
    "kind_person": N_("Persons"),
    "actor": N_("Who"),
    "allow": N_("allowed"),
    "deny": N_("denied"),
    "rests_on_interpretation": N_("allowed by an interpretation"),
    "undetermined": N_("undetermined by the text"),
    "rows_shown": N_("{shown} of {total} rows shown"),
    "summarised": N_("{count} {what}: too many for the matrix ({cells} cells; the bound is {bound}). "
                     "Each is listed with what it may, on pages of {page}."),
    "may_nothing": N_("may nothing"),
    "page": N_("Page {n} of {total}"),
    "explanation": N_("Explanation"),
    "back_to_matrix": N_("back to the matrix"),
    "cited": N_("cited sentence"),
    "governance_intro": N_("Bodies, their members and chair, partners, delegations and whom the service "
                           "providers serve, drawn from the policy's computed model."),
    "who_decides": N_("Who decides what"),
    "too_large": N_("The graph has {nodes} nodes and {edges} edges, too many to draw; the tables list it."),
    "members": N_("Members"),
    "chair": N_("Chair"),
    "may": N_("May"),
    "delegations": N_("Delegations"),
    "serves": N_("Serves"),
    "body": N_("Body"),
    "no_comparison": N_("No earlier version was given: run `report --against git:REV` or `--against DIR` "
                        "to see the decisions a change gains and loses."),
    "changes_summary": N_("{gained} decisions gained, {lost} lost between {old} and {new}."),
    "compared_with": N_("Compared with"),
    "gained": N_("Gained"),
    "lost": N_("Lost"),
    "no_change": N_("No decision changed."),
    "rule": N_("Rule"),
    "rule_text": N_("Text"),
    "location": N_("File and line"),
    "basis": N_("Basis"),
    "sentences": N_("Sentences"),
    "exercised": N_("exercised by a test"),
    "not_exercised": N_("not exercised by any test"),
    "test_case": N_("Case"),
    "question": N_("Question"),
    "expected": N_("Expected"),
    "actual": N_("Answer"),
    "result": N_("Result"),
}
"""Key → message id (English); :func:`words` gives them in a language."""

def words(lang: str) -> dict[str, str]:
    """Every word of the pages in ``lang``, by key."""
    return {key: phrase(lang, message) for key, message in WORDS.items()}
