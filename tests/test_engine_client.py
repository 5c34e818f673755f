"""The engine's HTTP client: deadlines, byte caps, transport errors, budgets, 429 retries and redaction."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from conformance.engine import client as client_module
from conformance.engine.client import (
    MAX_RETRY_WAIT,
    RATE_LIMIT_RETRIES,
    Budget,
    BudgetExhausted,
    ClientConfig,
    RateLimited,
    TargetClient,
    retry_rate_limited,
)
from conformance.core.redaction import REDACTED
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
        exchange = target.get("tells")
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


@dataclass
class Answer:
    status: int | None
    response_headers: dict[str, str]


def test_a_429_is_retried_after_the_wait_it_asks_for(monkeypatch: pytest.MonkeyPatch) -> None:
    waits: list[float] = []
    monkeypatch.setattr(client_module.time, "sleep", waits.append)
    answers = iter([Answer(429, {"Retry-After": "2"}), Answer(429, {"retry-after-ms": "1500"}),
                    Answer(429, {"Retry-After": "soon"}), Answer(200, {})])
    assert retry_rate_limited(lambda: next(answers), "GET x").status == 200
    assert waits == [2.0, 1.5, 4.0]  # the last one unreadable: the backoff's third step


def test_a_target_that_stays_rate_limited_abandons_the_work_after_the_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    waits: list[float] = []
    monkeypatch.setattr(client_module.time, "sleep", waits.append)
    sent: list[Answer] = []

    def send() -> Answer:
        sent.append(Answer(429, {"Retry-After": "3600"}))
        return sent[-1]

    with pytest.raises(RateLimited, match="GET x: still 429"):
        retry_rate_limited(send, "GET x")
    assert len(sent) == 1 + RATE_LIMIT_RETRIES and waits == [MAX_RETRY_WAIT] * RATE_LIMIT_RETRIES


def test_the_auth_probe_keeps_its_wrong_key_in_the_evidence_and_never_the_real_one(base_url: str) -> None:
    with client(base_url) as target:
        wrong = target.post("tells", {}, public_headers={"Authorization": "Bearer sk-wrong"})
        leaked = target.post("tells", {}, public_headers={"Authorization": f"Bearer {SECRET}"})
        missing = target.post("tells", {}, omit_headers=("Authorization",))
    assert wrong.request_headers["authorization"] == "Bearer sk-wrong"
    assert leaked.request_headers["authorization"] == f"Bearer {REDACTED}"  # the real key is scrubbed anyway
    assert "authorization" not in {name.lower() for name in missing.request_headers}
