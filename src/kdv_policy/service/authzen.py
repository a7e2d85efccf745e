"""AuthZEN Authorization API 1.0 over a policy: reading its requests, asking the policy, and the
shape of its answers.

A request is checked field by field: a missing field or sub-field or one of the wrong type is an
:class:`Invalid` (HTTP 400 for a whole request, ``decision: false`` for one evaluation of a
batch); unknown fields are ignored. What the policy is asked is the adapter's business: the
canton's adapter maps subject ``{type: body|role|person, id}``, action ``{name}`` and resource
``{type: object|unit, id}`` onto ``may``, and the three searches onto ``who_may`` and
``what_may``. A name the policy does not know, or knows several times, gives ``decision: false``
with the reason and the nearest names in the response context, never a silent false.

Two keys of the request context are the service's own: ``explain`` (true: the response context
carries the explanation and the cited sentences) and ``as_of`` (``YYYY-MM-DD``: the policy as of
that date). Every other key is ignored, as AuthZEN's environment attributes are by this policy.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import json
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Literal

from kdv_policy.errors import PolicyError
from kdv_policy.policy.api import Policy
from kdv_policy.policy.names import AmbiguousNameError, UnknownNameError
from kdv_policy.policy.results import Decision, Entity
from kdv_policy.service.wire import json_kind

SEMANTICS = ("execute_all", "deny_on_first_deny", "permit_on_first_permit")
Target = Literal["subject", "resource", "action"]


class Invalid(Exception):
    """A request, or one evaluation of a batch, that misses a field or has one of the wrong type."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# -- reading requests --------------------------------------------------------------------------------


def _object(value: object, where: str) -> dict[str, Any]:
    if value is None:
        raise Invalid(f"`{where}` is missing")
    if not isinstance(value, dict):
        raise Invalid(f"`{where}` must be an object, not {json_kind(value)}")
    return value


def _string(entity: dict[str, Any], key: str, where: str, required: bool = True) -> str | None:
    value = entity.get(key)
    if value is None:
        if required:
            raise Invalid(f"`{where}.{key}` is missing")
        return None
    if not isinstance(value, str):
        raise Invalid(f"`{where}.{key}` must be a string, not {json_kind(value)}")
    return value


def _properties(entity: dict[str, Any], where: str) -> dict[str, Any]:
    value = entity.get("properties")
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise Invalid(f"`{where}.properties` must be an object, not {json_kind(value)}")
    return value


@dataclass(frozen=True)
class Thing:
    """A subject or resource of a request (``id`` None only for the searched-for entity)."""

    type: str
    id: str | None
    properties: dict[str, Any] = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class Action:
    name: str
    properties: dict[str, Any] = field(default_factory=dict, compare=False)


def read_thing(value: object, where: str, *, id_required: bool = True) -> Thing:
    if type(value) is dict and id_required:  # the usual shape, checked in one go
        kind, ident, properties = value.get("type"), value.get("id"), value.get("properties")
        if type(kind) is str and type(ident) is str and (properties is None or type(properties) is dict):
            return Thing(kind, ident, properties or {})
    entity = _object(value, where)
    kind = _string(entity, "type", where)
    ident = _string(entity, "id", where, required=id_required)
    assert kind is not None
    return Thing(kind, ident if id_required else None, _properties(entity, where))


def read_action(value: object, where: str = "action") -> Action:
    if type(value) is dict:  # the usual shape, checked in one go
        name, properties = value.get("name"), value.get("properties")
        if type(name) is str and (properties is None or type(properties) is dict):
            return Action(name, properties or {})
    entity = _object(value, where)
    name = _string(entity, "name", where)
    assert name is not None
    return Action(name, _properties(entity, where))


def read_context(value: object, where: str = "context") -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise Invalid(f"`{where}` must be an object, not {json_kind(value)}")
    return value


@dataclass(frozen=True)
class Options:
    """What the service's own context keys and headers ask for."""

    explain: bool = False
    as_of: datetime.date | None = None
    lang: str | None = None


