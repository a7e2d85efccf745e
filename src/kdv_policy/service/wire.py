"""Reading requests and writing responses: JSON bodies within bounds, errors without internals.

Every problem with a request is an :class:`HTTPProblem` (status, one-sentence message); the
application turns it into ``{"error": {"status": ..., "message": ...}}``. Nothing else of an
exception ever reaches a response.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response

JSON_TYPE = "application/json"


class HTTPProblem(Exception):
    """A request the service refuses: the HTTP status and one sentence for the caller."""

    def __init__(self, status: int, message: str, **details: Any) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.details = details

    def body(self) -> dict[str, Any]:
        return {"error": {"status": self.status, "message": self.message, **self.details}}


def dumps(data: Any) -> bytes:
    """Compact UTF-8 JSON: orjson, and the standard library for what orjson does not take (keys
    that are no strings, integers over 64 bits)."""
    try:
        return orjson.dumps(data)
    except TypeError:
        return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


class JSONBody(Response):
    """A JSON response (compact, UTF-8)."""

    media_type = JSON_TYPE

    def render(self, content: Any) -> bytes:
        return dumps(content)


def problem_response(problem: HTTPProblem, headers: dict[str, str] | None = None) -> JSONBody:
    extra = dict(headers or {})
    if problem.status == 401:
        extra["WWW-Authenticate"] = 'Bearer realm="kdv_policy"'
    return JSONBody(problem.body(), status_code=problem.status, headers=extra)


def is_json(content_type: str | None) -> bool:
    """``application/json``, with or without parameters (``; charset=utf-8``)."""
    if not content_type:
        return False
    return content_type.split(";", 1)[0].strip().lower() == JSON_TYPE


async def read_body(request: Request, max_bytes: int, timeout: float) -> bytes:
    """The request body, refused over ``max_bytes`` (413) or when it takes over ``timeout`` s (408)."""
    declared = request.headers.get("content-length")
    if declared is not None:
        if not declared.isdigit():
            raise HTTPProblem(400, f"the content length `{declared[:40]}` is no number")
        if int(declared) > max_bytes:
            raise HTTPProblem(
                413, f"the request body is larger than the limit of {max_bytes} bytes (max_body_bytes)"
            )
    body = bytearray()
    try:
        async with asyncio.timeout(timeout):  # lighter than a cancel scope; the server runs asyncio
            async for chunk in request.stream():
                body += chunk
                if len(body) > max_bytes:
                    raise HTTPProblem(
                        413,
                        f"the request body is larger than the limit of {max_bytes} bytes (max_body_bytes)",
                    )
    except TimeoutError:
        raise HTTPProblem(408, f"the request body did not arrive within {timeout:g} seconds") from None
    return bytes(body)


async def read_json_object(request: Request, max_bytes: int, timeout: float) -> dict[str, Any]:
    """The request body as a JSON object; 400 for another content type, an empty body, malformed
    JSON or JSON that is no object."""
    if not is_json(request.headers.get("content-type")):
        raise HTTPProblem(400, "the request's content type must be `application/json`")
    body = await read_body(request, max_bytes, timeout)
    return parse_json_object(body)


def parse_json_object(body: bytes) -> dict[str, Any]:
    if not body.strip():
        raise HTTPProblem(400, "the request body is empty; it must be a JSON object")
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError as err:
        raise HTTPProblem(400, _malformed(body, err)) from None
    if not isinstance(data, dict):
        raise HTTPProblem(400, f"the request body must be a JSON object, not {json_kind(data)}")
    return data


def _malformed(body: bytes, err: orjson.JSONDecodeError) -> str:
    """The sentence for a body orjson refused: not UTF-8, nested too deeply or a number too
    long, or where the JSON goes wrong."""
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return "the request body is not UTF-8"
    if "depth" in err.msg or "infinity" in err.msg or "64-bit" in err.msg:
        return "the request body is JSON this service does not read: nested too deeply or a number too long"
    return f"the request body is not valid JSON: {err.msg} at line {err.lineno}, column {err.colno}"


def json_kind(value: object) -> str:
    """The JSON name of a value's type, for messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"
