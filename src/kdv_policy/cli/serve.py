"""The ``serve`` command: the HTTP decision point (AuthZEN 1.0 and native endpoints) over a policy.

The service's packages (Starlette, uvicorn, prometheus_client) are imported only when the
command runs. The policy is loaded (and its tests run) before the server starts, so a policy
that does not load ends the command with status 2 and its errors, not a server that never
gets ready. With ``--workers N`` each worker process loads it again from the settings this
command leaves in the environment.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator

from kdv_policy.cli.loading import add_limit_option, announce, locate
from kdv_policy.cli.output import EXIT_BAD_INPUT, EXIT_OK, PROG, error, policy_error
from kdv_policy.errors import PolicyError
from kdv_policy.limits import QueryLimits


def _positive(kind: type[int] | type[float]) -> object:
    def read(text: str) -> int | float:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"`{text}` is no number") from None
        if value <= 0:
            raise argparse.ArgumentTypeError(f"`{text}` must be greater than 0")
        return value

    return read


def _query_limit(text: str) -> tuple[str, int]:
    name, sep, value = text.partition("=")
    names = [f.name for f in dataclasses.fields(QueryLimits)]
    if not sep or name.strip() not in names:
        raise argparse.ArgumentTypeError(f"`{text}` is not NAME=VALUE with NAME one of {', '.join(names)}")
    digits = value.strip().replace("_", "")
    if not (digits.isascii() and digits.isdigit()) or len(digits) > 18 or int(digits) <= 0:
        raise argparse.ArgumentTypeError(
            f"query limit `{name}` must be a positive whole number, not `{value}`"
        )
    return name.strip(), int(digits)


def add_serve_command(sub: argparse._SubParsersAction, default_policy: str) -> None:
    """Register ``serve`` on the command line's subparsers."""
    serve = sub.add_parser(
        "serve",
        help="run the HTTP decision service (AuthZEN 1.0 and native endpoints)",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description=(
            "Serve a policy over HTTP: the AuthZEN Authorization API 1.0 (/access/v1/evaluation,\n"
            "/access/v1/evaluations, /access/v1/search/*, /.well-known/authzen-configuration), the\n"
            "native questions under /v1/, /health, /ready, /metrics and /openapi.json. The policy is\n"
            "reloaded when its files change; a version that does not load or fails its tests is\n"
            "rejected and the last good one keeps answering. docs/service.md describes every endpoint.\n\n"
            "Exit status: 0 when stopped, 2 when the policy or the settings are wrong."
        ),
        epilog="examples:\n"
        f"  {PROG} serve\n"
        f"  {PROG} serve rules --port 8181 --workers 4 --token-file /run/secrets/kdv-token\n"
        f"  {PROG} serve examples/authzen-fixture --host 0.0.0.0 --cors-origin https://portal.tg.ch\n",
    )
    serve.add_argument(
        "policy", nargs="?", metavar="POLICY", help=f"policy directory or compiled bundle ({default_policy})"
    )
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8181, help="port to listen on (default 8181)")
    serve.add_argument(
        "--workers",
        type=_positive(int),
        default=1,
        help="worker processes (default 1); each holds the policy and reloads it itself",
    )
    serve.add_argument(
        "--token-file",
        metavar="FILE",
        help="require `Authorization: Bearer <token>` with the token this file holds "
        "(on every endpoint but /health and /ready)",
    )
    serve.add_argument(
        "--cors-origin",
        metavar="ORIGIN",
        action="append",
        default=[],
        help="allow browsers of this origin to call (repeatable; default: CORS off)",
    )
    serve.add_argument(
        "--max-body-bytes",
        type=_positive(int),
        default=1024 * 1024,
        help="the largest request body (default 1048576)",
    )
    serve.add_argument(
        "--timeout",
        type=_positive(float),
        default=10.0,
        help="seconds for a body to arrive and for work off the event loop (default 10)",
    )
    serve.add_argument(
        "--poll",
        type=float,
        default=2.0,
        metavar="SECONDS",
        help="seconds between checks for changed policy files (default 2; 0: never reload)",
    )
    serve.add_argument(
        "--audit-log",
        default="-",
        metavar="FILE",
        help="write each decision as a JSON line to FILE (default `-`: standard output; `off`: nowhere)",
    )
    serve.add_argument(
        "--max-batch",
        type=_positive(int),
        default=1000,
        help="the most evaluations in one Access Evaluations request (default 1000)",
    )
    serve.add_argument(
        "--max-page",
        type=_positive(int),
        default=1000,
        help="the most results in one search response (default 1000)",
    )
    serve.add_argument(
        "--public-url",
        metavar="URL",
        help="the base URL the AuthZEN metadata names (default: the URL a request used)",
    )
    serve.add_argument(
        "--ssl-certfile",
        metavar="FILE",
        help="serve HTTPS with this certificate (PEM; AuthZEN requires HTTPS, or a proxy that terminates it)",
    )
    serve.add_argument("--ssl-keyfile", metavar="FILE", help="the private key of --ssl-certfile (PEM)")
    serve.add_argument("--people", metavar="FILE", help="people file: persons and the roles they hold")
    serve.add_argument(
        "--verify-key",
        metavar="PUBKEY",
        help="serve only a bundle this Ed25519 public key (PEM) signed, and reload only to one",
    )
    serve.add_argument(
        "--no-access-log",
        action="store_true",
        help="do not log each request on standard error (the audit log still has each decision)",
    )
    serve.add_argument(
        "--log-level",
        choices=("critical", "error", "warning", "info", "debug"),
        default="info",
        help="the server log's level (default info)",
    )
    add_limit_option(serve)
    serve.add_argument(
        "--query-limit",
        metavar="NAME=VALUE",
        action="append",
        type=_query_limit,
        default=[],
        help="bound ad-hoc Datalog queries (/v1/query), repeatable: "
        + ", ".join(f.name for f in dataclasses.fields(QueryLimits)),
    )
    serve.set_defaults(func=cmd_serve)


