"""The HTTP client the engine talks to a target with.

Every request has a deadline (the whole exchange, body included) and a response byte cap, so a
target that stalls or sends forever costs at most the deadline. Every request produces an
``Exchange``: redacted evidence, and the full body (up to the cap) for the checks. A request the
target did not answer (refused, reset, timed out, over the cap) is an exchange with
``transport_error`` set and no status: distinct from any response, never an exception, so
checks can attribute it.

Budgets are shared by every thread of a run: ``Budget.take()`` before each request raises
``BudgetExhausted`` once ``max_requests`` or the deadline is reached, or the run was stopped.
Setup and teardown pass ``budgeted=False``: cleaning up must not depend on the budget.
A 429 is not a verdict: every request, streamed or not, is retried a few times (honouring
Retry-After, see ``retry_rate_limited``), then the work item is abandoned (``RateLimited``) and
the result marked partial.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

import httpx

from conformance.core.errors import BudgetExhausted, RateLimited
from conformance.core.observation import BODY_LIMIT, EVENT_STREAM, Exchange, Headers, media_type
from conformance.core.redaction import SECRET_HEADERS, Redactor
from conformance.engine.stream_capture import capture_stream
from conformance.streaming.captured import CapturedStream, StreamLimits

DEFAULT_REQUEST_TIMEOUT = 30.0
DEFAULT_MAX_RESPONSE_BYTES = 8 * 1024 * 1024
RATE_LIMIT_RETRIES = 3
MAX_RETRY_WAIT = 20.0

# A marker for "no JSON body": ``None`` is a JSON body of its own (null).
NO_BODY: Any = object()


@dataclass
class Budget:
    max_requests: int | None = None
    deadline: float | None = None  # time.monotonic() value
    stop: threading.Event = field(default_factory=threading.Event)
    sent: int = 0
    exhausted: bool = False
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


@dataclass(frozen=True)
class ClientConfig:
    base_url: str  # ends with the API version prefix, e.g. "https://api.openai.com/v1"
    api_key: str | None = field(default=None, repr=False)
    headers: dict[str, str] = field(default_factory=dict)  # sent on every request (user's --header)
    secret_headers: frozenset[str] = frozenset()  # extra header names whose values are redacted
    request_timeout: float = DEFAULT_REQUEST_TIMEOUT
    max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES
    concurrency: int = 8

    def default_headers(self) -> dict[str, str]:
        headers = {"OpenAI-Beta": "assistants=v2", "Accept": "application/json"}
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


class Answered(Protocol):
    """What the 429 retry looks at: an ``Exchange`` or a ``CapturedStream``."""

    @property
    def status(self) -> int | None: ...

    @property
    def response_headers(self) -> Mapping[str, str]: ...


AnswerT = TypeVar("AnswerT", bound=Answered)


def retry_rate_limited(send: Callable[[], AnswerT], what: str) -> AnswerT:
    """``send()``, and again while it is answered 429: at most ``RATE_LIMIT_RETRIES`` times more,
    each after the wait Retry-After-ms or Retry-After asks for (capped at ``MAX_RETRY_WAIT``),
    else after 1, 2, 4... seconds. Raises ``RateLimited`` if the last answer is still 429.

    Each call of ``send`` is one request: it takes its own share of the budget.
    """
    retries = 0
    while True:
        answer = send()
        if answer.status != 429:
            return answer
        if retries == RATE_LIMIT_RETRIES:
            raise RateLimited(f"{what}: still 429 after {RATE_LIMIT_RETRIES} retries")
        time.sleep(_retry_wait(answer.response_headers, retries))
        retries += 1


class TargetClient:
    """Sends requests to one target; safe to share between the threads of a run."""

    def __init__(self, config: ClientConfig, budget: Budget | None = None) -> None:
        self.config = config
        self.budget = budget or Budget()
        self.redactor = config.redactor()
        self._http = httpx.Client(
            base_url=config.base_url.rstrip("/") + "/",
            headers=config.default_headers(),
            timeout=httpx.Timeout(config.request_timeout),
            limits=httpx.Limits(max_connections=config.concurrency + 4,
                                max_keepalive_connections=config.concurrency + 4),
            follow_redirects=False,
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> TargetClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- requests ------------------------------------------------------------------------

    def get(self, path: str, params: dict[str, Any] | None = None, *, budgeted: bool = True) -> Exchange:
        return self.request("GET", path, params=params, budgeted=budgeted)

    def post(self, path: str, body: Any = NO_BODY, *, budgeted: bool = True, **kwargs: Any) -> Exchange:
        return self.request("POST", path, body=body, budgeted=budgeted, **kwargs)

    def delete(self, path: str, *, budgeted: bool = True) -> Exchange:
        return self.request("DELETE", path, budgeted=budgeted)

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
    ) -> Exchange:
        """Send one request; 429s are retried (bounded), then ``RateLimited`` is raised.

        ``body`` is a JSON value; ``raw_body`` sends bytes as they are (still labelled
        application/json: the point of a raw body is a malformed one). ``public_headers`` are
        sent like ``headers``, but their values are known not to be secrets (e.g. the auth
        probe's wrong key) and stay in the evidence as sent, so that a reproducer resends them.
        ``omit_headers`` removes default headers (e.g. Authorization for the auth probe).
        """
        request = self._build(method, path, body, raw_body, params, {**(headers or {}), **(public_headers or {})},
                              omit_headers)
        evidence_body = body if body is not NO_BODY else _raw_evidence(raw_body)
        disclosed = tuple(public_headers or ())

        def send() -> Exchange:
            self._take(budgeted)
            return self._send(request, evidence_body, disclosed)

        return retry_rate_limited(send, f"{method} {path}")

    def stream(self, method: str, path: str, body: Any, limits: StreamLimits | None = None, *,
               budgeted: bool = True) -> CapturedStream:
        """Send a request with ``Accept: text/event-stream`` and capture the answer under ``limits``
        (default: the request deadline and the byte cap); 429s are retried as by ``request``."""
        if limits is None:
            timeout = self.config.request_timeout
            limits = StreamLimits(first_byte=timeout, idle=timeout, total=timeout,
                                  max_bytes=self.config.max_response_bytes)
        request = self._build(method, path, body, None, None, {"Accept": EVENT_STREAM}, ())

        def send() -> CapturedStream:
            self._take(budgeted)
            return capture_stream(self._http, request, limits, redactor=self.redactor)

        return retry_rate_limited(send, f"{method} {path}")

    def capture(self, method: str, path: str, body: Any, *, budgeted: bool = True) -> Exchange:
        """``stream`` under the default limits, as an exchange: the whole body (up to the cap) as
        content, and an event stream's events in ``events``."""
        return self.stream(method, path, body, budgeted=budgeted).exchange

    def _evidence(self, request: httpx.Request, body: Any, response: httpx.Response | None = None,
                  content: bytes = b"", elapsed: float = 0.0, transport_error: str | None = None,
                  disclosed: Collection[str] = ()) -> Exchange:
        """A redacted Exchange for a request and its (possibly partial) response; the request
        headers named in ``disclosed`` keep their values (see ``request``)."""
        redactor = self.redactor
        return Exchange(
            method=request.method,
            url=redactor.text(str(request.url)),
            request_headers=redactor.headers(request.headers, disclosed),
            request_body=redactor.value(body),
            status=response.status_code if response is not None else None,
            response_headers=redactor.headers(response.headers) if response is not None else Headers(),
            response_body=redactor.text(content[:BODY_LIMIT].decode("utf-8", errors="replace")),
            elapsed=elapsed,
            transport_error=redactor.text(transport_error) if transport_error else None,
            content=content if transport_error is None else b"",
        )

    # --- internals -----------------------------------------------------------------------

    def _take(self, budgeted: bool) -> None:
        if budgeted:
            self.budget.take()
        else:
            self.budget.count_unbudgeted()

    def _build(self, method: str, path: str, body: Any, raw_body: bytes | str | None,
               params: dict[str, Any] | None, headers: dict[str, str] | None,
               omit_headers: tuple[str, ...]) -> httpx.Request:
        content: bytes | None = None
        if raw_body is not None:
            content = raw_body.encode() if isinstance(raw_body, str) else raw_body
        elif body is not NO_BODY:
            content = json.dumps(body, ensure_ascii=False, allow_nan=False).encode()
        all_headers = dict(headers or {})
        if content is not None:
            all_headers.setdefault("Content-Type", "application/json")
        request = self._http.build_request(method, path.lstrip("/"), content=content, params=params,
                                           headers=all_headers)
        for name in omit_headers:
            request.headers.pop(name, None)
        return request

    def _send(self, request: httpx.Request, evidence_body: Any, disclosed: Collection[str]) -> Exchange:
        started = time.monotonic()
        deadline = started + self.config.request_timeout
        response: httpx.Response | None = None
        chunks: list[bytes] = []
        error: str | None = None
        try:
            response = self._http.send(request, stream=True)
            try:
                size = 0
                for chunk in response.iter_bytes():  # decoded (gzip, br): the cap counts what we keep
                    chunks.append(chunk)
                    size += len(chunk)
                    if size > self.config.max_response_bytes:
                        error = f"response body exceeds {self.config.max_response_bytes} bytes"
                        break
                    if media_type(response.headers.get("content-type")) == EVENT_STREAM:
                        # Only stream captures read event streams; here the first bytes are evidence.
                        break
                    if time.monotonic() > deadline:
                        error = f"response not complete within {self.config.request_timeout:g} s"
                        break
            finally:
                response.close()
        except httpx.TransportError as exc:
            error = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        return self._evidence(request, evidence_body, response, b"".join(chunks), time.monotonic() - started, error,
                              disclosed)


def _raw_evidence(raw_body: bytes | str | None) -> Any:
    if raw_body is None:
        return None
    if isinstance(raw_body, bytes):
        return raw_body.decode("utf-8", errors="replace")
    return raw_body


def _retry_wait(headers: Mapping[str, str], attempt: int) -> float:
    headers = Headers(headers)  # whatever the answer is, its header names are case-insensitive
    for name, scale in (("retry-after-ms", 0.001), ("retry-after", 1.0)):
        value = headers.get(name)
        if value:
            try:
                return min(MAX_RETRY_WAIT, max(0.0, float(value) * scale))
            except ValueError:
                pass
    return min(MAX_RETRY_WAIT, 2.0 ** attempt)