def read_options(context: dict[str, Any], explain_header: bool, lang: str | None) -> Options:
    explain = context.get("explain", False)
    if not isinstance(explain, bool):
        raise Invalid(f"`context.explain` must be a boolean, not {json_kind(explain)}")
    as_of = context.get("as_of")
    date = None
    if as_of is not None:
        if not isinstance(as_of, str):
            raise Invalid(f"`context.as_of` must be a date string YYYY-MM-DD, not {json_kind(as_of)}")
        try:
            date = datetime.date.fromisoformat(as_of[:40])
        except ValueError:
            raise Invalid(f"`context.as_of` must be a date YYYY-MM-DD, not `{as_of[:40]}`") from None
    return Options(explain or explain_header, date, lang)


@dataclass(frozen=True)
class Evaluation:
    """One access evaluation: who, what, on what, in which context."""

    subject: Thing
    action: Action
    resource: Thing
    context: dict[str, Any] = field(default_factory=dict, compare=False)


def read_evaluation(body: dict[str, Any], where: str = "") -> Evaluation:
    subject, action, resource = body.get("subject"), body.get("action"), body.get("resource")
    if subject is None or action is None or resource is None:
        prefix = f"{where}." if where else ""
        for key in ("subject", "action", "resource"):
            if body.get(key) is None:
                raise Invalid(f"`{prefix}{key}` is missing")
    prefix = f"{where}." if where else ""
    return Evaluation(
        read_thing(subject, f"{prefix}subject"),
        read_action(action, f"{prefix}action"),
        read_thing(resource, f"{prefix}resource"),
        read_context(body.get("context"), f"{prefix}context"),
    )


@dataclass(frozen=True)
class Batch:
    """An Access Evaluations request: each item an evaluation or the reason it is invalid."""

    items: tuple[Evaluation | Invalid, ...]
    semantic: str


def read_batch(body: dict[str, Any], max_items: int) -> Batch | Evaluation:
    """A batch, or (no or an empty ``evaluations`` array) a single evaluation."""
    items = body.get("evaluations")
    if items is not None and not isinstance(items, list):
        raise Invalid(f"`evaluations` must be an array, not {json_kind(items)}")
    options = body.get("options")
    semantic = "execute_all"
    if options is not None:
        if not isinstance(options, dict):
            raise Invalid(f"`options` must be an object, not {json_kind(options)}")
        semantic = options.get("evaluations_semantic", "execute_all")
        if semantic not in SEMANTICS:
            shown = semantic if isinstance(semantic, str) else json_kind(semantic)
            raise Invalid(
                f"`options.evaluations_semantic` must be one of {', '.join(SEMANTICS)}, "
                f"not `{str(shown)[:60]}`"
            )
    if not items:
        return read_evaluation(body)
    if len(items) > max_items:
        raise Invalid(
            f"the request holds {len(items)} evaluations, more than the limit of {max_items} (max_batch)"
        )
    defaults: dict[str, Any] = {}
    for key in ("subject", "action", "resource", "context"):  # a default of the wrong type spoils them all
        value = body.get(key)
        if value is not None:
            defaults[key] = _object(value, key)
    read: list[Evaluation | Invalid] = []
    for n, item in enumerate(items):
        where = f"evaluations[{n}]"
        try:
            given = _object(item, where)
            merged = (
                given
                if not defaults and None not in given.values()
                else {**defaults, **{k: v for k, v in given.items() if v is not None}}
            )
            read.append(read_evaluation(merged, where))
        except Invalid as err:
            read.append(err)
    return Batch(tuple(read), semantic)


@dataclass(frozen=True)
class Search:
    """A search: the searched-for entity carries only its type (an id given is ignored)."""

    target: Target
    subject: Thing
    action: Action | None
    resource: Thing
    context: dict[str, Any]
    limit: int | None
    token: str | None


