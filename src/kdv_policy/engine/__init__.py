"""Stage 2, checked program ⊕ facts → evaluated model: the only package that imports pyDatalog.

``evaluation`` (the :class:`~kdv_policy.engine.evaluation.Engine`, the only pyDatalog user),
``compile`` (rule and query bodies ready to evaluate), ``encoding`` (values as private tokens),
``bounds`` (work estimates from fan-out statistics), ``refusals`` (the errors of the
evaluation limits).
"""
