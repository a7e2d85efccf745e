"""A policy's version: a hash of its content alone, wherever its files lie.

The version is the first 16 hex digits of a SHA-256 over

- every rule file: its path relative to the policy directory (``sub/b.dl``; the file's own
  name when the policy is one file) and its bytes;
- the data files: ``organisation.toml`` and the people file, each by its path relative to
  the policy directory and its bytes; a people file outside the directory counts under the
  fixed name ``<people>``, whatever its absolute path;
- the as-of date and the what-if changes (facts added and removed, each value with its type);
- the interpretations adopted (none adds nothing).

So the same files copied to two folders, or extracted from git to a new temporary
directory on every run, give the same version; a changed byte, a renamed rule file or
another date gives another. Neither the absolute path, the working directory nor the
version of kdv_policy enters it.
"""

from __future__ import annotations

import datetime
import hashlib
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Protocol

from kdv_policy.errors import PolicyLoadError
from kdv_policy.files import display_path
from kdv_policy.language.syntax import Value
from kdv_policy.policy.loader import LoadedProgram

SCHEME = b"kdv_policy content version 2\0"
"""Names the way the hash is made: a change of the scheme gives every policy a new version."""

PEOPLE_OUTSIDE = "<people>"
"""The name a people file outside the policy directory is hashed under."""

Fact = tuple[str, tuple[Value, ...]]


def content_digest(loaded: LoadedProgram) -> bytes:
    """The SHA-256 of a loaded policy's files: each file's relative name and bytes, by name."""
    directory = _resolved(loaded.directory)
    if not directory.is_dir():  # a policy of one file
        directory = directory.parent
    # a source is named as diagnostics show it (kdv_policy.files.display_path): the directory's
    # own shown path, then the file's path inside it
    shown_directory = display_path(directory)
    prefix = "" if shown_directory == "." else shown_directory.rstrip("/") + "/"
    files: dict[str, bytes] = {}
    for shown, source in loaded.sources.items():
        name = shown[len(prefix):] if shown.startswith(prefix) else "/"
        if name.startswith(("/", "../")):  # a symbolic link led out of the directory
            name = _relative(Path(shown), directory)
        # the loader read the file as strict UTF-8, so the text encodes back to its very bytes
        files[name] = source.text.encode("utf-8")
    for dataset, outside in ((loaded.data, None), (loaded.people, PEOPLE_OUTSIDE)):
        content = getattr(dataset, "content", None)  # people read from a database: their rows
        if isinstance(content, bytes):
            files[PEOPLE_OUTSIDE] = content
            continue
        if dataset is not None:
            name = _relative(dataset.path, directory, outside)
            try:
                files[name] = dataset.path.read_bytes()
            except OSError as err:
                raise PolicyLoadError(f"cannot read `{display_path(dataset.path)}` again to compute the "
                                      f"policy's version: {err.strerror or err}") from None
    digest = hashlib.sha256(SCHEME)
    for name in sorted(files):
        _field(digest, name.encode("utf-8"))
        _field(digest, files[name])
    return digest.digest()


def policy_version(content: bytes, at: datetime.date | None, added: Iterable[Fact],
                   removed: Iterable[Fact], interpretations: Iterable[str] = ()) -> str:
    """The version of a policy with ``content`` (:func:`content_digest`), asked as of ``at``
    with the what-if changes ``added`` and ``removed`` (their order does not matter), adopting
    the ``interpretations`` (a set: adopting none leaves the version as it was without them)."""
    digest = hashlib.sha256(content)
    _field(digest, (at.isoformat() if at is not None else "timeless").encode())
    for sign, facts in ((b"+", added), (b"-", removed)):
        for fact in sorted({_fact_text(f) for f in facts}):
            _field(digest, sign + fact.encode("utf-8"))
    for name in sorted(set(interpretations)):
        _field(digest, b"i" + name.encode("utf-8"))
    return digest.hexdigest()[:16]


def _fact_text(fact: Fact) -> str:
    """A fact as JSON with each value's type: ``1``, ``"1"`` and a date never coincide."""
    predicate, row = fact
    return json.dumps([predicate, [[type(v).__name__, str(v) if not isinstance(v, str) else v] for v in row]])


class _Digest(Protocol):
    """A hash being computed (what :func:`hashlib.sha256` returns)."""

    def update(self, data: bytes, /) -> None: ...


def _field(digest: _Digest, data: bytes) -> None:
    digest.update(len(data).to_bytes(8, "big"))
    digest.update(data)


def _resolved(path: Path) -> Path:
    try:
        return path.resolve()
    except OSError:
        return path.absolute()


def _relative(path: Path, directory: Path, outside: str | None = None) -> str:
    """``path`` relative to the policy ``directory``, as a POSIX path; outside it, ``outside``
    (or the file's name, for a rule file a symbolic link leads out of the directory)."""
    try:
        return _resolved(path).relative_to(directory).as_posix()
    except ValueError:
        return outside if outside is not None else path.name