def read_search(body: dict[str, Any], target: Target) -> Search:
    for key in ("subject", "resource") + (("action",) if target != "action" else ()):
        if body.get(key) is None:
            raise Invalid(f"`{key}` is missing")
    subject = read_thing(body["subject"], "subject", id_required=target != "subject")
    resource = read_thing(body["resource"], "resource", id_required=target != "resource")
    action = read_action(body["action"]) if target != "action" else None
    context = read_context(body.get("context"))
    page = body.get("page")
    limit = token = None
    if page is not None:
        if not isinstance(page, dict):
            raise Invalid(f"`page` must be an object, not {json_kind(page)}")
        limit, token = page.get("limit"), page.get("token")
        if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 0):
            raise Invalid("`page.limit` must be a non-negative integer")
        if token is not None and not isinstance(token, str):
            raise Invalid(f"`page.token` must be a string, not {json_kind(token)}")
    return Search(target, subject, action, resource, context, limit, token or None)


# -- answers --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Verdict:
    """What a policy says to one evaluation: allowed or not, and, for a refusal of the request's
    names, the reason and the nearest names (which the caller may see whether or not it asked
    for an explanation)."""

    allowed: bool
    question: str = ""
    decision: Decision | None = None
    reason: str | None = None
    suggestions: tuple[dict[str, str], ...] = ()

    @cached_property
    def rule_ids(self) -> list[str]:
        """The ids of the rules and facts of the proof (for the audit log; computed once)."""
        return [] if self.decision is None else list(self.decision.explanation.rule_ids)

    def context(self, explain: bool) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.reason is not None:
            out["reason"] = self.reason
            if self.suggestions:
                out["suggestions"] = list(self.suggestions)
        if explain and self.decision is not None:
            out.update(explanation(self.decision))
        return out


def explanation(decision: Decision) -> dict[str, Any]:
    """The explanation of a decision for a response context: the summary, the proof or the
    why-not as text, the cited sentences and the ids of the rules and facts."""
    found = decision.explanation
    cited: dict[str, None] = {}
    for proof in found.proofs:
        for node in proof.walk():
            if node.citation:
                cited.setdefault(node.citation)
    if found.why_not is not None:
        for attempt in found.why_not.attempts:
            if attempt.citation:
                cited.setdefault(attempt.citation)
    return {
        "status": decision.status,
        "question": decision.question,
        "summary": found.summary,
        "explanation": found.render(),
        "citations": list(cited),
        "rule_ids": list(found.rule_ids),
        "interpretations": list(decision.interpretations),
        "lang": found.lang,
        "version": decision.version,
    }


class Refused(Exception):
    """A name of the request the policy cannot take: the reason and the nearest names."""

    def __init__(self, reason: str, suggestions: tuple[dict[str, str], ...] = ()) -> None:
        super().__init__(reason)
        self.reason = reason
        self.suggestions = suggestions


def _named(entity: Entity) -> dict[str, str]:
    return {"type": entity.kind, "id": entity.id, "name": entity.name}


