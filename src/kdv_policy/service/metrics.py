"""Prometheus metrics of one service: requests, latencies, decisions, reloads, the policy version.

Each application has its own registry (two services in one process do not mix their counts).
With several workers (``serve --workers N``) ``PROMETHEUS_MULTIPROC_DIR`` names a directory
(``serve`` makes a private one for the run unless it is set): prometheus_client then keeps the
counts in files there and ``/metrics`` adds up every worker's.
"""

from __future__ import annotations

import os

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)

LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class Metrics:
    """The service's metrics, registered in their own registry."""

    content_type = CONTENT_TYPE_LATEST

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.multiprocess = bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))
        r = self.registry
        self.requests = Counter(
            "kdv_http_requests",
            "HTTP requests answered, by route, method and status",
            ("route", "method", "status"),
            registry=r,
        )
        self.latency = Histogram(
            "kdv_http_request_duration_seconds",
            "Time to answer a request, by route",
            ("route",),
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.decisions = Counter(
            "kdv_decisions",
            "Decisions made, by API and outcome (allowed, denied, error)",
            ("api", "outcome"),
            registry=r,
        )
        self.reloads = Counter(
            "kdv_policy_reloads", "Policy reloads, by result (ok, rejected)", ("result",), registry=r
        )
        self.version = Gauge(
            "kdv_policy_version_info",
            "The policy version answering (value 1)",
            ("version",),
            registry=r,
            multiprocess_mode="liveall",
        )
        self.audit_waited = Gauge(
            "kdv_audit_queue_full_waits",
            "Decision records that waited for room in the audit log's full queue (none are lost)",
            registry=r,
            multiprocess_mode="livesum",
        )
        self._version_shown: str | None = None

    def show_version(self, version: str) -> None:
        if self._version_shown is not None:
            self.version.labels(self._version_shown).set(0)  # what a worker's file keeps
            self.version.remove(self._version_shown)
        self.version.labels(version).set(1)
        self._version_shown = version

    def process_ended(self) -> None:
        """Drop this worker's live gauges from the shared directory (multiprocess mode)."""
        if self.multiprocess:
            from prometheus_client import multiprocess

            multiprocess.mark_process_dead(os.getpid())

    def render(self) -> bytes:
        if self.multiprocess:
            from prometheus_client import multiprocess

            merged = CollectorRegistry()
            multiprocess.MultiProcessCollector(merged)
            return generate_latest(merged)
        return generate_latest(self.registry)
