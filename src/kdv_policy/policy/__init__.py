"""Stage 3, model → answers: loading a policy directory, the ``Policy`` API, names, results,
explanations, decision diffs, the reloading store and the audit log."""
