"""The OpenAI error envelope, and the handlers that make every failure answer with it.

Every status >= 400 carries ``{"error": {"message", "type", "param", "code"}}`` (all four
keys, ErrorResponse in the spec) as application/json: our own errors (``ApiError``), unknown
routes and methods (Starlette's HTTPException), and unexpected exceptions (500).
"""

from __future__ import annotations

from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from conformance.server.responses import json_response

INVALID_REQUEST = "invalid_request_error"


class ApiError(Exception):
    def __init__(
        self,
        status: int,
        message: str,
        *,
        type: str = INVALID_REQUEST,
        param: str | None = None,
        code: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.type = type
        self.param = param
        self.code = code
        self.headers = headers

    def envelope(self) -> dict[str, Any]:
        return {"error": {"message": self.message, "type": self.type, "param": self.param, "code": self.code}}

    def response(self) -> Response:
        return json_response(self.envelope(), status=self.status, headers=self.headers)


def bad_request(message: str, *, param: str | None = None, code: str | None = None) -> ApiError:
    return ApiError(400, message, param=param, code=code)


def not_found(kind: str, object_id: str, *, param: str | None = None) -> ApiError:
    return ApiError(404, f"No {kind} found with id '{object_id}'.", param=param)


async def api_error_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return exc.response()


async def http_exception_handler(request: Request, exc: Exception) -> Response:
    """Routing failures (unknown URL, wrong method) in the envelope instead of plain text."""
    assert isinstance(exc, HTTPException)
    where = f"{request.method} {request.url.path}"
    if exc.status_code == 404:
        error = ApiError(404, f"Invalid URL ({where}).", code="unknown_url")
    elif exc.status_code == 405:
        error = ApiError(405, f"Invalid method for URL ({where}).", code="method_not_allowed",
                         headers=dict(exc.headers or {}))
    else:
        error = ApiError(exc.status_code, exc.detail or "Request failed.", headers=dict(exc.headers or {}))
    return error.response()


async def server_error_handler(request: Request, exc: Exception) -> Response:
    return ApiError(
        500, "The server had an error while processing your request.", type="server_error"
    ).response()
