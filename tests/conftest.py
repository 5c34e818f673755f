"""Shared fixtures: the reference server on a free loopback port, and spec-checked HTTP traffic."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from hypothesis import settings


from conformance.server import ServerConfig, create_app
from conformance.server.background import running_server
from conformance.core.spec import document, validator


# CI gates a merge: there the property tests replay the same examples on every run (a red
# build must be reproducible); locally they explore new examples each time.
settings.register_profile("ci", derandomize=True, database=None)
if os.environ.get("CI"):
    settings.load_profile("ci")


@pytest.fixture(scope="module")
def reference_server() -> Iterator[str]:
    """The reference server with the default (fast) config: ``http://127.0.0.1:PORT/v1``."""
    with running_server(create_app()) as base_url:
        yield base_url


@pytest.fixture
def start_reference_server() -> Iterator[Callable[..., str]]:
    """``start_reference_server(ServerConfig(...))`` -> base URL; stopped after the test."""
    with ExitStack() as servers:

        def start(config: ServerConfig | None = None) -> str:
            return servers.enter_context(running_server(create_app(config)))

        yield start


# --- every response checked against the shipped spec --------------------------------------
@dataclass
class SpecCheckedTraffic:
    """An httpx client whose every response body is validated against the shipped spec:
    JSON bodies against their operation's 200 schema (ErrorResponse for >= 400), each
    server-sent event against AssistantStreamEvent. Problems are collected, not raised, so
    that a client library (the SDK) cannot swallow them."""

    client: httpx.Client = field(init=False)
    violations: list[str] = field(default_factory=list)
    streams: list[list[tuple[str, Any]]] = field(default_factory=list)  # parsed (event, data) per SSE body
    bodies_checked: int = 0


class _SpecCheckingTransport(httpx.BaseTransport):
    def __init__(self, traffic: SpecCheckedTraffic) -> None:
        self.traffic = traffic
        self.inner = httpx.HTTPTransport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        response.read()  # our streams are finite: buffer them, the client reads the copy
        where = f"{request.method} {request.url.path}"
        content_type = response.headers.get("content-type", "")
        if content_type.startswith("text/event-stream"):
            events = list(_sse_events(response.content.decode("utf-8")))
            for event, data in events:
                self._check("AssistantStreamEvent", {"event": event, "data": data}, f"{where} event {event}")
            self.traffic.streams.append(events)
        elif content_type.startswith("application/json"):
            if response.status_code >= 400:
                name = "ErrorResponse"
            else:
                name = _response_schema(request.method, request.url.path)
            self._check(name, json.loads(response.content), where)
            self.traffic.bodies_checked += 1
        else:
            self.traffic.violations.append(f"{where}: unexpected content-type {content_type!r}")
        return response

    def _check(self, schema_name: str, instance: object, where: str) -> None:
        self.traffic.violations.extend(f"{where} ({schema_name}): {e}" for e in validator(schema_name).errors(instance))

    def close(self) -> None:
        self.inner.close()


def _sse_events(text: str) -> Iterator[tuple[str, Any]]:
    for block in text.split("\n\n"):
        if not block:
            continue
        fields = dict(line.split(": ", 1) for line in block.split("\n"))
        data = fields["data"]
        yield fields["event"], data if data == "[DONE]" else json.loads(data)


def _response_schema(method: str, path: str) -> str:
    """The schema name of the 200 response of the spec operation matching ``path``."""
    for template, operations in document()["paths"].items():
        pattern = "^/v1" + re.sub(r"\{[^}]+\}", "[^/]+", template) + "$"
        operation = operations.get(method.lower())
        if operation and re.match(pattern, path):
            ref = operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
            return ref.rsplit("/", 1)[-1]
    raise AssertionError(f"no spec operation for {method} {path}")


@pytest.fixture
def spec_checked() -> Iterator[SpecCheckedTraffic]:
    """Traffic whose responses must all conform; the test fails if any did not."""
    traffic = SpecCheckedTraffic()
    traffic.client = httpx.Client(transport=_SpecCheckingTransport(traffic), timeout=10)
    with traffic.client:
        yield traffic
    assert traffic.violations == [], "responses that break the shipped spec:\n" + "\n".join(traffic.violations)