def _log_config() -> dict:
    """uvicorn's logging, with the access log on standard error (standard output carries the audit
    log by default) and the service's own messages beside uvicorn's."""
    import copy

    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config["handlers"]["access"]["stream"] = "ext://sys.stderr"
    config["loggers"]["kdv_policy.service"] = {"handlers": ["default"], "level": "INFO", "propagate": False}
    config["loggers"]["kdv_policy.policy.store"] = {
        "handlers": ["default"],
        "level": "INFO",
        "propagate": False,
    }
    return config


@contextlib.contextmanager
def _metrics_directory() -> Iterator[None]:
    """Prometheus's multiprocess mode for several workers: each worker keeps its counts in files
    of one directory and ``/metrics`` adds them up. The directory is a private one made for this
    run (and removed after it), unless ``PROMETHEUS_MULTIPROC_DIR`` names one already."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        yield
        return
    directory = tempfile.mkdtemp(prefix="kdv-metrics-")  # mode 0700: the counts are this run's own
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = directory
    try:
        yield
    finally:
        del os.environ["PROMETHEUS_MULTIPROC_DIR"]
        shutil.rmtree(directory, ignore_errors=True)


def cmd_serve(args: argparse.Namespace) -> int:
    """Load the policy, then run uvicorn until stopped."""
    import uvicorn

    from kdv_policy.service.app import create_app, make_store
    from kdv_policy.service.config import ENVIRONMENT_VARIABLE, ServiceConfig

    location = locate(args.policy)
    if args.poll < 0:
        error(f"`--poll` must be 0 or more seconds, not `{args.poll:g}`")
        return EXIT_BAD_INPUT
    if args.token_file is not None and not os.path.isfile(args.token_file):
        error(f"the token file `{args.token_file}` does not exist")
        return EXIT_BAD_INPUT
    if (args.ssl_certfile is None) != (args.ssl_keyfile is None):
        error("`--ssl-certfile` and `--ssl-keyfile` go together")
        return EXIT_BAD_INPUT
    for given in (args.ssl_certfile, args.ssl_keyfile):
        if given is not None and not os.path.isfile(given):
            error(f"the file `{given}` does not exist")
            return EXIT_BAD_INPUT
    if args.verify_key is not None and not os.path.isfile(args.verify_key):
        error(f"the key file `{args.verify_key}` does not exist")
        return EXIT_BAD_INPUT
    config = ServiceConfig(
        policy=str(location.path),
        verify_key=args.verify_key,
        people=args.people,
        limits=dict(args.limit or ()),
        query_limits=dict(args.query_limit or ()),
        token_file=args.token_file,
        cors_origins=tuple(args.cors_origin),
        max_body_bytes=args.max_body_bytes,
        timeout=args.timeout,
        poll_interval=args.poll,
        audit_log=None if args.audit_log == "off" else args.audit_log,
        max_batch=args.max_batch,
        max_page=args.max_page,
        public_url=args.public_url,
    )
    try:
        store = make_store(config)
        app = create_app(config, store) if args.workers == 1 else None
    except PolicyError as err:
        policy_error(err)
        return EXIT_BAD_INPUT
    except OSError as err:
        error(f"cannot start: {err.strerror or err}")
        return EXIT_BAD_INPUT
    announce(location, store.version)
    options = {
        "host": args.host,
        "port": args.port,
        "log_level": args.log_level,
        "proxy_headers": False,
        "server_header": False,
        "timeout_graceful_shutdown": 10,
        "log_config": _log_config(),
        "access_log": not args.no_access_log,
        "ssl_certfile": args.ssl_certfile,
        "ssl_keyfile": args.ssl_keyfile,
    }
    try:
        if app is not None:
            uvicorn.run(app, **options)
        else:
            os.environ[ENVIRONMENT_VARIABLE] = config.to_json()
            with _metrics_directory():
                uvicorn.run(
                    "kdv_policy.service.app:app_from_environment",
                    factory=True,
                    workers=args.workers,
                    **options,
                )
    except (OSError, SystemExit) as err:
        if isinstance(err, SystemExit) and err.code in (0, None):
            return EXIT_OK
        error(f"the server stopped: {err}")
        return EXIT_BAD_INPUT
    print("stopped", file=sys.stderr)
    return EXIT_OK
