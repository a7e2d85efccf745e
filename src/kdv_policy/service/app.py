"""The ASGI application: routes, the envelope every response passes through, and reloads.

Handlers are thin: they read the request (``wire``, ``authzen``), ask the policy version the
request started with, and write the answer. A question answered from the evaluated model (a
dictionary lookup) is answered on the event loop; anything that can take longer (an
explanation, a date or interpretations that derive a policy, a free question, a Datalog query)
runs in a worker thread and is abandoned after ``timeout`` seconds with a 503 (pyDatalog cannot
be interrupted: the limits of ``Limits``/``QueryLimits`` bound that work before it starts).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import hmac
import itertools
import logging
import secrets
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import anyio
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kdv_policy.errors import PolicyError
from kdv_policy.limits import Limits
from kdv_policy.policy import audit
from kdv_policy.policy.audit import AUDIT_LOGGER, JsonLinesHandler
from kdv_policy.policy.loader import bundled_rules
from kdv_policy.policy.store import PolicyStore, fingerprint, run_policy_tests
from kdv_policy.service import authzen, native
from kdv_policy.service.config import ServiceConfig
from kdv_policy.service.metrics import Metrics
from kdv_policy.service.openapi import openapi_document
from kdv_policy.service.state import PolicyState, preferred_language
from kdv_policy.service.wire import HTTPProblem, JSONBody, dumps, problem_response, read_json_object

LOGGER = logging.getLogger("kdv_policy.service")
VERSION_HEADER = "X-KDV-Policy-Version"
EXPLAIN_HEADER = "X-KDV-Explain"
DECISION_HEADER = "X-KDV-Decision-ID"
OPEN_PATHS = frozenset({"/health", "/ready"})
_ID_PREFIX = secrets.token_hex(6)
"""Decision ids are this process's random prefix and a count: unique across workers and restarts."""
_R = TypeVar("_R")


def make_store(config: ServiceConfig) -> PolicyStore:
    """The store of the configured policy. Its own tests check a new version under the policy's
    limits; the query limits bound the requests' ad-hoc queries, not the policy's tests."""
    people = people_file(config)
    test_limits = Limits().replace(**config.limits)
    return PolicyStore(
        config.policy,
        people=config.people,
        limits=config.policy_limits(),
        verify_key=config.verify_key,
        validate=lambda policy: run_policy_tests(policy, people, test_limits),
    )


def people_file(config: ServiceConfig) -> Path | None:
    """The people file whose changes reload the policy and that its tests run with; None for a
    people database (the store watches its change counter, and the policy's tests keep their own
    people: a change of the HR data is checked by loading it, not by the rules' tests)."""
    from kdv_policy.data.sql import is_url

    return Path(config.people) if config.people and not is_url(config.people) else None


