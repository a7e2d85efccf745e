"""A real decision service for tests: ``python -m kdv_policy serve`` in a subprocess on a free port
of 127.0.0.1, asked with a real HTTP client (httpx)."""

from __future__ import annotations

import os
import signal
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]


def self_signed(directory: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and its key, made with the openssl command."""
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-days",
            "2",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """A running ``serve`` process; ``client`` asks it, ``stop`` ends it (by its pid)."""

    def __init__(
        self,
        *args: str,
        workdir: Path,
        token: str | None = None,
        ready_timeout: float = 90.0,
        env: dict[str, str] | None = None,
        tls: tuple[Path, Path] | None = None,
    ) -> None:
        self.port = free_port()
        self.url = f"{'https' if tls else 'http'}://127.0.0.1:{self.port}"
        self.verify: ssl.SSLContext | bool = True
        if tls is not None:
            args = (*args, "--ssl-certfile", str(tls[0]), "--ssl-keyfile", str(tls[1]))
            self.verify = ssl.create_default_context(cafile=str(tls[0]))
        self.audit_path = workdir / f"audit-{self.port}.jsonl"
        self.log_path = workdir / f"server-{self.port}.log"
        command = [
            sys.executable,
            "-m",
            "kdv_policy",
            "serve",
            *args,
            "--port",
            str(self.port),
            "--audit-log",
            str(self.audit_path),
            "--no-access-log",
        ]
        self._log = open(self.log_path, "wb")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            command, cwd=ROOT, stdout=self._log, stderr=subprocess.STDOUT, env={**os.environ, **(env or {})}
        )
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.client = httpx.Client(base_url=self.url, headers=headers, timeout=30.0, verify=self.verify)
        deadline = time.monotonic() + ready_timeout
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server ended with {self.process.returncode}:\n{self.log()}")
            try:
                if httpx.get(self.url + "/health", timeout=2.0, verify=self.verify).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"the server did not get ready:\n{self.log()}")
            time.sleep(0.1)

    def log(self) -> str:
        self._log.flush()
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def audit(self, settle: float = 0.3) -> list[dict]:
        """The audit log's records, once its writer thread has written what it was handed (the
        file has stopped growing for ``settle`` seconds)."""
        import json

        size, deadline = -1, time.monotonic() + 10
        while time.monotonic() < deadline:
            now = self.audit_path.stat().st_size if self.audit_path.exists() else 0
            if now == size:
                break
            size = now
            time.sleep(settle)
        if not self.audit_path.exists():
            return []
        return [json.loads(line) for line in self.audit_path.read_text(encoding="utf-8").splitlines() if line]

    def post(self, path: str, body: object, **kwargs: object) -> httpx.Response:
        return self.client.post(path, json=body, **kwargs)  # type: ignore[arg-type]

    def stop(self) -> None:
        self.client.close()
        if self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.kill(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self._log.close()

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def wait_for_version(server: Server, wanted: Callable[[str], bool], timeout: float = 60.0) -> str:
    """The version ``/ready`` reports once ``wanted`` accepts it (a reload has happened)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        version = server.client.get("/ready").json()["version"]
        if wanted(version):
            return version
        time.sleep(0.1)
    raise AssertionError(f"no new version within {timeout} s:\n{server.log()[-2000:]}")
