"""The HTTP load benchmark: the decision service against the floor of its own stack.

Real server processes on 127.0.0.1, all uvicorn with Starlette (and uvicorn's httptools parser
and uvloop event loop, which it picks when they are installed), and a real HTTP client (httpx
with asyncio, one connection per concurrent client):

* the **floor**: a minimal Starlette endpoint that reads the JSON body and answers from a dict
  lookup (one lookup per evaluation of a batch) — what the framework and the server cost;
* the **service**: ``python -m kdv_policy serve rules`` as shipped (audit log on, to standard
  output; access log off, as in the floor), asked the canton's AuthZEN questions;
* **service-no-audit**: the same with ``--audit-log off`` (what one JSON line per decision costs).

For each workload (one Access Evaluation per request; an Access Evaluations batch of 10) and
each number of concurrent clients (1, 8, 64) the client sends requests for a fixed time after
a warm-up and reports throughput (requests/s), p50 and p99 latency and errors (a status other
than 200 or a decision other than the expected one). The target: the service's throughput at
least 2/3 of the floor's, 0 errors. Client and servers share the machine; the ratio is what
the benchmark claims, not the absolute numbers.

    python -m benchmarks.http                 # the table of docs/performance.md
    python -m benchmarks.http --seconds 1     # quicker
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import signal
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
CONCURRENCY = (1, 8, 64)
TARGET = 2 / 3

QUESTIONS = [  # (subject type, subject, action, resource, expected decision)
    ("body", "Regierungsrat", "approve", "Strategie", True),
    ("body", "Steuerungsausschuss", "approve", "Strategie", False),
    ("body", "Steuerungsausschuss", "define", "Strategie", True),
    ("body", "Kompetenzzentrum", "prepare", "Schwerpunktplanung", False),
    ("body", "Regierungsrat", "genehmigen", "Budget", True),
    ("body", "Planungsausschuss", "approve", "Budget", False),
]


def evaluation(q: tuple[str, str, str, str, bool]) -> dict[str, Any]:
    return {
        "subject": {"type": q[0], "id": q[1]},
        "action": {"name": q[2]},
        "resource": {"type": "object", "id": q[3]},
    }


BATCH = {"evaluations": [evaluation(QUESTIONS[i % len(QUESTIONS)]) for i in range(10)]}
BATCH_EXPECTED = [QUESTIONS[i % len(QUESTIONS)][4] for i in range(10)]


# -- the floor: the same stack, a dict lookup ----------------------------------------------------------


def floor_app() -> Any:
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    table = {(q[1], q[2], q[3]): q[4] for q in QUESTIONS}

    def decide(item: dict[str, Any]) -> dict[str, Any]:
        return {
            "decision": table.get(
                (item["subject"]["id"], item["action"]["name"], item["resource"]["id"]), False
            )
        }

    async def one(request: Request) -> JSONResponse:
        return JSONResponse(decide(await request.json()))

    async def many(request: Request) -> JSONResponse:
        body = await request.json()
        return JSONResponse({"evaluations": [decide(item) for item in body["evaluations"]]})

    return Starlette(
        routes=[
            Route("/access/v1/evaluation", one, methods=["POST"]),
            Route("/access/v1/evaluations", many, methods=["POST"]),
            Route("/health", lambda request: JSONResponse({"status": "ok"})),
        ]
    )


def serve_floor(port: int) -> None:
    import uvicorn

    uvicorn.run(floor_app(), host="127.0.0.1", port=port, access_log=False, log_level="warning")


# -- servers and the client --------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


SYSTEMS = ("floor", "service", "service-no-audit")


def start(kind: str) -> tuple[subprocess.Popen, str]:
    port = free_port()
    if kind == "floor":
        command = [sys.executable, "-m", "benchmarks.http", "--floor-server", str(port)]
    else:
        command = [
            sys.executable,
            "-m",
            "kdv_policy",
            "serve",
            "rules",
            "--port",
            str(port),
            "--poll",
            "0",
            "--no-access-log",
            "--log-level",
            "warning",
        ]
        if kind == "service-no-audit":
            command += ["--audit-log", "off"]
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    import httpx

    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the {kind} server ended with {process.returncode}")
        try:
            if httpx.get(url + "/health", timeout=1).status_code == 200:
                return process, url
        except httpx.TransportError:
            time.sleep(0.1)
    stop(process)
    raise RuntimeError(f"the {kind} server did not get ready")


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.kill(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.kill(process.pid, signal.SIGKILL)
            process.wait()


async def load(url: str, workload: str, clients: int, seconds: float, warmup: float) -> dict[str, Any]:
    """``clients`` concurrent clients, each with its own connection, each sending one request after
    the other."""
    import httpx

    path = "/access/v1/evaluation" if workload == "evaluation" else "/access/v1/evaluations"
    bodies = (
        [json.dumps(evaluation(q)).encode() for q in QUESTIONS]
        if workload == "evaluation"
        else [json.dumps(BATCH).encode()]
    )
    expected = [[q[4]] for q in QUESTIONS] if workload == "evaluation" else [BATCH_EXPECTED]
    headers = {"Content-Type": "application/json"}
    latencies: list[float] = []
    errors = 0
    measuring = False
    stop_at = float("inf")

    async def client(n: int) -> None:
        nonlocal errors
        i = n
        http = httpx.AsyncClient(base_url=url, limits=httpx.Limits(max_connections=1), timeout=30)
        await http.__aenter__()
        while time.perf_counter() < stop_at:
            body, wanted = bodies[i % len(bodies)], expected[i % len(bodies)]
            i += 1
            started = time.perf_counter()
            try:
                response = await http.post(path, content=body, headers=headers)
                data = response.json()
                got = (
                    [data["decision"]] if "decision" in data else [e["decision"] for e in data["evaluations"]]
                )
                ok = response.status_code == 200 and got == wanted
            except (httpx.HTTPError, ValueError, KeyError):
                ok = False
            if measuring:
                latencies.append(time.perf_counter() - started)
                errors += not ok
        await http.aclose()

    stop_at = time.perf_counter() + warmup + seconds + 3600
    tasks = [asyncio.create_task(client(n)) for n in range(clients)]
    await asyncio.sleep(warmup)
    measuring, began = True, time.perf_counter()
    await asyncio.sleep(seconds)
    measuring, elapsed = False, time.perf_counter() - began
    stop_at = 0.0
    await asyncio.gather(*tasks)
    latencies.sort()
    count = len(latencies)
    return {
        "workload": workload,
        "clients": clients,
        "requests": count,
        "errors": errors,
        "throughput": count / elapsed,
        "p50_ms": 1000 * statistics.median(latencies) if latencies else None,
        "p99_ms": 1000 * latencies[min(count - 1, int(count * 0.99))] if latencies else None,
    }


def run(seconds: float, warmup: float, rounds: int) -> list[dict[str, Any]]:
    """Both servers at once; each cell measured ``rounds`` times, floor and service in turn (so a
    burst of load from elsewhere on the machine weighs on both), the best round of each kept."""
    check_expectations()
    servers = {kind: start(kind) for kind in SYSTEMS}
    rows: list[dict[str, Any]] = []
    try:
        for workload in ("evaluation", "batch"):
            for clients in CONCURRENCY:
                best: dict[str, dict[str, Any]] = {}
                errors = dict.fromkeys(servers, 0)
                for _ in range(rounds):
                    for kind, (_process, url) in servers.items():
                        result = asyncio.run(load(url, workload, clients, seconds, warmup))
                        result["system"] = kind
                        errors[kind] += result["errors"]
                        if kind not in best or result["throughput"] > best[kind]["throughput"]:
                            best[kind] = result
                for kind, result in best.items():
                    result["errors"] = errors[kind]  # every round's, not only the best's
                    rows.append(result)
                    print(
                        f"{kind:8} {workload:10} {clients:3} clients: {result['throughput']:8.0f} req/s, "
                        f"p50 {result['p50_ms']:.2f} ms, p99 {result['p99_ms']:.2f} ms, "
                        f"{result['errors']} errors",
                        file=sys.stderr,
                        flush=True,
                    )
    finally:
        for process, _url in servers.values():
            stop(process)
    return rows


def check_expectations() -> None:
    """The decisions the client expects are the policy's (so the benchmark cannot rot)."""
    from kdv_policy import Policy

    policy = Policy.load(ROOT / "rules")
    for q in QUESTIONS:
        assert policy.may(q[1], q[2], q[3]).allowed is q[4], q


