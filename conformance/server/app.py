"""The reference server's HTTP surface: routes under /v1, auth, and error handling."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from conformance.server.config import ServerConfig
from conformance.server.errors import (
    ApiError,
    api_error_handler,
    http_exception_handler,
    server_error_handler,
)
from conformance.server.event_stream import event_stream
from conformance.server.objects import JSON
from conformance.server.pagination import page_query
from conformance.server.responses import json_response
from conformance.server.store import Store
from conformance.server.validation import check_body, json_object


def create_app(config: ServerConfig | None = None) -> Starlette:
    """The reference server as an ASGI app; its state lives in ``app.state.store``."""
    config = config or ServerConfig()
    app = Starlette(
        routes=ROUTES,
        middleware=[Middleware(BearerAuth, api_key=config.api_key)] if config.api_key else [],
        exception_handlers={
            ApiError: api_error_handler,
            HTTPException: http_exception_handler,
            Exception: server_error_handler,
        },
    )
    app.router.redirect_slashes = False  # a trailing slash is an unknown URL, not a bodiless 307
    app.state.store = Store(config)
    return app


class BearerAuth:
    """401 with the error envelope unless ``Authorization: Bearer <api_key>``."""

    def __init__(self, app: ASGIApp, api_key: str) -> None:
        self.app = app
        self.expected = f"Bearer {api_key}".encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            header = Headers(scope=scope).get("authorization")
            if header is None or not secrets.compare_digest(header.encode(), self.expected):
                # Never echo what was sent: it may be a real key.
                message = ("You didn't provide an API key." if header is None
                           else "Incorrect API key provided.")
                error = ApiError(401, message, code="invalid_api_key", headers={"WWW-Authenticate": "Bearer"})
                await error.response()(scope, receive, send)
                return
        await self.app(scope, receive, send)


def _store(request: Request) -> Store:
    return request.app.state.store


def _run_headers(request: Request) -> dict[str, str]:
    # The SDK's polling helpers wait this long between GETs (1 s without it).
    delay_ms = max(1, round(_store(request).config.step_delay * 1000))
    return {"openai-poll-after-ms": str(delay_ms)}


def _events(stream: AsyncIterator[bytes]) -> Response:
    return StreamingResponse(stream, media_type="text/event-stream", headers={"Cache-Control": "no-cache"})


# --- assistants -----------------------------------------------------------------------------
def _checked(schema_name: str, body: JSON, request: Request) -> None:
    check_body(schema_name, body, _store(request).config.spec)


async def create_assistant(request: Request) -> Response:
    body = await json_object(request)
    _checked("CreateAssistantRequest", body, request)
    return json_response(_store(request).create_assistant(body))


async def get_assistant(request: Request) -> Response:
    return json_response(_store(request).get_assistant(request.path_params["assistant_id"]))


async def delete_assistant(request: Request) -> Response:
    return json_response(_store(request).delete_assistant(request.path_params["assistant_id"]))


# --- threads and runs -----------------------------------------------------------------------
async def create_thread_and_run(request: Request) -> Response:
    body = await json_object(request)
    _checked("CreateThreadAndRunRequest", body, request)  # errors answer as JSON, before any event
    store = _store(request)
    run = store.create_thread_and_run(body)
    if body.get("stream"):
        return _events(event_stream(store, run["thread_id"], run["id"], cursor=0))
    return json_response(run, headers=_run_headers(request))


async def get_thread(request: Request) -> Response:
    return json_response(_store(request).get_thread(request.path_params["thread_id"]))


async def list_runs(request: Request) -> Response:
    query = page_query(request.query_params)
    return json_response(_store(request).list_runs(request.path_params["thread_id"], query))


async def get_run(request: Request) -> Response:
    params = request.path_params
    run = _store(request).get_run(params["thread_id"], params["run_id"])
    return json_response(run, headers=_run_headers(request))


async def cancel_run(request: Request) -> Response:
    params = request.path_params
    run = _store(request).cancel_run(params["thread_id"], params["run_id"])
    return json_response(run, headers=_run_headers(request))


async def submit_tool_outputs(request: Request) -> Response:
    body = await json_object(request)
    _checked("SubmitToolOutputsRunRequest", body, request)
    store, params = _store(request), request.path_params
    run, cursor = store.submit_tool_outputs(params["thread_id"], params["run_id"], body["tool_outputs"])
    if body.get("stream"):
        return _events(event_stream(store, params["thread_id"], params["run_id"], cursor))
    return json_response(run, headers=_run_headers(request))


# --- steps and messages ---------------------------------------------------------------------
async def list_steps(request: Request) -> Response:
    params = request.path_params
    query = page_query(request.query_params)  # include[] only adds file_search results: none here
    return json_response(_store(request).list_steps(params["thread_id"], params["run_id"], query))


async def get_step(request: Request) -> Response:
    params = request.path_params
    return json_response(_store(request).get_step(params["thread_id"], params["run_id"], params["step_id"]))


async def list_messages(request: Request) -> Response:
    query = page_query(request.query_params)
    run_id = request.query_params.get("run_id")
    return json_response(_store(request).list_messages(request.path_params["thread_id"], query, run_id))


async def get_message(request: Request) -> Response:
    params = request.path_params
    return json_response(_store(request).get_message(params["thread_id"], params["message_id"]))


_RUN = "/v1/threads/{thread_id}/runs/{run_id}"
ROUTES = [
    Route("/v1/assistants", create_assistant, methods=["POST"]),
    Route("/v1/assistants/{assistant_id}", get_assistant, methods=["GET"]),
    Route("/v1/assistants/{assistant_id}", delete_assistant, methods=["DELETE"]),
    Route("/v1/threads/runs", create_thread_and_run, methods=["POST"]),
    Route("/v1/threads/{thread_id}", get_thread, methods=["GET"]),
    Route("/v1/threads/{thread_id}/runs", list_runs, methods=["GET"]),
    Route(_RUN, get_run, methods=["GET"]),
    Route(_RUN + "/cancel", cancel_run, methods=["POST"]),
    Route(_RUN + "/submit_tool_outputs", submit_tool_outputs, methods=["POST"]),
    Route(_RUN + "/steps", list_steps, methods=["GET"]),
    Route(_RUN + "/steps/{step_id}", get_step, methods=["GET"]),
    Route("/v1/threads/{thread_id}/messages", list_messages, methods=["GET"]),
    Route("/v1/threads/{thread_id}/messages/{message_id}", get_message, methods=["GET"]),
]
