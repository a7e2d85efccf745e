"""A reloadable policy for long-running apps: versions, atomic reload, optional polling.

>>> store = PolicyStore("rules")              # doctest: +SKIP
>>> store.current.may("RR", "approve", "Strategie")   # doctest: +SKIP

``store.current`` is always a complete, checked and evaluated Policy. :meth:`PolicyStore.reload`
builds a new one from the files and swaps it in only if it loads, checks and — when the
directory has policy test files (``tests/*.yaml``) — passes them; otherwise the old
policy keeps answering and the failure is raised (``reload()``) or logged on the
``kdv_policy.policy.store`` logger (polling). A Policy is immutable, so a question asked of
``store.current`` is answered wholly by one version, whatever reloads happen meanwhile.
"""

from __future__ import annotations

import datetime
import logging
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, TypedDict

from kdv_policy.errors import PolicyError, PolicyLoadError
from kdv_policy.limits import Limits, QueryLimits, as_limits
from kdv_policy.policy.api import DEFAULT_CACHE_SIZE, Policy
from kdv_policy.policy.loader import bundled_rules, configured_people

if TYPE_CHECKING:
    from kdv_policy.data.sql.watch import ChangeWatcher

STORE_LOGGER = logging.getLogger("kdv_policy.policy.store")

_WATCHED_SUFFIXES = (".dl", ".toml", ".yaml", ".yml")
_STABLE_ATTEMPTS = 3


class PolicyTestsFailed(PolicyError):
    """A reloaded policy loaded and checked, but failed its own policy tests."""


class ReloadFailed(PolicyError):
    """A reload failed with an error that is no PolicyError (kept as its ``__cause__``)."""


def fingerprint(directory: Path, extra: Path | None = None) -> tuple:
    """What a change of the policy's files changes: every watched file's path, size, mtime and inode
    (a file replaced atomically by one of the same size within the file system's clock tick
    differs in its inode)."""
    entries = []
    paths = [directory] + ([extra] if extra is not None else [])
    for root in paths:
        if root.is_file():
            files = [root]
        elif root.is_dir():
            files = [Path(r) / f for r, dirs, fs in os.walk(root)
                     for f in fs if f.endswith(_WATCHED_SUFFIXES) and not f.startswith(".")]
        else:
            files = []
        for f in sorted(files):
            try:
                st = f.stat()
            except OSError:
                continue
            entries.append((str(f), st.st_size, st.st_mtime_ns, st.st_ino))
    return tuple(entries)


def run_policy_tests(policy: Policy, people: Path | None = None, limits: Limits | None = None) -> None:
    """Raise :class:`PolicyTestsFailed` when the policy directory's test files fail."""
    if not any((policy.directory / "tests").glob("*.y*ml")):
        return
    from kdv_policy.authoring.policytests import run_tests

    report = run_tests(policy.directory, people=people, limits=limits)
    if report.failed:
        raise PolicyTestsFailed(f"the policy's tests fail ({report.failed} failed, {report.passed} passed):\n"
                                + report.render())


class _LoadOptions(TypedDict):
    """The keyword arguments of :meth:`Policy.load` a store passes on every load."""

    at: datetime.date | str | None
    people: str | os.PathLike | None
    cache_size: int
    limits: Limits | QueryLimits | None
    verify_key: str | os.PathLike[str] | bytes | None


