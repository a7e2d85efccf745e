"""``python -m kdv_policy``: the command line, one module per command group."""
