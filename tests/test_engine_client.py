"""The engine's HTTP client: deadlines, byte caps, transport errors, budgets, 429 retries and redaction."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from conformance.core.errors import BudgetExhausted, RateLimited, TargetUnreachable
from conformance.core.redaction import REDACTED
from conformance.engine.client import (
    CONNECT_RETRIES,
    MAX_RETRY_WAIT,
    RATE_LIMIT_RETRIES,
    RATE_LIMITED_IN_A_ROW,
    Budget,
    ClientConfig,
    TargetClient,
    retry_rate_limited,
)
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


def test_a_refused_connection_is_no_answer_to_judge_but_a_target_gone() -> None:
    with client(f"http://127.0.0.1:{free_port()}/v1") as target:
        started = time.monotonic()
        with pytest.raises(TargetUnreachable, match="cannot connect to the target: ConnectError"):
            target.get("anything")
    assert target.budget.sent == 1 + CONNECT_RETRIES and time.monotonic() - started < 3


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


def waiting_budget(monkeypatch: pytest.MonkeyPatch, **options: float) -> tuple[Budget, list[float]]:
    """A budget whose waits are recorded, not slept."""
    budget, waits = Budget(**options), []  # type: ignore[arg-type]
    monkeypatch.setattr(budget, "sleep", waits.append)
    return budget, waits


def always(answer: Answer) -> tuple[Callable[[], Answer], list[Answer]]:
    sent: list[Answer] = []

    def send() -> Answer:
        sent.append(answer)
        return answer

    return send, sent


def test_a_429_is_retried_after_the_wait_it_asks_for(monkeypatch: pytest.MonkeyPatch) -> None:
    budget, waits = waiting_budget(monkeypatch)
    answers = iter([Answer(429, {"Retry-After": "2"}), Answer(429, {"retry-after-ms": "1500"}),
                    Answer(429, {"Retry-After": "soon"}), Answer(200, {})])
    assert retry_rate_limited(lambda: next(answers), "GET x", budget).status == 200
    assert waits == [2.0, 1.5, 4.0]  # the last one unreadable: the backoff's third step
    assert (budget.rate_limited, budget.rate_limit_waited) == (3, 7.5)


def test_a_target_that_stays_rate_limited_abandons_the_work_after_the_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    budget, waits = waiting_budget(monkeypatch)
    send, sent = always(Answer(429, {"Retry-After": "1"}))
    with pytest.raises(RateLimited, match="GET x: rate limited"):
        retry_rate_limited(send, "GET x", budget)
    assert len(sent) == 1 + RATE_LIMIT_RETRIES and waits == [1.0] * RATE_LIMIT_RETRIES


def test_a_wait_beyond_the_longest_allowed_is_not_waited_for(monkeypatch: pytest.MonkeyPatch) -> None:
    budget, waits = waiting_budget(monkeypatch)
    send, sent = always(Answer(429, {"Retry-After": str(MAX_RETRY_WAIT + 1)}))
    with pytest.raises(RateLimited):
        retry_rate_limited(send, "GET x", budget)
    assert (len(sent), waits) == (1, [])


def test_the_run_waits_for_429s_within_its_budget_then_stops_on_a_run_of_them(monkeypatch: pytest.MonkeyPatch) -> None:
    budget, waits = waiting_budget(monkeypatch, rate_limit_wait=2.5)
    send, sent = always(Answer(429, {"Retry-After": "1"}))
    with pytest.raises(RateLimited):
        retry_rate_limited(send, "GET x", budget)
    assert waits == [1.0, 1.0]  # a third second would pass the run's allowance
    for _ in range(RATE_LIMITED_IN_A_ROW):
        budget.answered(429)
    assert budget.stop.is_set() and budget.stopped and "429" in budget.stopped


def test_the_auth_probe_keeps_its_wrong_key_in_the_evidence_and_never_the_real_one(base_url: str) -> None:
    with client(base_url) as target:
        wrong = target.post("tells", {}, public_headers={"Authorization": "Bearer sk-wrong"})
        leaked = target.post("tells", {}, public_headers={"Authorization": f"Bearer {SECRET}"})
        missing = target.post("tells", {}, omit_headers=("Authorization",))
    assert wrong.request_headers["authorization"] == "Bearer sk-wrong"
    assert leaked.request_headers["authorization"] == f"Bearer {REDACTED}"  # the real key is scrubbed anyway
    assert "authorization" not in {name.lower() for name in missing.request_headers}
