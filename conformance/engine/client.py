"""The HTTP client the engine talks to a target with.

Every request is read by ``stream_capture`` under hard limits: a total deadline (headers and
body, whatever the target trickles) and a byte cap after content decoding, so a target that
stalls or sends forever costs at most the deadline and the cap. Every request produces an
``Exchange``: redacted evidence, and the full body (up to the cap) for the checks. A request the
target did not answer (reset, timed out, over the cap) is an exchange with ``transport_error``
set and no status: distinct from any response, never an exception, so checks can attribute it.

What is not the target's answer is not judged at all, and raises instead:
- ``TargetUnreachable``: no connection could be made (after a couple of retries). The target is
  not there; the run stops and says so, rather than fail requirements on answers never given.
- ``RateLimited``: a 429 is not a verdict. A request is retried a few times, honouring
  Retry-After, within the run's rate-limit budget (``Budget.rate_limit_wait``); then the work
  item is abandoned and the result says how the target throttled.
- ``BudgetExhausted``: ``max_requests`` or the deadline is reached, or the run was stopped.
Setup and teardown pass ``budgeted=False``: cleaning up must not depend on the budget.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Protocol, TypeVar

import httpx

from conformance.core.errors import BudgetExhausted, RateLimited, TargetUnreachable
from conformance.core.observation import EVENT_STREAM, Exchange, Headers
from conformance.core.redaction import SECRET_HEADERS, Redactor
from conformance.engine.stream_capture import ACCEPTED_ENCODINGS, capture_stream
from conformance.engine.transport import BoundedTransport, bounded_client
from conformance.streaming.captured import CapturedStream, StreamLimits

DEFAULT_REQUEST_TIMEOUT = 30.0
DEFAULT_MAX_RESPONSE_BYTES = 8 * 1024 * 1024
DEFAULT_RATE_LIMIT_WAIT = 60.0  # seconds a whole run may spend waiting on 429s
RATE_LIMIT_RETRIES = 3
MAX_RETRY_WAIT = 20.0  # a Retry-After longer than this is not waited for: the work is abandoned
RATE_LIMITED_IN_A_ROW = 30  # this many 429s with no other answer between them stop the run
CONNECT_RETRIES = 2  # a refused connection is tried again this many times before the target is gone

# A marker for "no JSON body": ``None`` is a JSON body of its own (null).
NO_BODY: Any = object()


@dataclass
class Budget:
    """What a run may spend, shared by its threads; and what stopped it, if anything did."""

    max_requests: int | None = None
    deadline: float | None = None  # time.monotonic() value
    rate_limit_wait: float = DEFAULT_RATE_LIMIT_WAIT  # seconds of waiting on 429s, in all
    stop: threading.Event = field(default_factory=threading.Event)
    sent: int = 0
    exhausted: bool = False
    rate_limited: int = 0  # 429 answers received
    rate_limit_waited: float = 0.0
    stopped: str | None = None  # why the run was halted by what the target did
    _in_a_row: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def take(self) -> None:
        with self._lock:
            if self.stop.is_set() or (self.deadline is not None and time.monotonic() >= self.deadline) or (
                self.max_requests is not None and self.sent >= self.max_requests
            ):
                self.exhausted = True
                raise BudgetExhausted()
            self.sent += 1

    def count_unbudgeted(self) -> None:
        with self._lock:
            self.sent += 1

    def time_left(self) -> float | None:
        return None if self.deadline is None else self.deadline - time.monotonic()

    def sleep(self, seconds: float) -> None:
        """Wait, unless the run is stopped meanwhile (then return at once)."""
        self.stop.wait(max(0.0, seconds))

    def halt(self, reason: str) -> None:
        """Stop the run because of the target (the first reason is kept)."""
        with self._lock:
            self.stopped = self.stopped or reason
        self.stop.set()

    def answered(self, status: int | None) -> None:
        with self._lock:
            self._in_a_row = self._in_a_row + 1 if status == 429 else 0
            self.rate_limited += status == 429
            throttling = self._in_a_row >= RATE_LIMITED_IN_A_ROW
        if throttling:
            self.halt(f"the target answered 429 (rate limited) to {RATE_LIMITED_IN_A_ROW} requests in a row")

    def may_wait_for_rate_limit(self, seconds: float) -> bool:
        """Whether a wait of ``seconds`` for a 429 fits the run's rate-limit budget (it is counted)."""
        with self._lock:
            if seconds > MAX_RETRY_WAIT or self.rate_limit_waited + seconds > self.rate_limit_wait:
                return False
            self.rate_limit_waited += seconds
            return True


