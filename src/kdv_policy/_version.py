"""The package version (read by the build backend; shown by `python -m kdv_policy --version`)."""

__version__ = "0.1.0"