class CantonAdapter:
    """The canton's policy over AuthZEN: may, who may, what may."""

    SUBJECT_TYPES = ("body", "role", "person")
    RESOURCE_TYPES = ("object", "unit")

    def key(self, ev: Evaluation) -> None:
        """What of a request beyond its ids decides: nothing (the canton's rules take no properties)."""
        return None

    def slow(self, ev: Evaluation) -> bool:
        """Whether answering needs work off the event loop: no, a lookup in the evaluated model."""
        return False

    def slow_search(self, search: Search) -> bool:
        return False

    def _resolve(self, policy: Policy, name: str, kind: str, what: str) -> Entity:
        try:
            return policy.names.resolve(name, (kind,), what)
        except UnknownNameError as err:
            if kind == "action":
                verb = policy.vocabulary.verb(name)
                if verb is not None:
                    found = policy.names.by_id(verb, ("action",))
                    if found is not None:
                        return found
            raise Refused(str(err), tuple(_named(e) for e in err.suggestions)) from None
        except AmbiguousNameError as err:
            raise Refused(str(err), tuple(_named(e) for e in err.candidates)) from None

    def _subject(self, policy: Policy, subject: Thing) -> Entity:
        return self._typed(policy, subject, self.SUBJECT_TYPES, "subject")

    def _resource(self, policy: Policy, resource: Thing) -> Entity:
        return self._typed(policy, resource, self.RESOURCE_TYPES, "resource")

    def _typed(self, policy: Policy, thing: Thing, types: tuple[str, ...], role: str) -> Entity:
        """The entity a subject or resource names, its type one of ``types``."""
        if thing.type not in types:
            raise Refused(f"`{thing.type[:60]}` is no {role} type of this policy; the types are "
                          + ", ".join(types))
        assert thing.id is not None
        return self._resolve(policy, thing.id, thing.type, thing.type)

    def evaluate(self, policy: Policy, ev: Evaluation) -> Verdict:
        try:
            actor = self._subject(policy, ev.subject)
            action = self._resolve(policy, ev.action.name, "action", "action")
            target = self._resource(policy, ev.resource)
            decision = policy.may(actor.id, action.id, target.id)
        except Refused as err:
            return Verdict(False, reason=err.reason, suggestions=err.suggestions)
        except PolicyError as err:  # a name too long, a limit: the request's fault, said in one sentence
            return Verdict(False, reason=str(err).split("\n", 1)[0])
        return Verdict(decision.allowed, decision.question, decision)

    def search(self, policy: Policy, search: Search) -> tuple[list[dict[str, Any]], Refused | None]:
        """Every entity of the searched-for type the request permits, sorted by id; an unknown
        type gives no results, an unknown name no results and the reason."""
        try:
            if search.target == "subject":
                if search.subject.type not in self.SUBJECT_TYPES:
                    return [], None
                assert search.action is not None
                action = self._resolve(policy, search.action.name, "action", "action")
                target = self._resource(policy, search.resource)
                found = policy.who_may(action.id, target.id)
                return [
                    {"type": e.kind, "id": e.id, "properties": {"name": e.name}}
                    for e in found
                    if e.kind == search.subject.type
                ], None
            actor = self._subject(policy, search.subject)
            if search.target == "resource":
                if search.resource.type not in self.RESOURCE_TYPES:
                    return [], None
                assert search.action is not None
                action = self._resolve(policy, search.action.name, "action", "action")
                objects = {
                    p.object.id: p.object
                    for p in policy.what_may(actor.id)
                    if p.action.id == action.id and p.object.kind == search.resource.type
                }
                return [
                    {"type": o.kind, "id": o.id, "properties": {"name": o.name}}
                    for _, o in sorted(objects.items())
                ], None
            target = self._resource(policy, search.resource)
            actions = {p.action.id: p.action for p in policy.what_may(actor.id) if p.object.id == target.id}
            return [{"name": a.id, "properties": {"name": a.name}} for _, a in sorted(actions.items())], None
        except Refused as err:
            return [], err
        except PolicyError as err:
            return [], Refused(str(err).split("\n", 1)[0])