class Service:
    """One running decision point: its settings, its policy store and what it counts."""

    def __init__(self, config: ServiceConfig, store: PolicyStore | None = None) -> None:
        self.config = config
        self.store = store if store is not None else make_store(config)
        self.path = Path(config.policy) if config.policy is not None else bundled_rules()
        self.metrics = Metrics()
        self.state = self._state_of_store()
        self.token = _read_token(config.token_file)
        self.audit = False  # on once the application starts (after the server has set up its logging)
        self.audit_handler: JsonLinesHandler | None = None
        self.last_reload_error: str | None = None
        self._outcomes: dict[tuple[str, str], Any] = {}
        self._ids = itertools.count(1)

    # -- the policy version ------------------------------------------------------------------------

    def _state_of_store(self) -> PolicyState:
        state = PolicyState(
            self.store.current, cache_size=self.config.cache_size, derived_size=self.config.derived_policies
        )
        state.adapter = authzen.adapter_for(state.policy)
        self.metrics.show_version(state.version)
        return state

    def current(self) -> PolicyState:
        """The version answering now (a request takes it once)."""
        state = self.state
        if state.policy is not self.store.current:  # reloaded through the store by someone else
            state = self.state = self._state_of_store()
        return state

    async def watch(self) -> None:
        """Reload when the policy's files change and have settled (unchanged for one interval);
        a rejected version is reported once, and the last good one keeps answering."""
        interval = self.config.poll_interval
        settling: tuple | None = None
        rejected: tuple | None = None
        people = people_file(self.config)
        while True:
            await asyncio.sleep(interval)
            try:
                if not self.store.changed():
                    settling = None
                    continue
                now = fingerprint(self.path, people)
                if now != settling:
                    settling = now
                    continue
                if now == rejected:
                    continue
                await anyio.to_thread.run_sync(self.store.reload)
            except PolicyError as err:
                rejected = now
                self.last_reload_error = str(err).split("\n", 1)[0]
                self.metrics.reloads.labels("rejected").inc()
                LOGGER.error(
                    "reload of %s rejected; version %s keeps answering: %s",
                    self.path,
                    self.state.version,
                    err,
                )
            except Exception:  # the watcher never dies
                self.metrics.reloads.labels("rejected").inc()
                LOGGER.exception("reload of %s failed unexpectedly", self.path)
            else:
                self.last_reload_error = None
                self.state = self._state_of_store()
                self.metrics.reloads.labels("ok").inc()
                LOGGER.info("reloaded %s: version %s", self.path, self.state.version)

    # -- work off the event loop -------------------------------------------------------------------

    async def offload(self, work: Callable[..., _R], *args: Any) -> _R:
        """Run ``work`` in a worker thread; 503 when it takes over ``timeout`` seconds."""
        try:
            with anyio.fail_after(self.config.timeout):
                return await anyio.to_thread.run_sync(work, *args, abandon_on_cancel=True)
        except TimeoutError:
            raise HTTPProblem(
                503, f"the request was not answered within {self.config.timeout:g} seconds (timeout)"
            ) from None

    # -- decisions ---------------------------------------------------------------------------------

    def decided(
        self,
        api: str,
        state: PolicyState,
        question: str,
        allowed: bool | None,
        *,
        asked: Any,
        resolved: str = "",
        answers: int | None = None,
        error: str | None = None,
        rule_ids: Callable[[], list[str]] | None = None,
        request_id: str = "",
    ) -> str:
        """Count a decision, log it to the audit log, and return its id."""
        outcome = (
            "error"
            if error is not None
            else ("answered" if allowed is None else "allowed" if allowed else "denied")
        )
        counter = self._outcomes.get((api, outcome))
        if counter is None:
            counter = self._outcomes[(api, outcome)] = self.metrics.decisions.labels(api, outcome)
        counter.inc()
        decision_id = f"{_ID_PREFIX}{next(self._ids):010x}"
        if self.audit and audit.enabled():
            entry: dict[str, Any] = {
                "time": datetime.datetime.now(datetime.UTC).isoformat(timespec="microseconds"),
                "decision_id": decision_id,
                "request_id": request_id,
                "version": state.version,
                "api": api,
                "question": question,
                "asked": asked,
                "resolved": resolved,
            }
            if allowed is not None:
                entry["allowed"] = allowed
            if answers is not None:
                entry["answers"] = answers
            if error is not None:
                entry["error"] = error
            entry["rule_ids"] = rule_ids() if rule_ids is not None and error is None else []
            audit.emit_record(entry, "%s %s -> %s", (question, resolved, outcome))
        return decision_id

    async def evaluate(
        self, state: PolicyState, ev: authzen.Evaluation, options: authzen.Options, request_id: str
    ) -> dict[str, Any]:
        """One AuthZEN evaluation → ``{"decision": ..., "context": {...}}``."""
        key = (
            ev.subject.type,
            ev.subject.id,
            ev.action.name,
            ev.resource.type,
            ev.resource.id,
            options.as_of,
            options.lang if options.explain else None,
            state.adapter.key(ev),
        )
        verdict: authzen.Verdict | None = state.decisions.get(key)
        if verdict is None:
            if options.as_of is not None or options.explain or state.adapter.slow(ev):
                verdict = await self.offload(self._verdict, state, ev, options)
            else:
                verdict = self._verdict(state, ev, options)
            state.remember(key, verdict)
        if options.explain:
            context = await self.offload(verdict.context, True)
        else:
            context = verdict.context(False)
        decision = verdict.decision
        context["decision_id"] = self.decided(
            "authzen",
            state,
            "may",
            verdict.allowed,
            asked={
                "subject": {"type": ev.subject.type, "id": ev.subject.id},
                "action": {"name": ev.action.name},
                "resource": {"type": ev.resource.type, "id": ev.resource.id},
            }
            if self.audit
            else None,
            resolved=verdict.question,
            error=verdict.reason,
            rule_ids=None if decision is None else lambda: verdict.rule_ids,
            request_id=request_id,
        )
        return {"decision": verdict.allowed, "context": context}

    def _verdict(
        self, state: PolicyState, ev: authzen.Evaluation, options: authzen.Options
    ) -> authzen.Verdict:
        try:
            policy = state.derived(options.as_of, None, options.lang)
        except PolicyError as err:  # e.g. a date asked of a policy without dated facts
            return authzen.Verdict(False, reason=str(err).split("\n", 1)[0])
        return state.adapter.evaluate(policy, ev)


