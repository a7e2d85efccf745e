"""The native endpoints under ``/v1``: the questions AuthZEN has no word for, with full explanations.

Each endpoint takes its arguments from the query string (``GET``) or a JSON object (``POST``),
plus the options every question shares: ``at`` (``YYYY-MM-DD``: the policy as of that date),
``interpretation`` (repeatable: the interpretations to adopt instead of the policy's own),
``text_only`` (adopt none), ``lang`` (``de``/``en``; default: ``Accept-Language``, else the
policy's) and ``explain`` (default true: the explanation with proofs or why-not). The answer
is the API's result model as JSON (``Decision``, ``Answers``), with its ``decision_id`` (the
audit log's key) and the policy ``version``.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from kdv_policy.errors import EngineError, PolicyError
from kdv_policy.policy.api import Policy
from kdv_policy.policy.names import AmbiguousNameError, UnknownNameError
from kdv_policy.policy.questions import DecisionReply, QuestionError, error_json, json_value
from kdv_policy.policy.results import Answers, Decision, Entity
from kdv_policy.policy.wording import LANGUAGES
from kdv_policy.service.state import preferred_language
from kdv_policy.service.wire import HTTPProblem, dumps, json_kind, read_json_object

OPTIONS = ("at", "interpretation", "text_only", "lang", "explain")


@dataclass(frozen=True)
class Question:
    """One native endpoint: its path, its arguments (required, optional) and the API call."""

    name: str
    required: tuple[str, ...]
    optional: tuple[str, ...]
    call: Callable[..., Any]
    summary: str


def _consumers(policy: Policy) -> dict[str, Any]:
    units = sorted({row[0] for row in policy.relation("consumer")}, key=str)
    answers = [policy.entity(u, "unit") for u in units]
    return {
        "question": "consumer(X)",
        "answers": [e.model_dump(mode="json") for e in answers],
        "version": policy.version,
    }


def _interpretations(policy: Policy) -> dict[str, Any]:
    return {
        "interpretations": [i.model_dump(mode="json") for i in policy.interpretations],
        "adopted": list(policy.adopted),
        "version": policy.version,
    }


def _version(policy: Policy) -> dict[str, Any]:
    return {
        "version": policy.version,
        "language": policy.language,
        "as_of": None if policy.as_of is None else policy.as_of.isoformat(),
        "adopted": list(policy.adopted),
    }


def _query(policy: Policy, query: str) -> dict[str, Any]:
    rows = policy.ask(query)
    return {
        "query": query,
        "answers": [{k: json_value(v) for k, v in row.items()} for row in rows],
        "version": policy.version,
    }


QUESTIONS: tuple[Question, ...] = (
    Question(
        "may",
        ("actor", "action", "object"),
        (),
        lambda p, actor, action, object: p.may(actor, action, object),
        "May an actor (body, role or person) do an action with an object?",
    ),
    Question(
        "who_may",
        ("action", "object"),
        (),
        lambda p, action, object: p.who_may(action, object),
        "Every body, role and person that may do an action with an object.",
    ),
    Question(
        "what_may",
        ("actor",),
        (),
        lambda p, actor: p.what_may(actor),
        "Every (action, object) pair an actor may.",
    ),
    Question("members", ("body",), (), lambda p, body: p.members(body), "The members of a body."),
    Question("chair", ("body",), (), lambda p, body: p.chair(body), "The role that chairs a body."),
    Question(
        "responsible",
        ("unit",),
        (),
        lambda p, unit: p.responsible_for(unit),
        "The Digitalisierungsverantwortliche responsible for a unit's area.",
    ),
    Question(
        "who_serves",
        ("unit",),
        (),
        lambda p, unit: p.who_serves(unit),
        "The units that provide services to a unit.",
    ),
    Question(
        "is_consumer",
        ("unit",),
        (),
        lambda p, unit: p.is_consumer(unit),
        "Is a unit a consumer (Leistungsbezüger) of the services?",
    ),
    Question("consumers", (), (), _consumers, "Every unit that is a consumer of the services."),
    Question(
        "delegations",
        (),
        ("object",),
        lambda p, object=None: p.delegations(object),
        "Who delegated what to whom (all, or those of one object or task).",
    ),
    Question(
        "holds",
        ("atom",),
        (),
        lambda p, atom: p.holds(atom),
        "Does a ground atom hold, e.g. `member(steuerungsausschuss, staatsschreiber)`? With proof.",
    ),
    Question(
        "answer",
        ("question",),
        (),
        lambda p, question: p.answer(question),
        "A question as people type it, in German or English, answered.",
    ),
    Question("query", ("query",), (), _query, "An ad-hoc Datalog query, bounded by the query limits."),
    Question(
        "interpretations",
        (),
        (),
        _interpretations,
        "The interpretations the policy declares, and which it adopts.",
    ),
    Question("version", (), (), _version, "The policy version answering, its language, date and adoptions."),
)


def _flag(value: Any, name: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("1", "true", "yes", "on", ""):
        return True
    if isinstance(value, str) and value.strip().lower() in ("0", "false", "no", "off"):
        return False
    raise HTTPProblem(400, f"`{name}` must be true or false")


async def _arguments(request: Request, max_bytes: int, timeout: float) -> dict[str, Any]:
    if request.method == "GET":
        args: dict[str, Any] = {}
        for key, value in request.query_params.multi_items():
            if key == "interpretation":
                args.setdefault(key, []).append(value)
            else:
                args[key] = value
        return args
    return await read_json_object(request, max_bytes, timeout)


def _text(args: dict[str, Any], name: str) -> str:
    value = args[name]
    if not isinstance(value, str):
        raise HTTPProblem(400, f"`{name}` must be a string, not {json_kind(value)}")
    return value


def _status(err: PolicyError) -> int:
    if isinstance(err, UnknownNameError):
        return 404
    if isinstance(err, AmbiguousNameError):
        return 409
    if isinstance(err, EngineError):
        return 422
    return 400


def _serialise(result: Any, explain: bool) -> tuple[dict[str, Any], bool | None, str, int | None, list[str]]:
    """The JSON of a result, and what the audit log records of it: allowed, resolved, answers, rule ids."""
    exclude = None if explain else {"explanation"}
    if isinstance(result, Decision):
        return (
            result.model_dump(mode="json", exclude=exclude),
            result.allowed,
            result.question,
            None,
            list(result.explanation.rule_ids),
        )
    if isinstance(result, Answers):
        return (
            result.model_dump(mode="json", exclude=exclude),
            None,
            result.question,
            len(result.answers),
            list(result.explanation.rule_ids),
        )
    if isinstance(result, dict):
        answers = result.get("answers")
        return (
            result,
            None,
            str(result.get("query", result.get("question", ""))),
            (len(answers) if isinstance(answers, list) else None),
            [],
        )
    # a Reply of `answer`: a decision or a list, as the command line's JSON
    data = result.json()
    if not explain:
        data.pop("explanation", None)
    if isinstance(result, DecisionReply):
        return (
            data,
            result.decision.allowed,
            result.decision.question,
            None,
            list(result.decision.explanation.rule_ids),
        )
    answers = data.get("answers")
    return data, None, str(data.get("query", "")), len(answers) if isinstance(answers, list) else None, []


def routes(service: Any) -> list[Route]:
    """The ``/v1`` routes of a :class:`~kdv_policy.service.app.Service`."""
    from kdv_policy.service.app import DECISION_HEADER, _json

    config = service.config

    def endpoint(question: Question) -> Callable[[Request], Any]:
        async def answer(request: Request) -> Response:
            args = await _arguments(request, config.max_body_bytes, config.timeout)
            state = service.current()
            for name in question.required:
                if args.get(name) is None:
                    raise HTTPProblem(400, f"`{name}` is missing")
            given = {
                n: _text(args, n) for n in question.required + question.optional if args.get(n) is not None
            }
            at = None
            if args.get("at") is not None:
                try:
                    at = datetime.date.fromisoformat(_text(args, "at")[:40])
                except ValueError:
                    raise HTTPProblem(
                        400, f"`at` must be a date YYYY-MM-DD, not `{str(args['at'])[:40]}`"
                    ) from None
            interpretations: list[str] | None = None
            if args.get("interpretation") is not None:
                listed = args["interpretation"]
                listed = [listed] if isinstance(listed, str) else listed
                if not isinstance(listed, list) or not all(isinstance(i, str) for i in listed):
                    raise HTTPProblem(400, "`interpretation` must be a string or an array of strings")
                interpretations = list(listed)
            if args.get("text_only") is not None and _flag(args["text_only"], "text_only"):
                interpretations = []
            lang = args.get("lang")
            if lang is not None and lang not in LANGUAGES:
                raise HTTPProblem(400, f"`lang` must be one of {', '.join(LANGUAGES)}")
            lang = lang or preferred_language(request.headers.get("accept-language"))
            explain = _flag(args["explain"], "explain") if args.get("explain") is not None else True

            def run() -> tuple[dict[str, Any], bool | None, str, int | None, list[str]]:
                policy = state.derived(at, interpretations, lang)
                return _serialise(question.call(policy, **given), explain)

            request_id = str(request.scope["state"]["request_id"])
            try:
                data, allowed, resolved, answers, rule_ids = await service.offload(run)
            except (PolicyError, QuestionError) as err:
                text = " ".join(str(v) for v in given.values())
                body = error_json(text, err)["error"]
                message = body.pop("message").split("\n", 1)[0]
                decision_id = service.decided(
                    "native", state, question.name, None, asked=given, error=message, request_id=request_id
                )
                raise HTTPProblem(_status(err), message, **body, decision_id=decision_id) from None
            decision_id = service.decided(
                "native",
                state,
                question.name,
                allowed,
                asked=given,
                resolved=resolved,
                answers=answers,
                rule_ids=lambda: rule_ids,
                request_id=request_id,
            )
            data = {"decision_id": decision_id, **data}
            data.setdefault("version", state.version)
            return _json(data, state, {DECISION_HEADER: decision_id})

        return answer

    return [Route(f"/v1/{q.name}", endpoint(q), methods=["GET", "POST"]) for q in QUESTIONS]


def entity_json(entity: Entity) -> dict[str, str]:
    return {"id": entity.id, "name": entity.name, "kind": entity.kind}


__all__ = ["OPTIONS", "QUESTIONS", "Question", "dumps", "routes"]
