"""The OpenAPI 3.1 document of the service: every endpoint, its arguments and its answers."""

from __future__ import annotations

from typing import Any

from kdv_policy._version import __version__
from kdv_policy.service.native import QUESTIONS

_REF = "#/components/schemas/"


def _ref(name: str) -> dict[str, str]:
    return {"$ref": _REF + name}


def _json_body(schema: dict[str, Any], description: str = "") -> dict[str, Any]:
    return {
        "description": description or "a JSON object",
        "content": {"application/json": {"schema": schema}},
    }


_ERRORS = {
    "400": _json_body(
        _ref("Error"),
        "a missing field or sub-field, a wrong type, a content type other than "
        "application/json, malformed or empty JSON",
    ),
    "401": _json_body(_ref("Error"), "the bearer token is missing or wrong"),
    "413": _json_body(_ref("Error"), "the body is larger than max_body_bytes"),
    "503": _json_body(_ref("Error"), "not answered within the timeout"),
}

_SCHEMAS: dict[str, Any] = {
    "Subject": {
        "type": "object",
        "required": ["type", "id"],
        "properties": {
            "type": {"type": "string", "description": "body, role or person (the canton's policy)"},
            "id": {"type": "string", "description": "an id or a name as people type it"},
            "properties": {"type": "object"},
        },
    },
    "Resource": {
        "type": "object",
        "required": ["type", "id"],
        "properties": {
            "type": {"type": "string", "description": "object or unit (the canton's policy)"},
            "id": {"type": "string"},
            "properties": {"type": "object"},
        },
    },
    "Action": {
        "type": "object",
        "required": ["name"],
        "properties": {
            "name": {"type": "string", "description": "a verb of the policy's vocabulary, German or English"},
            "properties": {"type": "object"},
        },
    },
    "Context": {
        "type": "object",
        "properties": {
            "explain": {"type": "boolean", "description": "the response context carries the explanation"},
            "as_of": {"type": "string", "format": "date", "description": "ask the policy as of this date"},
        },
        "additionalProperties": True,
    },
    "EvaluationRequest": {
        "type": "object",
        "required": ["subject", "action", "resource"],
        "properties": {
            "subject": _ref("Subject"),
            "action": _ref("Action"),
            "resource": _ref("Resource"),
            "context": _ref("Context"),
        },
    },
    "Decision": {
        "type": "object",
        "required": ["decision"],
        "properties": {
            "decision": {"type": "boolean"},
            "context": {
                "type": "object",
                "properties": {
                    "decision_id": {
                        "type": "string",
                        "description": "the key of the decision in the audit log",
                    },
                    "reason": {"type": "string", "description": "why a request's names could not be taken"},
                    "suggestions": {"type": "array", "items": {"type": "object"}},
                    "error": _ref("ErrorDetail"),
                    "summary": {"type": "string"},
                    "explanation": {"type": "string"},
                    "citations": {"type": "array", "items": {"type": "string"}},
                    "rule_ids": {"type": "array", "items": {"type": "string"}},
                },
            },
        },
    },
    "EvaluationsRequest": {
        "type": "object",
        "properties": {
            "subject": _ref("Subject"),
            "action": _ref("Action"),
            "resource": _ref("Resource"),
            "context": _ref("Context"),
            "evaluations": {
                "type": "array",
                "items": {"type": "object"},
                "description": "each item replaces the top-level defaults it names, whole",
            },
            "options": {
                "type": "object",
                "properties": {
                    "evaluations_semantic": {
                        "type": "string",
                        "enum": ["execute_all", "deny_on_first_deny", "permit_on_first_permit"],
                    }
                },
            },
        },
    },
    "EvaluationsResponse": {
        "type": "object",
        "properties": {"evaluations": {"type": "array", "items": _ref("Decision")}},
    },
    "SearchRequest": {
        "type": "object",
        "properties": {
            "subject": _ref("Subject"),
            "action": _ref("Action"),
            "resource": _ref("Resource"),
            "context": _ref("Context"),
            "page": {
                "type": "object",
                "properties": {"token": {"type": "string"}, "limit": {"type": "integer", "minimum": 0}},
            },
        },
    },
    "SearchResponse": {
        "type": "object",
        "required": ["results"],
        "properties": {
            "page": {
                "type": "object",
                "properties": {
                    "next_token": {"type": "string"},
                    "count": {"type": "integer"},
                    "total": {"type": "integer"},
                },
            },
            "context": {"type": "object"},
            "results": {"type": "array", "items": {"type": "object"}},
        },
    },
    "Metadata": {
        "type": "object",
        "required": ["policy_decision_point", "access_evaluation_endpoint"],
        "properties": {
            k: {"type": "string", "format": "uri"}
            for k in (
                "policy_decision_point",
                "access_evaluation_endpoint",
                "access_evaluations_endpoint",
                "search_subject_endpoint",
                "search_resource_endpoint",
                "search_action_endpoint",
            )
        },
    },
    "ErrorDetail": {
        "type": "object",
        "properties": {"status": {"type": "integer"}, "message": {"type": "string"}},
    },
    "Error": {"type": "object", "required": ["error"], "properties": {"error": _ref("ErrorDetail")}},
    "Answer": {
        "type": "object",
        "description": "the API's result as JSON (Decision or Answers of "
        "kdv_policy.policy.results), with decision_id and version",
        "properties": {"decision_id": {"type": "string"}, "version": {"type": "string"}},
        "additionalProperties": True,
    },
}

