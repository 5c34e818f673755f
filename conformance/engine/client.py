"""The HTTP client the engine talks to a target with.

Every request has a deadline (the whole exchange, body included) and a response byte cap, so a
target that stalls or sends forever costs at most the deadline. Every request produces a
``Reply``: the full body (up to the cap) for the checks, and a redacted ``Exchange`` as
evidence. A request the target did not answer (refused, reset, timed out, over the cap) is a
reply with ``transport_error`` set and no status: distinct from any response, never an
exception, so checks can attribute it.

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
from dataclasses import dataclass, field, replace
from typing import Any, Protocol, TypeVar

import httpx

from conformance.exchange import BODY_LIMIT, REDACTED, Exchange, StreamEvent, redact_headers
from conformance.streaming.capture import CapturedStream, StreamLimits, capture_stream

DEFAULT_REQUEST_TIMEOUT = 30.0
DEFAULT_MAX_RESPONSE_BYTES = 8 * 1024 * 1024
RATE_LIMIT_RETRIES = 3
MAX_RETRY_WAIT = 20.0
EVENT_STREAM = "text/event-stream"

# A marker for "no JSON body": ``None`` is a JSON body of its own (null).
NO_BODY: Any = object()


class BudgetExhausted(Exception):
    """No more requests may be sent: max_requests or max_time reached, or the run was stopped."""


class RateLimited(Exception):
    """The target kept answering 429 after the retries; the work item is abandoned, not judged."""


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

    def secrets(self) -> list[str]:
        """Values that must never appear in evidence or output."""
        values = [self.api_key] if self.api_key else []
        secret_names = {name.lower() for name in self.secret_headers} | {"authorization"}
        values += [value for name, value in self.headers.items() if name.lower() in secret_names and value]
        return values


@dataclass
class Reply:
    """One request and what came back (or did not)."""

    exchange: Exchange
    content: bytes = b""
    _json: Any = field(default=NO_BODY, repr=False)

    @property
    def status(self) -> int | None:
        return self.exchange.status

    @property
    def transport_error(self) -> str | None:
        return self.exchange.transport_error

    @property
    def response_headers(self) -> dict[str, str]:
        return self.exchange.response_headers

    @property
    def content_type(self) -> str:
        return header(self.exchange.response_headers, "content-type") or ""

    @property
    def media_type(self) -> str:
        return self.content_type.split(";", 1)[0].strip().lower()

    def json(self) -> Any:
        """The body as JSON; raises ValueError if it is not JSON."""
        if self._json is NO_BODY:
            self._json = json.loads(self.content)  # bytes: UTF-8/16/32 detected per RFC 8259
        return self._json

    def json_or_none(self) -> Any:
        try:
            return self.json()
        except ValueError:
            return None

    def describe(self) -> str:
        """How the target answered, for a finding's message: "status 500", "no response: ..."."""
        if self.transport_error:
            return f"no response ({self.transport_error})"
        return f"status {self.status}"


def header(headers: Mapping[str, str], name: str) -> str | None:
    name = name.lower()
    for key, value in headers.items():
        if key.lower() == name:
            return value
    return None


class Answered(Protocol):
    """What the 429 retry looks at: a ``Reply`` or a ``CapturedStream``."""

    @property
    def status(self) -> int | None: ...

    @property
    def response_headers(self) -> Mapping[str, str] | None: ...


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
        time.sleep(_retry_wait(answer.response_headers or {}, retries))
        retries += 1


