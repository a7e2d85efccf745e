"""The package version (read by the build backend and by the policy version hash)."""

__version__ = "0.1.0"