_SHARED_PARAMETERS = [
    {
        "name": "at",
        "in": "query",
        "schema": {"type": "string", "format": "date"},
        "description": "ask the policy as of this date",
    },
    {
        "name": "interpretation",
        "in": "query",
        "schema": {"type": "array", "items": {"type": "string"}},
        "description": "adopt these interpretations instead of the policy's own (repeatable)",
    },
    {"name": "text_only", "in": "query", "schema": {"type": "boolean"}, "description": "adopt none"},
    {
        "name": "lang",
        "in": "query",
        "schema": {"type": "string", "enum": ["de", "en"]},
        "description": "the language of summaries and explanations (default: Accept-Language)",
    },
    {
        "name": "explain",
        "in": "query",
        "schema": {"type": "boolean", "default": True},
        "description": "include the explanation",
    },
]


def _post(summary: str, request: str, response: str, tag: str) -> dict[str, Any]:
    return {
        "post": {
            "summary": summary,
            "tags": [tag],
            "requestBody": {"required": True, "content": {"application/json": {"schema": _ref(request)}}},
            "parameters": [
                {
                    "name": "X-Request-ID",
                    "in": "header",
                    "schema": {"type": "string"},
                    "description": "echoed in the response",
                },
                {
                    "name": "X-KDV-Explain",
                    "in": "header",
                    "schema": {"type": "boolean"},
                    "description": "as context.explain: the explanation in the response context",
                },
                {
                    "name": "Accept-Language",
                    "in": "header",
                    "schema": {"type": "string"},
                    "description": "de or en: the language of the explanation",
                },
            ],
            "responses": {"200": _json_body(_ref(response)), **_ERRORS},
        }
    }


def _get(
    summary: str, tag: str, schema: dict[str, Any] | None = None, media: str = "application/json"
) -> dict[str, Any]:
    return {
        "get": {
            "summary": summary,
            "tags": [tag],
            "responses": {
                "200": {"description": "OK", "content": {media: {"schema": schema or {"type": "object"}}}}
            },
        }
    }


def openapi_document(version: str) -> dict[str, Any]:
    """The document served at ``/openapi.json``."""
    paths: dict[str, Any] = {
        "/access/v1/evaluation": _post(
            "AuthZEN Access Evaluation: may the subject do the action on the resource?",
            "EvaluationRequest",
            "Decision",
            "AuthZEN",
        ),
        "/access/v1/evaluations": _post(
            "AuthZEN Access Evaluations: several evaluations, top-level defaults, evaluation semantics",
            "EvaluationsRequest",
            "EvaluationsResponse",
            "AuthZEN",
        ),
        "/access/v1/search/subject": _post(
            "AuthZEN Subject Search: who may (subjects of the given type)",
            "SearchRequest",
            "SearchResponse",
            "AuthZEN",
        ),
        "/access/v1/search/resource": _post(
            "AuthZEN Resource Search: on what may the subject do the action",
            "SearchRequest",
            "SearchResponse",
            "AuthZEN",
        ),
        "/access/v1/search/action": _post(
            "AuthZEN Action Search: which actions may the subject do on the resource",
            "SearchRequest",
            "SearchResponse",
            "AuthZEN",
        ),
        "/.well-known/authzen-configuration": _get("AuthZEN PDP metadata", "AuthZEN", _ref("Metadata")),
        "/health": _get("Liveness: the process answers", "operations"),
        "/ready": _get("Readiness: a policy version is loaded and answering", "operations"),
        "/metrics": _get("Prometheus metrics", "operations", {"type": "string"}, "text/plain"),
        "/openapi.json": _get("This document", "operations"),
    }
    for q in QUESTIONS:
        parameters = [
            {"name": n, "in": "query", "required": n in q.required, "schema": {"type": "string"}}
            for n in q.required + q.optional
        ] + _SHARED_PARAMETERS
        answer = {
            "200": _json_body(_ref("Answer")),
            "404": _json_body(_ref("Error"), "an unknown name (with suggestions)"),
            "409": _json_body(_ref("Error"), "an ambiguous name (with the candidates)"),
            "422": _json_body(_ref("Error"), "refused by a limit"),
            **_ERRORS,
        }
        paths[f"/v1/{q.name}"] = {
            "get": {"summary": q.summary, "tags": ["native"], "parameters": parameters, "responses": answer},
            "post": {
                "summary": q.summary + " (arguments as a JSON object)",
                "tags": ["native"],
                "requestBody": {
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "required": list(q.required),
                                "properties": {n: {"type": "string"} for n in q.required + q.optional},
                            }
                        }
                    }
                },
                "responses": answer,
            },
        }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "kdv_policy decision service",
            "version": __version__,
            "description": "AuthZEN Authorization API 1.0 and native questions over the KDV policy "
            f"(policy version {version} at start). Every response carries the header "
            "X-KDV-Policy-Version.",
        },
        "components": {
            "schemas": _SCHEMAS,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
        "security": [{"bearer": []}, {}],
        "paths": paths,
    }
