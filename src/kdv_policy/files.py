"""Reading policy files: size-limited, UTF-8 only, every failure a PolicyLoadError naming the file."""

from __future__ import annotations

from pathlib import Path

from kdv_policy.errors import PolicyLoadError

MAX_FILE_BYTES = 8 * 1024 * 1024
"""The largest rule or data file read (8 MiB): a larger one is refused before it is read."""


def display_path(path: Path) -> str:
    """A path as diagnostics show it: relative to the working directory when inside it."""
    absolute = path.resolve()
    try:
        return absolute.relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return str(absolute)


def read_text(path: Path, display: str) -> str:
    """The text of a policy file; unreadable, oversized or non-UTF-8 files raise PolicyLoadError."""
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise PolicyLoadError(f"`{display}` has {size / 2**20:.1f} MiB, more than the limit of "
                                  f"{MAX_FILE_BYTES // 2**20} MiB for one policy file; split it")
        data = path.read_bytes()
    except OSError as err:
        raise PolicyLoadError(f"cannot read `{display}`: {err.strerror or err}") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        line = data[: err.start].count(b"\n") + 1
        raise PolicyLoadError(f"{display}:{line}: error: the file is not valid UTF-8 "
                              f"(byte 0x{data[err.start]:02x} at offset {err.start}) [encoding]") from None


def write_atomic(path: Path, text: str) -> None:
    """Replace the file ``path`` with ``text`` (UTF-8) all at once, or not at all.

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
            out.write(text.encode("utf-8"))
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
