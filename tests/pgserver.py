"""A throw-away PostgreSQL server for the tests: a cluster made with ``initdb`` in a temporary
directory, listening on 127.0.0.1 on a free port, stopped (and its directory removed) at the
end of the session.

The server binaries are Debian's (``/usr/lib/postgresql/*/bin``; ``.ci/run`` installs the
``postgresql`` package when they are missing). ``initdb`` refuses to run as root, so when the
tests run as root the cluster belongs to an unprivileged user (``postgres`` when the system
has one, else ``nobody``) and the server programs run as that user through ``runuser``.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path


def server_binaries() -> Path | None:
    """The directory of ``initdb`` and ``pg_ctl`` (the newest installed version), or None."""
    def version(path: str) -> int:
        name = Path(path).parent.parent.name
        return int(name) if name.isdigit() else 0

    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=version)
    if found:
        return Path(found[-1]).parent
    on_path = shutil.which("initdb")
    return Path(on_path).parent if on_path else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PostgresServer:
    """One cluster: :meth:`start`, :meth:`stop` (and start again: the data stays), :meth:`remove`.

    :attr:`url` is the SQLAlchemy URL of its ``postgres`` database (trust authentication, for
    the tests only); :meth:`create_database` makes a fresh database and returns its URL.
    """

    def __init__(self) -> None:
        binaries = server_binaries()
        if binaries is None:
            raise RuntimeError("PostgreSQL's server programs (initdb, pg_ctl) are not installed; "
                               "install Debian's `postgresql` package (`.ci/run` does)")
        self.bin = binaries
        self.user: str | None = None
        if os.geteuid() == 0:
            self.user = "postgres" if _has_user("postgres") else "nobody"
        self.root = Path(tempfile.mkdtemp(prefix="kdv-pg-"))
        self.data = self.root / "data"
        self.sockets = self.root / "sockets"
        self.sockets.mkdir()
        self.log = self.root / "server.log"
        if self.user is not None:
            entry = pwd.getpwnam(self.user)
            for path in (self.root, self.sockets):
                os.chown(path, entry.pw_uid, entry.pw_gid)
        os.chmod(self.root, 0o755)
        self.port = _free_port()
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "-E", "UTF8",
                  "--locale=C", "--no-sync")
        self._databases = 0

    @property
    def url(self) -> str:
        return self.database_url("postgres")

    def database_url(self, name: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{name}"

    def _command(self, program: str, *args: str) -> list[str]:
        command = [str(self.bin / program), *args]
        if self.user is not None:
            command = ["runuser", "-u", self.user, "--", *command]
        return command

    def _run(self, program: str, *args: str) -> None:
        result = subprocess.run(self._command(program, *args), capture_output=True, text=True,
                                timeout=120, check=False, cwd=self.root)
        if result.returncode != 0:
            log = self.log.read_text(errors="replace") if self.log.exists() else ""
            raise RuntimeError(f"{program} failed ({result.returncode}): "
                               f"{result.stderr}{result.stdout}\n{log}")

    def start(self) -> None:
        options = f"-p {self.port} -k {self.sockets} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", options, "-w", "-t", "60",
                  "start")
        self._wait_ready()

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "-t", "60", "stop")

    def running(self) -> bool:
        result = subprocess.run(self._command("pg_ctl", "-D", str(self.data), "status"),
                                capture_output=True, timeout=30, check=False, cwd=self.root)
        return result.returncode == 0

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port), timeout=1):
                return
            time.sleep(0.1)
        raise RuntimeError(f"the PostgreSQL server did not listen on port {self.port}")

    def create_database(self, prefix: str = "kdv") -> str:
        """A new, empty database; its URL."""
        import psycopg

        self._databases += 1
        name = f"{prefix}_{os.getpid()}_{self._databases}"
        with psycopg.connect(f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres",
                             autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
        return self.database_url(name)

    def remove(self) -> None:
        with contextlib.suppress(Exception):
            if self.running():
                self.stop()
        shutil.rmtree(self.root, ignore_errors=True)


def _has_user(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


def new_database(kind: str, tmp_path: Path, request: object) -> str:
    """An empty database of ``kind`` (``sqlite``: a file under ``tmp_path``; ``postgresql``: a new
    database of the session's server, the ``postgres_server`` fixture), its URL."""
    if kind == "sqlite":
        return f"sqlite:///{tmp_path}/kdv-{len(list(tmp_path.glob('kdv-*.db')))}.db"
    server = request.getfixturevalue("postgres_server")  # type: ignore[attr-defined]
    return server.create_database()