class PolicyStore:
    """Holds the current version of a policy directory and replaces it only with a good one.

    ``validate`` (default: the directory's policy tests, if it has any) is called with a
    freshly loaded policy and raises to reject it. ``path`` may be a bundle (``*.kdvb``): each
    version is then read from it, and with ``verify_key`` only a bundle that key signed is taken.
    ``poll_interval`` (seconds) starts a daemon thread that reloads when the files change; stop
    it with :meth:`close`.
    """

    def __init__(
        self,
        path: str | os.PathLike | None = None,
        *,
        people: str | os.PathLike | None = None,
        at: datetime.date | str | None = None,
        cache_size: int = DEFAULT_CACHE_SIZE,
        limits: Limits | QueryLimits | None = None,
        validate: Callable[[Policy], None] | None = None,
        poll_interval: float | None = None,
        verify_key: str | os.PathLike[str] | bytes | None = None,
    ) -> None:
        self._path = Path(path) if path is not None else bundled_rules()
        self._watcher = _people_watcher(self._path, people, limits)  # people from a database
        self._people = Path(people) if people is not None and self._watcher is None else None
        self._options = _LoadOptions(at=at, people=people, cache_size=cache_size, limits=limits,
                                     verify_key=verify_key)
        test_limits = as_limits(limits)
        self._validate = validate if validate is not None else (
            lambda p: run_policy_tests(p, self._people, test_limits))
        self._reload_lock = threading.Lock()
        self._stop = threading.Event()
        self._last_error: PolicyError | None = None
        self._current, self._fingerprint = self._build()
        self._seen = self._fingerprint  # the file state the poller last acted on
        self._thread: threading.Thread | None = None
        if poll_interval is not None:
            self._thread = threading.Thread(target=self._poll, args=(poll_interval,),
                                            name="kdv_policy-store-poll", daemon=True)
            self._thread.start()
            if self._watcher is not None:  # PostgreSQL announces changes: reload without waiting
                self._watcher.listen(self._notified, self._stop)

    @property
    def current(self) -> Policy:
        """The policy answering now: always one complete, checked version."""
        return self._current

    @property
    def version(self) -> str:
        return self._current.version

    @property
    def last_error(self) -> PolicyError | None:
        """Why the last reload was rejected (None after a successful one)."""
        return self._last_error

    def reload(self) -> Policy:
        """Load the files again; swap the new policy in if it is good, else raise and keep the old.

        Every failure is recorded in :attr:`last_error` and raised as a :class:`PolicyError`: one
        that is no PolicyError (a bug, or a ``validate`` that raises something else) is raised as
        a :class:`ReloadFailed` naming it, so a caller catching PolicyError keeps its policy."""
        with self._reload_lock:
            try:
                policy, stamp = self._build()
            except PolicyError as err:
                self._last_error = err
                raise
            except Exception as err:
                failed = ReloadFailed(f"reload of `{self._path}` failed: {type(err).__name__}: {err}")
                self._last_error = failed
                raise failed from err
            self._current, self._fingerprint = policy, stamp
            self._last_error = None
            return policy

    def changed(self) -> bool:
        """Whether the files differ from those of the current version."""
        return self._stamp() != self._fingerprint

    def close(self) -> None:
        """Stop polling (if it runs)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        if self._watcher is not None:
            self._watcher.close()

    def __enter__(self) -> PolicyStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _build(self) -> tuple[Policy, tuple]:
        """Load and validate; retry while the files change under us, so one version is one state."""
        for _ in range(_STABLE_ATTEMPTS):
            before = self._stamp()
            policy = Policy.load(self._path, **self._options).materialise()  # ready before it answers
            self._validate(policy)
            if self._stamp() == before:
                return policy, before
        raise PolicyLoadError(f"the files of `{self._path}` kept changing while they were loaded; "
                              "try again when they are written")

    def _stamp(self) -> tuple:
        """The files' fingerprint, and the change counter of a people database."""
        files = fingerprint(self._path, self._people)
        return files if self._watcher is None else (files, self._watcher.counter())

    def _notified(self) -> None:
        """A people database announced a change: reload now if the data differ."""
        try:
            if self.changed():
                policy = self.reload()
                self._seen = self._fingerprint
                STORE_LOGGER.info("reloaded %s for new people data: version %s", self._path, policy.version)
        except PolicyError as err:
            STORE_LOGGER.error("reload of %s rejected; version %s keeps answering:\n%s",
                               self._path, self._current.version, err.render())

    def _poll(self, interval: float) -> None:
        settling = None  # a changed state seen once: reloaded when the next poll sees it unchanged
        while not self._stop.wait(interval):
            try:
                now = self._stamp()
                if now == self._seen:
                    settling = None
                    continue
                if now != settling:  # still being written (an editor writing in place): wait a poll
                    settling = now
                    continue
                self._seen = now  # a bad state is reported once, and retried when the files change again
                policy = self.reload()
            except PolicyError as err:
                STORE_LOGGER.error("reload of %s rejected; version %s keeps answering:\n%s",
                                   self._path, self._current.version, err.render())
            except Exception:  # never let the poller die silently
                STORE_LOGGER.exception("reload of %s failed unexpectedly", self._path)
            else:
                STORE_LOGGER.info("reloaded %s: version %s", self._path, policy.version)


def _people_watcher(path: Path, people: str | os.PathLike | None, limits: Limits | QueryLimits | None
                    ) -> ChangeWatcher | None:
    """A watcher of the people database the store reads (``people=URL``, or ``[people]`` of
    ``policy.toml``), or None when the people come from a file."""
    from kdv_policy.data.sql import is_url

    location = os.fspath(people) if people is not None else None
    if location is None and path.is_dir():
        location = configured_people(path, as_limits(limits))
    if location is None or not is_url(location):
        return None
    from kdv_policy.data.sql.watch import ChangeWatcher

    return ChangeWatcher(location)
