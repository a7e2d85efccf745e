"""Compiled policy bundles: evaluate once (``python -m kdv_policy build``), load everywhere.

A bundle (``*.kdvb``) is one versioned, checksummed, optionally signed file holding what the
answers and explanations of a policy need: every relation with the step of each row, the
facts of the data files and where each is written, the names, the verbs, the version, the
adopted interpretations and the text of the rule files and of the governance text. The file
format is in :mod:`~kdv_policy.policy.bundle.container`, the sections in
:mod:`~kdv_policy.policy.bundle.contents`, signatures in :mod:`~kdv_policy.policy.bundle.signing`.

``Policy.load("policy.kdvb")`` answers from the stored model: nothing is evaluated. The rule
files are parsed and checked again by the project's parser and checker (explanations cite
their clauses); nothing of a bundle is ever run. A policy derived from a bundle's policy
(``at``, ``with_facts``, other interpretations) is evaluated from the rules and data the bundle
holds, with pyDatalog, as from the files; ad-hoc queries are answered by the engine over the
stored rows.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from kdv_policy.errors import BundleError, PolicyError
from kdv_policy.limits import DEFAULT_LIMITS, Limits
from kdv_policy.policy.bundle.container import MAGIC

if TYPE_CHECKING:
    from kdv_policy.policy.api import Policy
    from kdv_policy.policy.bundle.contents import BundledProgram

SUFFIX = ".kdvb"
SHIPPED = "bundled.kdvb"
"""The bundle of the bundled policy, beside the package's modules (``kdv_policy/bundled.kdvb``)."""
SHIPPED_PATH = Path(__file__).resolve().parents[2] / SHIPPED

__all__ = ["SHIPPED", "SHIPPED_PATH", "SUFFIX", "BundleError", "build", "files_digest", "is_bundle", "load",
           "shipped", "write"]


def files_digest(directory: Path) -> str | None:
    """The hex SHA-256 of every file of a policy directory and its subfolders (each file's
    relative name and bytes, by name; hidden files and ``__pycache__`` left out), or None when
    ``directory`` is no directory or a file of it cannot be read."""
    import hashlib

    digest = hashlib.sha256()
    try:
        if not directory.is_dir():
            return None
        found = sorted((p.relative_to(directory).as_posix(), p) for p in directory.rglob("*")
                       if p.is_file() and not any(part.startswith(".") or part == "__pycache__"
                                                  for part in p.relative_to(directory).parts))
        for name, p in found:
            data = p.read_bytes()
            digest.update(f"{name}\0{len(data)}\0".encode())
            digest.update(data)
    except OSError:
        return None
    return digest.hexdigest()


def shipped(limits: Limits = DEFAULT_LIMITS) -> BundledProgram | None:
    """The bundle shipped with the package (:data:`SHIPPED`), opened, when it is the bundle of
    the bundled rules as they are (built by this version of kdv_policy from these very files);
    None when it is absent, stale or does not load: then the rules are loaded instead."""
    from kdv_policy._version import __version__
    from kdv_policy.policy.bundle import container
    from kdv_policy.policy.bundle.contents import bundled_program
    from kdv_policy.policy.loader import bundled_rules

    path = SHIPPED_PATH
    if not path.is_file():
        return None
    try:
        read = container.read(path, limits)
        meta = read.section("meta")
        rules = bundled_rules()
        if not (isinstance(meta, dict) and meta.get("kdv_policy") == __version__
                and meta.get("files") is not None and meta.get("files") == files_digest(rules)):
            return None
        return bundled_program(read, path, limits, rules)
    except PolicyError:  # a bundle that does not load (BundleError), the rules missing: the rules decide
        return None


def is_bundle(path: str | os.PathLike[str] | None) -> bool:
    """Whether ``path`` names a bundle: a file named ``*.kdvb``, or a regular file that begins as one."""
    if path is None:
        return False
    path = Path(path)
    if path.suffix == SUFFIX:
        return True
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError:
        return False
    try:
        return stat.S_ISREG(os.fstat(fd).st_mode) and os.read(fd, len(MAGIC)) == MAGIC
    except OSError:
        return False
    finally:
        os.close(fd)


def build(policy: Policy, sign: str | os.PathLike[str] | bytes | None = None) -> bytes:
    """The bytes of the bundle of ``policy`` (loaded from rules; evaluated here if it was not),
    signed with the Ed25519 private key ``sign`` (a PEM file or its bytes) when given."""
    from kdv_policy.gcpause import paused
    from kdv_policy.policy.bundle import container, signing
    from kdv_policy.policy.bundle.contents import BundledProgram, sections_of

    if isinstance(policy._loaded, BundledProgram):
        raise BundleError("the policy was loaded from a bundle; build a bundle from the policy's files")
    if policy.as_of is not None or policy._added or policy._removed:
        raise BundleError("a bundle holds a policy as its files state it: build it without a date or "
                          "what-if changes (a policy loaded from the bundle answers `at` and `with_facts`)")
    key = signing.private_key(sign) if sign is not None else None
    with paused():
        return container.write(sections_of(policy), key)


def write(data: bytes, path: str | os.PathLike[str]) -> None:
    """Write a bundle's bytes to ``path`` all at once (temporary file, fsync, rename), or not at all."""
    from kdv_policy.files import display_path

    target = Path(os.path.realpath(path))
    temporary: str | None = None
    try:
        fd, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temporary, 0o644)
        os.replace(temporary, target)
        temporary = None
    except OSError as err:
        raise BundleError(f"cannot write `{display_path(Path(path))}`: {err.strerror or err}") from None
    finally:
        if temporary is not None:
            with contextlib.suppress(OSError):
                os.unlink(temporary)


def load(path: str | os.PathLike[str] | None, *, people: str | os.PathLike[str] | None = None,
         limits: Limits = DEFAULT_LIMITS, verify_key: str | os.PathLike[str] | bytes | None = None
         ) -> BundledProgram:
    """Read, verify and open a bundle (see :meth:`kdv_policy.Policy.load`)."""
    from kdv_policy.policy.bundle import container, signing
    from kdv_policy.policy.bundle.contents import bundled_program

    if path is None or not is_bundle(path):
        shown = "the bundled policy" if path is None else f"`{path}`"
        raise BundleError(f"{shown} is no policy bundle, and `verify_key` applies to bundles only "
                          "(build one with `python -m kdv_policy build`)")
    if people is not None:
        raise BundleError("a bundle holds its people; build the bundle with `--people` instead of "
                          "giving a people file when loading it")
    read = container.read(path, limits)
    if verify_key is not None:
        signing.verify(read, verify_key)
    return bundled_program(read, Path(path), limits)