@dataclass(frozen=True)
class ClientConfig:
    base_url: str  # ends with the API version prefix, e.g. "https://api.openai.com/v1"
    api_key: str | None = field(default=None, repr=False)
    headers: dict[str, str] = field(default_factory=dict)  # sent on every request (user's --header)
    secret_headers: frozenset[str] = frozenset()  # extra header names whose values are redacted
    request_timeout: float = DEFAULT_REQUEST_TIMEOUT
    max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES
    concurrency: int = 8
    beta: str = "assistants=v2"  # the OpenAI-Beta header of the spec profile's clients

    def default_headers(self) -> dict[str, str]:
        headers = {"OpenAI-Beta": self.beta, "Accept": "application/json",
                   "Accept-Encoding": ACCEPTED_ENCODINGS}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        overrides = {name.lower() for name in self.headers}
        headers = {name: value for name, value in headers.items() if name.lower() not in overrides}
        headers.update(self.headers)
        return headers

    def redactor(self) -> Redactor:
        """The run's redactor: the key and the values of secret headers never appear in evidence or output."""
        names = SECRET_HEADERS | {name.lower() for name in self.secret_headers}
        values = [self.api_key, *(value for name, value in self.headers.items() if name.lower() in names)]
        return Redactor.of(values, self.secret_headers)

    def request_limits(self, timeout: float | None = None) -> StreamLimits:
        """The limits of a request that is not a stream: one deadline for all of it (the request
        timeout, or ``timeout`` if shorter), the byte cap."""
        deadline = self.request_timeout if timeout is None else min(timeout, self.request_timeout)
        return StreamLimits(first_byte=deadline, idle=deadline, total=deadline, max_bytes=self.max_response_bytes)


class Answered(Protocol):
    """What the 429 retry looks at: an ``Exchange`` or a ``CapturedStream``."""

    @property
    def status(self) -> int | None: ...

    @property
    def response_headers(self) -> Mapping[str, str]: ...


AnswerT = TypeVar("AnswerT", bound=Answered)


def retry_rate_limited(send: Callable[[], AnswerT], what: str, budget: Budget) -> AnswerT:
    """``send()``, and again while it is answered 429: at most ``RATE_LIMIT_RETRIES`` times more,
    each after the wait Retry-After-ms or Retry-After asks for (else 1, 2, 4... seconds), as long
    as the wait fits the budget's rate-limit allowance. Raises ``RateLimited`` when the target
    still answers 429 and no more waiting is allowed.

    Each call of ``send`` is one request: it takes its own share of the budget.
    """
    retries = 0
    while True:
        answer = send()
        budget.answered(answer.status)
        if answer.status != 429:
            return answer
        wait = _retry_wait(answer.response_headers, retries)
        if retries == RATE_LIMIT_RETRIES or not budget.may_wait_for_rate_limit(wait):
            raise RateLimited(f"{what}: rate limited (429) after {retries} retries")
        budget.sleep(wait)
        retries += 1