class InputAdapter:
    """A policy that takes an AuthZEN request's ``properties`` as request facts: it declares the
    input relations ``subject_property(subject, key, value)``, ``resource_property(resource, key,
    value)``, ``action_property(action, key, value)`` and ``context_property(key, value)`` (the
    request context's keys but ``explain`` and ``as_of``; any of the four), decides with
    ``may(subject, action, resource)``, and names its entities with ``subject(id, type)``,
    ``resource(id, type)`` and ``action(name)`` (examples/authzen-fixture is one).

    A property's value becomes a value of the rule language: a string as it is, a JSON boolean the
    atom ``true`` or ``false``, an integer as it is; a value the language cannot write (a
    fraction, null, an array, an object) is left out, as unknown fields are. Only the rules that
    depend on the request's rows are evaluated per request, over the model evaluated once.
    """

    RELATIONS = ("subject_property", "resource_property", "action_property", "context_property")

    def __init__(self, policy: Policy) -> None:
        self.declared = set(policy.program.declarations)
        self.uses_context = "context_property" in policy.input_relations

    @classmethod
    def fits(cls, policy: Policy) -> bool:
        relations = policy.input_relations
        return any(r in relations for r in cls.RELATIONS)

    @staticmethod
    def rows(
        subject: Thing | None, action: Action | None, resource: Thing | None
    ) -> dict[str, list[tuple[Any, ...]]]:
        """The request's rows: each property of an identified entity, keyed by its id (name)."""
        found: dict[str, list[tuple[Any, ...]]] = {}
        for relation, ident, properties in (
            ("subject_property", subject and subject.id, subject.properties if subject else {}),
            ("action_property", action and action.name, action.properties if action else {}),
            ("resource_property", resource and resource.id, resource.properties if resource else {}),
        ):
            if ident is None:
                continue
            for key, value in properties.items():
                converted = _value(value)
                if converted is not None:
                    found.setdefault(relation, []).append((ident, key, converted))
        return found

    def context_rows(self, context: dict[str, Any]) -> list[tuple[Any, ...]]:
        """``context_property(key, value)`` rows of a request's context (when the policy declares
        it): each value the rule language can write, the service's own keys left out."""
        if not self.uses_context:
            return []
        rows = []
        for key, value in context.items():
            converted = _value(value)
            if converted is not None and key not in SERVICE_CONTEXT_KEYS:
                rows.append((key, converted))
        return rows

    def key(self, ev: Evaluation) -> str:
        """What of a request beyond its ids decides: its properties (and its context, when the
        policy reads it)."""
        context = ev.context if self.uses_context else None
        return json.dumps(
            [ev.subject.properties, ev.action.properties, ev.resource.properties, context],
            sort_keys=True,
            default=str,
        )

    def slow(self, ev: Evaluation) -> bool:
        """Whether the request fills input relations (evaluated per request: off the event loop)."""
        return bool(
            ev.subject.properties
            or ev.action.properties
            or ev.resource.properties
            or self.context_rows(ev.context)
        )

    def slow_search(self, search: Search) -> bool:
        action = search.action.properties if search.action is not None else {}
        return bool(
            search.subject.properties
            or search.resource.properties
            or action
            or self.context_rows(search.context)
        )

    def _scoped(
        self,
        policy: Policy,
        subject: Thing | None,
        action: Action | None,
        resource: Thing | None,
        context: dict[str, Any],
    ) -> Policy:
        declared = policy.input_relations
        rows = {r: v for r, v in self.rows(subject, action, resource).items() if r in declared}
        context_rows = self.context_rows(context)
        if context_rows:
            rows["context_property"] = context_rows
        return policy.with_input(rows) if rows else policy

    def _known(self, policy: Policy, relation: str, row: tuple[str | None, ...]) -> bool:
        return relation not in self.declared or row in policy.relation(relation)

    def evaluate(self, policy: Policy, ev: Evaluation) -> Verdict:
        assert ev.subject.id is not None and ev.resource.id is not None
        if not self._known(policy, "subject", (ev.subject.id, ev.subject.type)):
            return Verdict(False, reason=f"unknown {ev.subject.type[:60]} `{ev.subject.id[:120]}`")
        if not self._known(policy, "resource", (ev.resource.id, ev.resource.type)):
            return Verdict(False, reason=f"unknown {ev.resource.type[:60]} `{ev.resource.id[:120]}`")
        if not self._known(policy, "action", (ev.action.name,)):
            return Verdict(False, reason=f"unknown action `{ev.action.name[:120]}`")
        try:
            scoped = self._scoped(policy, ev.subject, ev.action, ev.resource, ev.context)
            decision = scoped.holds(("may", (ev.subject.id, ev.action.name, ev.resource.id)))
        except PolicyError as err:
            return Verdict(False, reason=str(err).split("\n", 1)[0])
        return Verdict(decision.allowed, decision.question, decision)

    def search(self, policy: Policy, search: Search) -> tuple[list[dict[str, Any]], Refused | None]:
        try:
            if search.target == "subject":
                scoped = self._scoped(policy, None, search.action, search.resource, search.context)
                assert search.action is not None
                found = {
                    s
                    for s, a, r in scoped.relation("may")
                    if a == search.action.name and r == search.resource.id
                }
                typed = {i for i, t in policy.relation("subject") if t == search.subject.type}
                return [{"type": search.subject.type, "id": i} for i in sorted(found & typed, key=str)], None
            if search.target == "resource":
                scoped = self._scoped(policy, search.subject, search.action, None, search.context)
                assert search.action is not None
                found = {
                    r
                    for s, a, r in scoped.relation("may")
                    if s == search.subject.id and a == search.action.name
                }
                typed = {i for i, t in policy.relation("resource") if t == search.resource.type}
                return [{"type": search.resource.type, "id": i} for i in sorted(found & typed, key=str)], None
            scoped = self._scoped(policy, search.subject, None, search.resource, search.context)
            if not self._known(
                policy, "subject", (search.subject.id, search.subject.type)
            ) or not self._known(policy, "resource", (search.resource.id, search.resource.type)):
                return [], None
            names = {
                a for s, a, r in scoped.relation("may") if s == search.subject.id and r == search.resource.id
            }
            return [{"name": a} for a in sorted(names, key=str)], None
        except PolicyError as err:
            return [], Refused(str(err).split("\n", 1)[0])


