"""The engine's HTTP client: deadlines, byte caps, transport errors, budgets and redaction."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from conformance.engine.client import Budget, BudgetExhausted, ClientConfig, TargetClient
from conformance.exchange import REDACTED
from conformance.server.background import free_port, running_server

SECRET = "sk-very-secret-key"


async def drip(request: Request) -> Response:
    async def forever() -> AsyncIterator[bytes]:
        while True:
            yield b"{"
            await asyncio.sleep(0.05)
    return StreamingResponse(forever(), media_type="application/json")


async def big(request: Request) -> Response:
    return Response(b"x" * 200_000, media_type="application/json")


async def tells(request: Request) -> Response:
    return JSONResponse({"message": f"your key {request.headers.get('authorization')} is wrong"}, status_code=401)


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    app = Starlette(routes=[Route("/v1/drip", drip), Route("/v1/big", big), Route("/v1/tells", tells)])
    with running_server(app) as url:
        yield url


def client(base_url: str, **options: object) -> TargetClient:
    return TargetClient(ClientConfig(base_url=base_url, api_key=SECRET, **options))  # type: ignore[arg-type]


def test_a_response_that_never_ends_costs_at_most_the_deadline(base_url: str) -> None:
    with client(base_url, request_timeout=0.5) as target:
        started = time.monotonic()
        reply = target.get("drip")
    assert time.monotonic() - started < 2.0
    assert reply.status == 200 and reply.transport_error == "response not complete within 0.5 s"


def test_a_response_over_the_byte_cap_is_cut(base_url: str) -> None:
    with client(base_url, max_response_bytes=50_000) as target:
        reply = target.get("big")
    assert reply.transport_error == "response body exceeds 50000 bytes"
    assert reply.content == b""


def test_a_refused_connection_is_a_transport_error_not_an_exception() -> None:
    with client(f"http://127.0.0.1:{free_port()}/v1") as target:
        reply = target.get("anything")
    assert reply.status is None and reply.transport_error
    assert reply.describe().startswith("no response (ConnectError")


def test_secrets_never_enter_the_evidence(base_url: str) -> None:
    with client(base_url, headers={"X-Tenant-Token": "tenant-secret"},
                secret_headers=frozenset({"x-tenant-token"})) as target:
        exchange = target.get("tells").exchange
    assert exchange.request_headers["authorization"] == REDACTED
    assert exchange.request_headers["x-tenant-token"] == REDACTED
    assert SECRET not in exchange.response_body and REDACTED in exchange.response_body


def test_the_budget_stops_requests_but_not_unbudgeted_ones(base_url: str) -> None:
    budget = Budget(max_requests=1)
    with TargetClient(ClientConfig(base_url=base_url), budget) as target:
        target.get("tells")
        with pytest.raises(BudgetExhausted):
            target.get("tells")
        assert target.get("tells", budgeted=False).status == 401  # cleanup still works
    assert budget.sent == 2 and budget.exhausted


def test_openai_beta_is_sent_and_can_be_overridden() -> None:
    assert ClientConfig(base_url="http://x/v1").default_headers()["OpenAI-Beta"] == "assistants=v2"
    overridden = ClientConfig(base_url="http://x/v1", headers={"openai-beta": "assistants=v1"}).default_headers()
    assert [value for name, value in overridden.items() if name.lower() == "openai-beta"] == ["assistants=v1"]
