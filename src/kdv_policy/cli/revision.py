"""A policy directory as it was at a git revision (``diff git:REV NEW``), in a temporary copy.

A revision never reaches git as an option: one that starts with ``-`` is refused, the rest is
verified as a commit (``git rev-parse --verify --end-of-options REV^{commit}``) and only the
commit id it names is passed on, with ``--`` before the path. The archive of that commit holds
only what a policy directory holds — folders and regular files with plain relative names —
or nothing is extracted at all: a symbolic or hard link, a device, an absolute name or a
``..`` is refused with a :class:`~kdv_policy.errors.PolicyLoadError`.
"""

from __future__ import annotations

import contextlib
import subprocess
import tarfile
import tempfile
from pathlib import Path, PurePosixPath
from typing import IO

from kdv_policy.errors import PolicyLoadError

PREFIX = "git:"


def _git(*args: str, cwd: Path, stdout: int | IO[bytes] = subprocess.PIPE) -> str:
    """Run git; its stdout as text (when piped); a failure raises CalledProcessError or OSError."""
    done = subprocess.run(["git", "-C", str(cwd), *args], stdout=stdout, stderr=subprocess.PIPE,
                          stdin=subprocess.DEVNULL, check=True)
    return done.stdout.decode("utf-8", "replace").strip() if done.stdout is not None else ""


def _member_problem(member: tarfile.TarInfo) -> str | None:
    """Why an archive member cannot be part of a policy directory, or None when it can."""
    name = PurePosixPath(member.name)
    if name.is_absolute() or ".." in name.parts or "\\" in member.name or "\0" in member.name:
        return f"`{member.name}` is not a plain relative path"
    if member.issym() or member.islnk():
        return f"`{member.name}` is a link (to `{member.linkname}`)"
    if not (member.isfile() or member.isdir()):
        return f"`{member.name}` is not a regular file or a folder"
    return None


def _extract(archive: Path, target: Path, rev: str) -> None:
    """Extract ``archive`` into ``target`` after checking every member; refuse it whole otherwise."""
    try:
        with tarfile.open(archive) as tar:
            members = tar.getmembers()
            for member in members:
                problem = _member_problem(member)
                if problem:
                    raise PolicyLoadError(
                        f"the policy at git revision `{rev}` cannot be read: {problem}; a policy directory "
                        "holds only folders and regular files")
            if hasattr(tarfile, "data_filter"):  # a second guard where the standard library has one
                tar.extractall(target, members, filter="data")
            else:  # pragma: no cover - older patch releases; every member was checked above
                tar.extractall(target, members)
    except (tarfile.TarError, OSError) as err:
        raise PolicyLoadError(f"the policy at git revision `{rev}` cannot be extracted: {err}") from None


def checkout(old: str, new: str, stack: contextlib.ExitStack) -> str:
    """``git:REV`` → the policy directory ``new`` as it was at revision REV, in a temporary copy
    removed when ``stack`` closes; any other ``old`` is returned unchanged."""
    if not old.startswith(PREFIX):
        return old
    rev = old[len(PREFIX):]
    if not rev or rev.startswith("-") or any(c in rev for c in "\0\n\r"):
        raise PolicyLoadError(f"`{old}` does not name a git revision: write e.g. `git:HEAD~1` or `git:main`")
    directory = Path(new).resolve()
    try:
        top = Path(_git("rev-parse", "--show-toplevel", cwd=directory)).resolve()
        relative = directory.relative_to(top).as_posix()
        commit = _git("rev-parse", "--verify", "--quiet", "--end-of-options", f"{rev}^{{commit}}", cwd=top)
    except subprocess.CalledProcessError as err:
        detail = (err.stderr or b"").decode("utf-8", "replace").strip() or "no such commit"
        raise PolicyLoadError(f"cannot read `{new}` at git revision `{rev}`: {detail}") from None
    except (OSError, ValueError) as err:
        raise PolicyLoadError(f"cannot read `{new}` at git revision `{rev}`: {err}") from None
    target = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="kdv-diff-")))
    archive = target / "revision.tar"
    try:
        with open(archive, "wb") as out:
            _git("archive", "--format=tar", commit, "--", relative, cwd=top, stdout=out)
    except subprocess.CalledProcessError as err:
        detail = (err.stderr or b"").decode("utf-8", "replace").strip()
        raise PolicyLoadError(f"cannot read `{new}` at git revision `{rev}`: {detail}") from None
    except OSError as err:
        raise PolicyLoadError(f"cannot read `{new}` at git revision `{rev}`: {err.strerror or err}") from None
    tree = target / "tree"
    tree.mkdir()
    _extract(archive, tree, rev)
    archive.unlink()
    return str(tree / relative)
