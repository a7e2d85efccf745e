"""Reading policy files: regular files only, size-limited, UTF-8 only, every failure a
PolicyLoadError naming the file.

A FIFO, a device or a directory where a policy file belongs is refused before it is opened
(opening a FIFO would block, reading ``/dev/zero`` would never end), and the file is opened so
that it cannot block even if it is swapped for a FIFO between the check and the open. A file
larger than its limit (:class:`~kdv_policy.limits.Limits`) is refused before it is read.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from kdv_policy.errors import Diagnostic, PolicyLoadError, Severity
from kdv_policy.limits import DEFAULT_LIMITS, MiB

MAX_FILE_BYTES = DEFAULT_LIMITS.max_rule_file_bytes
"""The largest rule file read by default (``Limits.max_rule_file_bytes``)."""


def display_path(path: Path) -> str:
    """A path as diagnostics show it: relative to the working directory when inside it."""
    absolute = path.resolve()
    try:
        return absolute.relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return str(absolute)


def raise_limit_help(name: str) -> str:
    """How a user raises the limit ``name`` (a field of :class:`~kdv_policy.limits.Limits`)."""
    return f"raise it with `Limits({name}=...)` in Python or `--limit {name}=...` on the command line"


def file_error(code: str, message: str, help: str | None = None) -> PolicyLoadError:
    """A PolicyLoadError with one diagnostic (no source excerpt: the file's content is never shown)."""
    text = f"{message}; {help}" if help else message
    return PolicyLoadError(text, (Diagnostic(code, Severity.ERROR, message, None, help),))


_OPEN_FLAGS = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NOCTTY", 0)


def _unreadable(display: str, what: str, err: OSError) -> PolicyLoadError:
    return file_error("file-unreadable", f"cannot read {what} `{display}`: {err.strerror or err}")


def _size(count: int) -> str:
    if count >= MiB:
        return f"{count / MiB:.1f} MiB"
    return f"{count:,} bytes"


def _limit(count: int) -> str:
    return f"{count // MiB} MiB" if count % MiB == 0 else f"{count:,} bytes"


def regular_file_status(path: Path, display: str, what: str) -> os.stat_result:
    """The status of ``path`` (symlinks followed) if it is a regular file; else PolicyLoadError:
    "does not exist", or "is not a regular file" for a FIFO, a device, a socket or a directory."""
    try:
        status = os.stat(path)
    except FileNotFoundError:
        raise file_error("file-missing", f"{what} `{display}` does not exist") from None
    except OSError as err:
        raise _unreadable(display, what, err) from None
    if not stat.S_ISREG(status.st_mode):
        raise not_regular(display, what, status.st_mode)
    return status


def check_inside(path: Path, root: Path, display: str, what: str) -> None:
    """Refuse a file of a policy directory that is a symbolic link leading out of it: a policy's
    own files never make another file's content appear in an error."""
    try:
        outside = not path.resolve().is_relative_to(root.resolve())
    except (OSError, RuntimeError):  # a symlink loop: opening it reports it
        return
    if outside:
        try:  # the link's own path: display_path would show where it leads
            display = path.absolute().relative_to(Path.cwd()).as_posix()
        except ValueError:
            display = str(path.absolute())
        raise file_error("file-outside", f"{what} `{display}` is a symbolic link to a file outside the "
                         f"policy directory `{display_path(root)}`",
                         "copy the file into the policy directory instead of linking to it")


def not_regular(display: str, what: str, mode: int) -> PolicyLoadError:
    """The error for a path that is something else than a regular file."""
    kind = ("a directory" if stat.S_ISDIR(mode) else "a FIFO (named pipe)" if stat.S_ISFIFO(mode)
            else "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode)
            else "a socket" if stat.S_ISSOCK(mode) else "not a regular file")
    return file_error("file-not-regular", f"{what} `{display}` is {kind}, not a regular file",
                      "a policy reads only regular files; replace it by a regular file or remove it")


def read_bytes(path: Path, display: str, *, limit: int = MAX_FILE_BYTES,
               limit_name: str = "max_rule_file_bytes", what: str = "rule file",
               advice: str | None = None) -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes (the limit ``limit_name``);
    ``advice`` is what the user can do besides raising the limit (e.g. split the file)."""
    regular_file_status(path, display, what)
    try:
        # O_NONBLOCK: a FIFO put in place after the check must not block the open
        fd = os.open(path, _OPEN_FLAGS)
    except OSError as err:
        raise _unreadable(display, what, err) from None
    try:
        status = os.fstat(fd)
        if not stat.S_ISREG(status.st_mode):
            raise not_regular(display, what, status.st_mode)
        if status.st_size > limit:
            raise _too_large(display, status.st_size, limit, limit_name, what, advice)
        chunks, total = [], 0
        while True:  # read at most one byte past the limit: a file growing meanwhile stays bounded
            chunk = os.read(fd, min(1 << 20, limit + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
            if total > limit:
                raise _too_large(display, total, limit, limit_name, what, advice)
        return b"".join(chunks)
    except OSError as err:
        raise _unreadable(display, what, err) from None
    finally:
        os.close(fd)


def _too_large(display: str, size: int, limit: int, limit_name: str, what: str,
               advice: str | None) -> PolicyLoadError:
    help = raise_limit_help(limit_name)
    if advice:
        help = f"{advice}, or {help}"
    return file_error("file-too-large", f"`{display}` has {_size(size)}, more than the limit of "
                      f"{_limit(limit)} for one {what} (`{limit_name}`)", help)


def read_text(path: Path, display: str, *, limit: int = MAX_FILE_BYTES,
              limit_name: str = "max_rule_file_bytes", what: str = "rule file",
              advice: str | None = "split the rules into several `*.dl` files") -> str:
    """The text of a policy file (see :func:`read_bytes`); non-UTF-8 files raise PolicyLoadError."""
    data = read_bytes(path, display, limit=limit, limit_name=limit_name, what=what, advice=advice)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        line = data[: err.start].count(b"\n") + 1
        raise PolicyLoadError(f"{display}:{line}: error: the file is not valid UTF-8 "
                              f"(byte 0x{data[err.start]:02x} at offset {err.start}) [encoding]") from None


def write_atomic(path: Path, text: str | bytes) -> None:
    """Replace the file ``path`` with ``text`` (a string: as UTF-8) all at once, or not at all.

    The text goes to a temporary file in the same directory, is flushed to disk, takes the
    original's permission bits (a new file: ``0644``) and then replaces the original in one
    rename; a symbolic link is followed, so the file it points to is replaced. On any failure
    (a full disk, a file-size limit, a read-only directory) the temporary file is removed,
    the original is left as it was, and :class:`PolicyLoadError` says what went wrong.
    """
    import contextlib
    import os
    import tempfile

    display = display_path(path)
    target = Path(os.path.realpath(path))
    temporary: str | None = None
    try:
        mode = target.stat().st_mode & 0o7777 if target.exists() else 0o644
        fd, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
        with os.fdopen(fd, "wb") as out:
            out.write(text.encode("utf-8") if isinstance(text, str) else text)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, target)
        temporary = None
    except OSError as err:
        reason = err.strerror or str(err)
        raise PolicyLoadError(f"cannot write `{display}`: {reason}; the file is unchanged") from None
    finally:
        if temporary is not None:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