class TargetClient:
    """Sends requests to one target; safe to share between the threads of a run."""

    def __init__(self, config: ClientConfig, budget: Budget | None = None) -> None:
        self.config = config
        self.budget = budget or Budget()
        self._secrets = config.secrets()
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

    def get(self, path: str, params: dict[str, Any] | None = None, *, budgeted: bool = True) -> Reply:
        return self.request("GET", path, params=params, budgeted=budgeted)

    def post(self, path: str, body: Any = NO_BODY, *, budgeted: bool = True, **kwargs: Any) -> Reply:
        return self.request("POST", path, body=body, budgeted=budgeted, **kwargs)

    def delete(self, path: str, *, budgeted: bool = True) -> Reply:
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
    ) -> Reply:
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

        def send() -> Reply:
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
            return capture_stream(self._http, request, limits, secret_headers=self.config.secret_headers)

        return retry_rate_limited(send, f"{method} {path}")

    def capture(self, method: str, path: str, body: Any, *, budgeted: bool = True) -> Reply:
        """``stream`` under the default limits, as a reply: the whole body (up to the cap) as
        content, and an event stream's events in ``reply.exchange.events``."""
        captured = self.stream(method, path, body, budgeted=budgeted)
        return Reply(exchange=self.stream_evidence(captured), content=captured.body)

    def stream_evidence(self, captured: CapturedStream) -> Exchange:
        """The capture's exchange with every configured secret scrubbed (headers, body, events, error)."""
        exchange = captured.to_exchange()
        return replace(
            exchange,
            request_headers=self.scrub_headers(exchange.request_headers),
            response_headers=self.scrub_headers(exchange.response_headers),
            response_body=self.scrub(exchange.response_body),
            events=None if exchange.events is None else [
                StreamEvent(event.event, self.scrub(event.data), event.at) for event in exchange.events],
            transport_error=self.scrub(exchange.transport_error) if exchange.transport_error else None,
        )

    def _evidence(self, request: httpx.Request, body: Any, response: httpx.Response | None = None,
                  content: bytes = b"", elapsed: float = 0.0, transport_error: str | None = None,
                  disclosed: Collection[str] = ()) -> Exchange:
        """A redacted Exchange for a request and its (possibly partial) response; the request
        headers named in ``disclosed`` keep their values (see ``request``)."""
        return Exchange(
            method=request.method,
            url=str(request.url),
            request_headers=self.scrub_headers(dict(request.headers), disclosed),
            request_body=body,
            status=response.status_code if response is not None else None,
            response_headers=self.scrub_headers(dict(response.headers)) if response is not None else {},
            response_body=self.scrub(content[:BODY_LIMIT].decode("utf-8", errors="replace")),
            elapsed=elapsed,
            transport_error=self.scrub(transport_error) if transport_error else None,
        )

    def scrub(self, text: str) -> str:
        """Replace every configured secret value in ``text``."""
        for secret in self._secrets:
            text = text.replace(secret, REDACTED)
        return text

    def scrub_headers(self, headers: dict[str, str], disclosed: Collection[str] = ()) -> dict[str, str]:
        """Secret headers' values redacted, but those named in ``disclosed`` (known not to be
        secrets); configured secret values scrubbed from every value all the same."""
        kept = {name.lower() for name in disclosed}
        redacted = redact_headers(headers, self.config.secret_headers)
        return {name: self.scrub(headers[name] if name.lower() in kept else value)
                for name, value in redacted.items()}

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

    def _send(self, request: httpx.Request, evidence_body: Any, disclosed: Collection[str]) -> Reply:
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
                    if response.headers.get("content-type", "").lower().startswith(EVENT_STREAM):
                        # Only stream captures read event streams; here the first bytes are evidence.
                        break
                    if time.monotonic() > deadline:
                        error = f"response not complete within {self.config.request_timeout:g} s"
                        break
            finally:
                response.close()
        except httpx.TransportError as exc:
            error = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        content = b"".join(chunks)
        exchange = self._evidence(request, evidence_body, response, content, time.monotonic() - started, error,
                                  disclosed)
        return Reply(exchange=exchange, content=content if error is None else b"")


def _raw_evidence(raw_body: bytes | str | None) -> Any:
    if raw_body is None:
        return None
    if isinstance(raw_body, bytes):
        return raw_body.decode("utf-8", errors="replace")
    return raw_body


def _retry_wait(headers: Mapping[str, str], attempt: int) -> float:
    for name, scale in (("retry-after-ms", 0.001), ("retry-after", 1.0)):
        value = header(headers, name)
        if value:
            try:
                return min(MAX_RETRY_WAIT, max(0.0, float(value) * scale))
            except ValueError:
                pass
    return min(MAX_RETRY_WAIT, 2.0 ** attempt)