Adapter = CantonAdapter | InputAdapter


def adapter_for(policy: Policy) -> Adapter:
    """The adapter of a policy: request facts when it declares the AuthZEN input relations, else
    the canton's questions."""
    return InputAdapter(policy) if InputAdapter.fits(policy) else CantonAdapter()


SERVICE_CONTEXT_KEYS = frozenset({"explain", "as_of"})
"""The context keys the service reads itself (never request facts)."""


def _value(value: object) -> str | int | None:
    """A JSON value as a value of the rule language: a string as it is, a boolean the atom
    ``true`` or ``false``, an integer as it is; None for a value the language cannot write."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str) or (isinstance(value, int) and abs(value) < 10**18):
        return value
    return None


# -- pagination -----------------------------------------------------------------------------------------


def request_digest(body: dict[str, Any]) -> str:
    """What must stay the same from page to page: the request without the page token."""
    page = body.get("page")
    rest = {k: v for k, v in body.items() if k != "page"}
    if isinstance(page, dict):
        rest["page"] = {k: v for k, v in page.items() if k != "token"}
    canonical = json.dumps(rest, sort_keys=True, separators=(",", ":"), ensure_ascii=True, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()[:24]


def make_token(offset: int, digest: str) -> str:
    return base64.urlsafe_b64encode(f"{offset}:{digest}".encode()).decode().rstrip("=")


def read_token(token: str, digest: str) -> int:
    """The offset a token of this request stands for; Invalid for a token of another request."""
    try:
        text = base64.urlsafe_b64decode(token[:200] + "=" * (-len(token[:200]) % 4)).decode()
        offset_text, _, given = text.partition(":")
        offset = int(offset_text)
    except (ValueError, UnicodeDecodeError):
        raise Invalid("`page.token` is no token this service gave") from None
    if given != digest or offset < 0:
        raise Invalid(
            "`page.token` belongs to another request: the entities, context and limit of a "
            "request for a further page must be those of the first"
        )
    return offset


def page_of(
    results: list[dict[str, Any]], search: Search, digest: str, max_page: int
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The page the request asks for, and the ``page`` object of the response."""
    offset = read_token(search.token, digest) if search.token else 0
    size = max_page if search.limit is None else min(search.limit, max_page)
    chunk = results[offset : offset + size]
    end = offset + len(chunk)
    next_token = make_token(end, digest) if end < len(results) and size > 0 else ""
    return {"next_token": next_token, "count": len(chunk), "total": len(results)}, chunk
