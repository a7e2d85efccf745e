"""The service's settings: one frozen dataclass, passed to every worker process as JSON."""

from __future__ import annotations

import dataclasses
import json
import os
from dataclasses import dataclass, field
from typing import Any

from kdv_policy.errors import ArgumentError
from kdv_policy.limits import Limits, QueryLimits

ENVIRONMENT_VARIABLE = "KDV_POLICY_SERVICE_CONFIG"
"""Where ``serve --workers N`` leaves the settings for the worker processes it starts."""

MiB = 1024 * 1024


@dataclass(frozen=True)
class ServiceConfig:
    """Everything a running service needs to know; every bound on a request is here."""

    policy: str | None = None
    """The policy directory or compiled bundle (None: the bundled policy)."""
    people: str | None = None
    """A people file (persons and the roles they hold)."""
    limits: dict[str, int] = field(default_factory=dict)
    """``Limits`` settings (``--limit NAME=VALUE``)."""
    query_limits: dict[str, int] = field(default_factory=dict)
    """``QueryLimits`` settings for ad-hoc Datalog queries (``--query-limit NAME=VALUE``)."""
    token_file: str | None = None
    """A file holding the bearer token every request but ``/health`` and ``/ready`` must carry (None:
    no token). Each worker reads the file itself, so the token never travels in the environment."""
    cors_origins: tuple[str, ...] = ()
    """Origins allowed to call from a browser (none: CORS off)."""
    max_body_bytes: int = 1 * MiB
    """The largest request body read."""
    timeout: float = 10.0
    """Seconds a request may take to send its body, or to be answered by work run off the event loop."""
    poll_interval: float = 2.0
    """Seconds between checks for changed policy files (0: never reload)."""
    audit_log: str | None = "-"
    """Where decisions are logged as JSON lines: a file, ``-`` for standard output, None for nowhere."""
    max_batch: int = 1000
    """The most evaluations one Access Evaluations request may hold."""
    max_page: int = 1000
    """The most results one search response holds (a smaller ``page.limit`` gives fewer)."""
    public_url: str | None = None
    """The base URL the metadata names (``policy_decision_point``); None: the URL a request used."""
    cache_size: int = 65536
    """Decisions remembered per policy version (AuthZEN evaluations keyed by what was asked)."""
    derived_policies: int = 16
    """Policies as of a date or with other interpretations kept per version."""
    verify_key: str | None = None
    """An Ed25519 public key (PEM): the policy must be a bundle it signed, and so must every
    version it is reloaded to."""

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self))

    @classmethod
    def from_json(cls, text: str) -> ServiceConfig:
        data: Any = json.loads(text)
        if not isinstance(data, dict):
            raise ArgumentError("the service settings are no JSON object")
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ArgumentError(f"unknown service setting `{unknown[0]}`")
        data["cors_origins"] = tuple(data.get("cors_origins", ()))
        return cls(**data)

    def policy_limits(self) -> Limits:
        """The ``Limits`` of the policy: ``limits`` with ``query_limits`` as its query bounds."""
        return dataclasses.replace(Limits().replace(**self.limits), query=QueryLimits(**self.query_limits))

    @classmethod
    def from_environment(cls) -> ServiceConfig:
        text = os.environ.get(ENVIRONMENT_VARIABLE)
        return cls() if text is None else cls.from_json(text)