class TargetClient:
    """Sends requests to one target; safe to share between the threads of a run."""

    def __init__(self, config: ClientConfig, budget: Budget | None = None) -> None:
        self.config = config
        self.budget = budget or Budget()
        self.redactor = config.redactor()
        limits = httpx.Limits(max_connections=config.concurrency + 4, max_keepalive_connections=config.concurrency + 4)
        self._http = bounded_client(limits=limits, base_url=config.base_url.rstrip("/") + "/",
                                    headers=config.default_headers())

    def close(self) -> None:
        self._http.close()

    def abort(self) -> None:
        """Cut every request in flight (they end at once, as transport errors)."""
        transport = self._http._transport  # a BoundedTransport: bounded_client made it
        assert isinstance(transport, BoundedTransport)
        transport.abort()

    def __enter__(self) -> TargetClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- requests ------------------------------------------------------------------------

    def get(self, path: str, params: dict[str, Any] | None = None, *, budgeted: bool = True) -> Exchange:
        return self.request("GET", path, params=params, budgeted=budgeted)

    def post(self, path: str, body: Any = NO_BODY, *, budgeted: bool = True, **kwargs: Any) -> Exchange:
        return self.request("POST", path, body=body, budgeted=budgeted, **kwargs)

    def delete(self, path: str, *, budgeted: bool = True, timeout: float | None = None) -> Exchange:
        return self.request("DELETE", path, budgeted=budgeted, timeout=timeout)

    def request(
        self,
        method: str,
        path: str,
        *,
        body: Any = NO_BODY,
        raw_body: bytes | str | None = None,
        params: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        public_headers: dict[str, str] | None = None,
        omit_headers: tuple[str, ...] = (),
        budgeted: bool = True,
        timeout: float | None = None,
    ) -> Exchange:
        """Send one request (an event stream in answer is not read beyond its first bytes).

        ``body`` is a JSON value; ``raw_body`` sends bytes as they are (still labelled
        application/json: the point of a raw body is a malformed one). ``public_headers`` are
        sent like ``headers``, but their values are known not to be secrets (e.g. the auth
        probe's wrong key) and stay in the evidence as sent, so that a reproducer resends them.
        ``omit_headers`` removes default headers (e.g. Authorization for the auth probe).
        ``timeout``: a deadline shorter than the configured one (cleaning up within a budget).
        """
        request = self._build(method, path, body, raw_body, params, {**(headers or {}), **(public_headers or {})},
                              omit_headers)
        disclosed = tuple(public_headers or ())
        limits = self.config.request_limits(timeout)

        def send() -> Exchange:
            return _as_answer(self._capture(request, limits, budgeted, disclosed, decode_events=False), limits)

        return retry_rate_limited(send, f"{method} {path}", self.budget)

    def stream(self, method: str, path: str, body: Any, limits: StreamLimits | None = None, *,
               budgeted: bool = True) -> CapturedStream:
        """Send a request with ``Accept: text/event-stream`` and capture the answer under ``limits``
        (default: the request deadline and the byte cap); 429s are retried as by ``request``."""
        request = self._build(method, path, body, None, None, {"Accept": EVENT_STREAM}, ())
        chosen = limits or self.config.request_limits()
        return retry_rate_limited(lambda: self._capture(request, chosen, budgeted), f"{method} {path}", self.budget)

    def capture(self, method: str, path: str, body: Any, *, budgeted: bool = True) -> Exchange:
        """``stream`` under the default limits, as an exchange: the whole body (up to the cap) as
        content, and an event stream's events in ``events``."""
        return self.stream(method, path, body, budgeted=budgeted).exchange

    # --- internals -----------------------------------------------------------------------

    def _capture(self, request: httpx.Request, limits: StreamLimits, budgeted: bool, disclosed: Collection[str] = (),
                 decode_events: bool = True) -> CapturedStream:
        """One request, read under ``limits``; a connection refused is tried again, then the target
        is declared unreachable."""
        for attempt in range(CONNECT_RETRIES + 1):
            if budgeted:
                self.budget.take()
            else:
                self.budget.count_unbudgeted()
            captured = capture_stream(self._http, request, limits, redactor=self.redactor, disclosed=disclosed,
                                      decode_events=decode_events)
            if not captured.unreachable:
                return captured
            if attempt < CONNECT_RETRIES:
                self.budget.sleep(0.5 * 2 ** attempt)
        raise TargetUnreachable(f"cannot connect to the target: {captured.error}")

    def _build(self, method: str, path: str, body: Any, raw_body: bytes | str | None,
               params: dict[str, Any] | None, headers: dict[str, str] | None,
               omit_headers: tuple[str, ...]) -> httpx.Request:
        content: bytes | None = None
        if raw_body is not None:
            content = raw_body.encode() if isinstance(raw_body, str) else raw_body
        elif body is not NO_BODY:
            content = _json_bytes(body)
        all_headers = dict(headers or {})
        if content is not None:
            all_headers.setdefault("Content-Type", "application/json")
        request = self._http.build_request(method, path.lstrip("/"), content=content, params=params,
                                           headers=all_headers)
        for name in omit_headers:
            request.headers.pop(name, None)
        return request


def _json_bytes(body: Any) -> bytes:
    """``body`` as JSON in UTF-8; escaped to ASCII when it holds what UTF-8 cannot encode (a lone
    surrogate the target sent, echoed back as a tool call id)."""
    text = json.dumps(body, ensure_ascii=False, allow_nan=False)
    try:
        return text.encode()
    except UnicodeEncodeError:
        return json.dumps(body, allow_nan=False).encode()


def _as_answer(captured: CapturedStream, limits: StreamLimits) -> Exchange:
    """The capture of a request that is not a stream: an answer cut by a limit, or that could not
    be read, is no answer (``transport_error``), and its partial body is evidence only."""
    exchange = captured.exchange
    late = f"response not complete within {limits.total:g} s"
    problem = {
        "byte-cap": f"response body exceeds {limits.max_bytes} bytes",
        "first-byte-timeout": exchange.transport_error or late,
        "idle-timeout": late,
        "total-timeout": late,
        "transport-error": exchange.transport_error,
    }.get(captured.ending)
    if problem is None:
        return exchange
    return replace(exchange, events=None, transport_error=problem, content=b"")


def _retry_wait(headers: Mapping[str, str], attempt: int) -> float:
    headers = Headers(headers)  # whatever the answer is, its header names are case-insensitive
    for name, scale in (("retry-after-ms", 0.001), ("retry-after", 1.0)):
        value = headers.get(name)
        if value:
            try:
                return max(0.0, float(value) * scale)
            except ValueError:
                pass
    return 2.0 ** attempt
