"""Stage 2, checked program ⊕ facts → evaluated model: the only package that imports pyDatalog.

``evaluation`` (the :class:`~kdv_policy.engine.evaluation.Engine`, the only pyDatalog user),
``compile`` (rule and query bodies ready to evaluate), ``encoding`` (values as private tokens),
``bounds`` (work estimates from fan-out statistics), ``refusals`` (the errors of the
evaluation limits).
"""

import sys as _sys

# pyDatalog imports SQLAlchemy at import time when it is installed (for an ORM integration this
# project never uses) and then patches SQLAlchemy's InstrumentedAttribute class. SQLAlchemy is a
# dependency of kdv_policy's people databases, read on first use; so while pyDatalog is imported
# SQLAlchemy is hidden from it, unless the app has imported it already: `import kdv_policy` stays
# light and SQLAlchemy's classes stay as they are.
if "sqlalchemy" not in _sys.modules and "pyDatalog.pyDatalog" not in _sys.modules:
    _sys.modules["sqlalchemy"] = None  # type: ignore[assignment]
    try:
        import pyDatalog.pyDatalog  # noqa: F401
    finally:
        del _sys.modules["sqlalchemy"]