def table(rows: list[dict[str, Any]]) -> str:
    floor = {(r["workload"], r["clients"]): r for r in rows if r["system"] == "floor"}
    lines = [
        "| workload | clients | system | req/s | of the floor | p50 ms | p99 ms | errors |",
        "|---|---:|---|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        f = floor[(r["workload"], r["clients"])]
        ratio = r["throughput"] / f["throughput"]
        mark = "" if r["system"] == "floor" else f"{ratio:.2f}" + ("" if ratio >= TARGET else " (below 2/3)")
        lines.append(
            f"| {r['workload']} | {r['clients']} | {r['system']} | {r['throughput']:,.0f} | {mark} | "
            f"{r['p50_ms']:.2f} | {r['p99_ms']:.2f} | {r['errors']} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.http", description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="measured seconds per cell (default 3)")
    parser.add_argument("--warmup", type=float, default=0.5, help="seconds of warm-up per cell (default 0.5)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds per cell, the best kept (default 3)")
    parser.add_argument("--json", metavar="FILE", help="also write the rows as JSON")
    parser.add_argument("--floor-server", type=int, metavar="PORT", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.floor_server is not None:
        serve_floor(args.floor_server)
        return 0
    rows = run(args.seconds, args.warmup, args.rounds)
    print(
        f"python {platform.python_version()}, {os.cpu_count()} cores, "
        f"{args.seconds:g} s per cell, best of {args.rounds}\n"
    )
    print(table(rows))
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=2) + "\n", encoding="utf-8")
    service = [r for r in rows if r["system"] != "floor"]
    floor = {(r["workload"], r["clients"]): r["throughput"] for r in rows if r["system"] == "floor"}
    below = [r for r in service if r["throughput"] < TARGET * floor[(r["workload"], r["clients"])]]
    return 1 if below or any(r["errors"] for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
