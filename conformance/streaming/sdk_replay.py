"""Replaying a captured stream through the official openai SDK (the ``sdk_consumes`` rule).

The captured body is replayed byte for byte through the SDK's own machinery, twice: as the
``openai.Stream`` of ``AssistantStreamEvent`` that ``create_and_run(stream=True)`` returns, and
through an ``AssistantEventHandler`` driven by an ``AssistantStreamManager``, as
``create_and_run_stream`` does. The SDK sends its request to an ``httpx.MockTransport`` that
answers with the captured bytes, so the whole SDK path is real except the network. Both are built
the way the SDK's own helpers build them (``client.post(..., stream=True, stream_cls=...)``)
rather than by calling the helpers: those are deprecated and would warn on every replay, and
silencing warnings is not thread-safe (streams are judged in parallel).

An exception while the SDK iterates is a finding: "the official SDK cannot consume this stream".
An exception while setting the replay up is ours (the SDK changed): it propagates.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import partial
from typing import Any

import httpx
import openai
from openai.lib.streaming import AssistantEventHandler, AssistantStreamManager
from openai.types.beta import AssistantStreamEvent
from openai.types.beta.threads import Run

from conformance.core.observation import EVENT_STREAM

REPLAY_BASE_URL = "http://sdk-replay.invalid/v1"
REPLAY_PATH = "/threads/runs"  # the SDK parses every Assistants stream alike, whatever the endpoint


@dataclass(frozen=True)
class Failure:
    consumer: str  # how the SDK was consuming the stream
    events: int  # events it had yielded before the exception
    error: Exception
    sdk_version: str = openai.__version__


def replay(body: bytes) -> Failure | None:
    """Replay ``body`` through the SDK's stream parsing, then through its event handler.

    Sending the (mock) request is ours: an exception there propagates. Only what the SDK raises
    while it iterates the events is the stream's doing.
    """
    with _client_answering(body) as client:
        request = partial(client.post, REPLAY_PATH, body={}, cast_to=Run, stream=True,
                          stream_cls=openai.Stream[AssistantStreamEvent])
        failure = _consume("openai.Stream", request())
        if failure is not None:
            return failure
        with AssistantStreamManager(request, event_handler=AssistantEventHandler()) as handler:
            return _consume("AssistantEventHandler", handler)


def _consume(consumer: str, events: Iterable[Any]) -> Failure | None:
    count = 0
    try:
        for _ in events:
            count += 1
    except Exception as error:  # whatever the SDK raises is the finding
        return Failure(consumer, count, error)
    return None


def _client_answering(body: bytes) -> openai.OpenAI:
    """An SDK client whose every request is answered 200 text/event-stream with ``body``."""
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"Content-Type": EVENT_STREAM}, content=body)

    # The SDK takes an httpx client as well as the httpx2 one its annotation names (openai >= 3).
    return openai.OpenAI(api_key="sk-replay-only", base_url=REPLAY_BASE_URL, max_retries=0,
                         http_client=httpx.Client(transport=httpx.MockTransport(answer)))  # type: ignore[arg-type]