# -- the envelope: request ids, the version, authentication, metrics, errors ---------------------------


class Envelope:
    """Every response carries ``X-Request-ID`` (the caller's, echoed, or a new one) and the policy
    version; every request but health and readiness needs the bearer token when one is set; every
    request is counted and timed by route."""

    def __init__(self, app: ASGIApp, service: Service, routes: frozenset[str]) -> None:
        self.app = app
        self.service = service
        self.routes = routes
        self.token = service.token
        self._ids = itertools.count(1)
        self._counters: dict[tuple[str, str, int], Any] = {}
        self._timers: dict[str, Any] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        request_id = b""
        authorization = b""
        for name, value in scope["headers"]:
            if name == b"x-request-id":
                request_id = value
            elif name == b"authorization":
                authorization = value
        if not request_id:
            request_id = f"{_ID_PREFIX}r{next(self._ids):010x}".encode()
        scope.setdefault("state", {})["request_id"] = request_id.decode("latin-1")
        version = self.service.state.version.encode()
        status = 500

        async def send_wrapped(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", ()))
                headers.append((b"x-request-id", request_id))
                if not any(name == b"x-kdv-policy-version" for name, _ in headers):
                    headers.append((b"x-kdv-policy-version", version))
                message = {**message, "headers": headers}
            await send(message)

        path = scope["path"]
        route = path if path in self.routes else "other"
        try:
            if (
                self.token is not None
                and path not in OPEN_PATHS
                and not _authorised(authorization, self.token)
            ):
                await problem_response(
                    HTTPProblem(401, "this service needs a bearer token: `Authorization: Bearer <token>`")
                )(scope, receive, send_wrapped)
            else:
                await self.app(scope, receive, send_wrapped)
        finally:
            key = (route, scope["method"], status)
            counter = self._counters.get(key)
            if counter is None:
                counter = self._counters[key] = self.service.metrics.requests.labels(
                    route, key[1], str(status)
                )
            timer = self._timers.get(route)
            if timer is None:
                timer = self._timers[route] = self.service.metrics.latency.labels(route)
            counter.inc()
            timer.observe(time.perf_counter() - started)


def _authorised(header: bytes, token: bytes) -> bool:
    scheme, _, given = header.partition(b" ")
    return scheme.lower() == b"bearer" and hmac.compare_digest(given.strip(), token)


def _read_token(path: str | None) -> bytes | None:
    if path is None:
        return None
    token = Path(path).read_bytes().strip()
    if not token:
        raise PolicyError(f"the token file `{path}` is empty")
    if len(token) > 4096 or not token.isascii() or any(c <= 32 for c in token):
        raise PolicyError(f"the token file `{path}` must hold one token of printable ASCII characters")
    return token


def _audit_handler(target: str) -> JsonLinesHandler:
    """A handler writing the service's decision records to ``target`` (``-``: standard output) as
    JSON lines from a writer thread (a request hands its record over through a bounded queue and
    waits only when the queue is full; no record is lost); only the service's own records (each
    with its decision id) go there, not those the policy writes of the questions it is asked on
    the way."""
    handler = JsonLinesHandler(sys.stdout if target == "-" else target, background=True)
    handler.addFilter(lambda record: "decision_id" in getattr(record, "audit", {}))
    return handler


# -- the AuthZEN endpoints --------------------------------------------------------------------------


def _flag(value: str | None) -> bool:
    return value is not None and value.strip().lower() in ("1", "true", "yes", "on")


def _request_options(request: Request, context: dict[str, Any]) -> authzen.Options:
    """The options of one evaluation: its context's keys and the request's headers (read once)."""
    scope_state = request.scope["state"]
    headers = scope_state.get("options_headers")
    if headers is None:
        headers = scope_state["options_headers"] = (
            _flag(request.headers.get(EXPLAIN_HEADER)),
            preferred_language(request.headers.get("accept-language")),
        )
    if not context and not headers[0] and headers[1] is None:
        return _NO_OPTIONS
    return authzen.read_options(context, *headers)


_NO_OPTIONS = authzen.Options()


def request_id_of(request: Request) -> str:
    """The request's id (the caller's X-Request-ID, or the one the envelope made)."""
    return str(request.scope["state"]["request_id"])


def _json(data: Any, state: PolicyState, headers: dict[str, str] | None = None) -> Response:
    return Response(
        dumps(data), media_type="application/json", headers={VERSION_HEADER: state.version, **(headers or {})}
    )


def _authzen_routes(service: Service) -> list[Route]:
    config = service.config

    async def body_of(request: Request) -> dict[str, Any]:
        return await read_json_object(request, config.max_body_bytes, config.timeout)

    async def evaluation(request: Request) -> Response:
        body = await body_of(request)
        state = service.current()
        try:
            ev = authzen.read_evaluation(body)
            options = _request_options(request, ev.context)
        except authzen.Invalid as err:
            raise HTTPProblem(400, err.message) from None
        item = await service.evaluate(state, ev, options, request_id_of(request))
        return _json(item, state, {DECISION_HEADER: item["context"]["decision_id"]})

    async def evaluations(request: Request) -> Response:
        body = await body_of(request)
        state = service.current()
        try:
            batch = authzen.read_batch(body, config.max_batch)
        except authzen.Invalid as err:
            raise HTTPProblem(400, err.message) from None
        request_id = request_id_of(request)
        if isinstance(batch, authzen.Evaluation):  # no evaluations: a single evaluation
            try:
                options = _request_options(request, batch.context)
            except authzen.Invalid as err:
                raise HTTPProblem(400, err.message) from None
            item = await service.evaluate(state, batch, options, request_id)
            return _json(item, state, {DECISION_HEADER: item["context"]["decision_id"]})
        results: list[dict[str, Any]] = []
        for ev in batch.items:
            if isinstance(ev, authzen.Invalid):
                item = {"decision": False, "context": {"error": {"status": 400, "message": ev.message}}}
                item["context"]["decision_id"] = service.decided(
                    "authzen", state, "may", False, asked=None, error=ev.message, request_id=request_id
                )
            else:
                try:
                    options = _request_options(request, ev.context)
                except authzen.Invalid as err:
                    item = {"decision": False, "context": {"error": {"status": 400, "message": err.message}}}
                else:
                    item = await service.evaluate(state, ev, options, request_id)
            results.append(item)
            if (batch.semantic == "deny_on_first_deny" and not item["decision"]) or (
                batch.semantic == "permit_on_first_permit" and item["decision"]
            ):
                break
        return _json({"evaluations": results}, state)

    def search(target: authzen.Target) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            body = await body_of(request)
            state = service.current()
            try:
                found = authzen.read_search(body, target)
                options = _request_options(request, found.context)
                digest = authzen.request_digest(body)
            except authzen.Invalid as err:
                raise HTTPProblem(400, err.message) from None

            def run() -> tuple[list[dict[str, Any]], authzen.Refused | None]:
                try:
                    policy = state.derived(options.as_of, None, options.lang)
                except PolicyError as err:
                    return [], authzen.Refused(str(err).split("\n", 1)[0])
                return state.adapter.search(policy, found)

            slow = options.as_of is not None or state.adapter.slow_search(found)
            results, refused = await service.offload(run) if slow else run()
            try:
                page, chunk = authzen.page_of(results, found, digest, config.max_page)
            except authzen.Invalid as err:
                raise HTTPProblem(400, err.message) from None
            context: dict[str, Any] = {}
            if refused is not None:
                context["reason"] = refused.reason
                if refused.suggestions:
                    context["suggestions"] = list(refused.suggestions)
            context["decision_id"] = service.decided(
                "authzen",
                state,
                f"search_{target}",
                None,
                asked=body.get(target) if target != "action" else None,
                answers=len(results),
                error=None if refused is None else refused.reason,
                request_id=request_id_of(request),
            )
            return _json({"page": page, "context": context, "results": chunk}, state)

        return endpoint

    async def metadata(request: Request) -> Response:
        base = (config.public_url or str(request.base_url)).rstrip("/")
        return _json(
            {
                "policy_decision_point": base,
                "access_evaluation_endpoint": f"{base}/access/v1/evaluation",
                "access_evaluations_endpoint": f"{base}/access/v1/evaluations",
                "search_subject_endpoint": f"{base}/access/v1/search/subject",
                "search_resource_endpoint": f"{base}/access/v1/search/resource",
                "search_action_endpoint": f"{base}/access/v1/search/action",
            },
            service.current(),
        )

    return [
        Route("/access/v1/evaluation", evaluation, methods=["POST"]),
        Route("/access/v1/evaluations", evaluations, methods=["POST"]),
        Route("/access/v1/search/subject", search("subject"), methods=["POST"]),
        Route("/access/v1/search/resource", search("resource"), methods=["POST"]),
        Route("/access/v1/search/action", search("action"), methods=["POST"]),
        Route("/.well-known/authzen-configuration", metadata, methods=["GET"]),
    ]


# -- operations: health, readiness, metrics, the OpenAPI document -----------------------------------


def _operation_routes(service: Service, document: dict[str, Any]) -> list[Route]:
    async def health(request: Request) -> Response:
        return _json({"status": "ok"}, service.state)

    async def ready(request: Request) -> Response:
        state = service.current()
        body: dict[str, Any] = {"status": "ready", "version": state.version}
        if service.last_reload_error is not None:
            body["last_reload_error"] = service.last_reload_error
        return _json(body, state)

    async def metrics(request: Request) -> Response:
        handler = service.audit_handler
        if handler is not None:
            service.metrics.audit_waited.set(handler.waited)
        return Response(service.metrics.render(), media_type=service.metrics.content_type)

    async def openapi(request: Request) -> Response:
        return _json(document, service.current())

    return [
        Route("/health", health, methods=["GET"]),
        Route("/ready", ready, methods=["GET"]),
        Route("/metrics", metrics, methods=["GET"]),
        Route("/openapi.json", openapi, methods=["GET"]),
    ]


# -- the application -------------------------------------------------------------------------------


async def _problem(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPProblem)
    return problem_response(exc)


async def _http_exception(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    message = {
        404: f"no endpoint `{request.url.path[:200]}`; /openapi.json lists them",
        405: f"`{request.method}` is not allowed on `{request.url.path[:200]}`",
    }.get(exc.status_code, "the request cannot be answered")
    headers = dict(exc.headers or {})
    return problem_response(HTTPProblem(exc.status_code, message), headers)


async def _internal(request: Request, exc: Exception) -> Response:
    LOGGER.error("internal error answering %s %s", request.method, request.url.path, exc_info=exc)
    return problem_response(
        HTTPProblem(
            500, "internal error: the request could not be answered; the service's log has the details"
        )
    )


def create_app(config: ServiceConfig | None = None, store: PolicyStore | None = None) -> Starlette:
    """The ASGI application of a decision point (the policy loaded, ready to answer)."""
    service = Service(config or ServiceConfig(), store)
    routes = _authzen_routes(service) + native.routes(service)
    document = openapi_document(service.state.version)
    routes += _operation_routes(service, document)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        handler = None
        if service.config.audit_log is not None:
            handler = service.audit_handler = _audit_handler(service.config.audit_log)
            AUDIT_LOGGER.addHandler(handler)
            AUDIT_LOGGER.setLevel(logging.INFO)
            service.audit = True
        task = asyncio.create_task(service.watch()) if service.config.poll_interval > 0 else None
        try:
            yield
        finally:
            service.audit = False
            service.audit_handler = None
            if handler is not None:
                AUDIT_LOGGER.removeHandler(handler)
                handler.close()
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            service.metrics.process_ended()

    middleware = [Middleware(Envelope, service=service, routes=frozenset(r.path for r in routes))]
    if service.config.cors_origins:  # outermost: a preflight needs no token
        middleware.insert(
            0,
            Middleware(
                CORSMiddleware,
                allow_origins=list(service.config.cors_origins),
                allow_methods=["GET", "POST"],
                allow_headers=[
                    "Authorization",
                    "Content-Type",
                    "X-Request-ID",
                    EXPLAIN_HEADER,
                    "Accept-Language",
                ],
                expose_headers=["X-Request-ID", VERSION_HEADER, DECISION_HEADER],
            ),
        )
    app = Starlette(
        routes=routes,
        middleware=middleware,
        lifespan=lifespan,
        exception_handlers={HTTPProblem: _problem, HTTPException: _http_exception, Exception: _internal},
    )
    app.state.service = service
    return app


def app_from_environment() -> Starlette:
    """The application of the settings ``serve`` left in the environment (uvicorn's factory for
    each worker process)."""
    return create_app(ServiceConfig.from_environment())


__all__ = ["JSONBody", "Service", "app_from_environment", "create_app"]
