"""The reference server under each spec profile: it accepts that profile's requests and rejects
what the profile lacks, and its runs, threads, messages, steps and events are the profile's."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from test_strategies import draw

import strategies
from conformance.core.spec import Spec, spec_for
from conformance.core.spec.runs import SETTLED
from conformance.server import ServerConfig, create_app
from conformance.server.background import running_server

PROFILES = list(strategies.SPEC_PROFILES)
LONG_PROMPT = " ".join(["word"] * 300)  # the fake model's reply cannot fit in 256 tokens
# The objects whose fields differ between profiles, and the lists of them.
SHAPED = {"AssistantObject", "ThreadObject", "MessageObject", "RunObject"}
LISTED = {"ListMessagesResponse": "MessageObject", "ListRunsResponse": "RunObject"}


class ProfileClient:
    """A client of the reference server serving ``spec``, checking every object it gets back
    against that profile's schemas."""

    def __init__(self, client: httpx.Client, spec: Spec) -> None:
        self.client = client
        self.spec = spec
        self.assistant = self.post("assistants", {"model": "gpt-4o"}, "AssistantObject")

    def check(self, schema_name: str, instance: Any) -> Any:
        problems = self.spec.schema_problems(schema_name, instance)
        assert problems == [], (self.spec.profile.name, schema_name, problems, instance)
        self.check_fields(LISTED.get(schema_name, schema_name), instance.get("data", [instance]))
        return instance

    def check_fields(self, schema_name: str, objects: list[Any]) -> None:
        """The objects have no field their profile's schema lacks (the schemas are open: a v2-2024Q2
        run with parallel_tool_calls would validate)."""
        if schema_name in SHAPED:
            declared = self.spec.document["components"]["schemas"][schema_name]["properties"].keys()
            for obj in objects:
                assert obj.keys() <= declared, (self.spec.profile.name, schema_name, obj.keys() - declared)

    def post(self, path: str, body: Any, schema_name: str) -> Any:
        answer = self.client.post(path, json=body)
        assert answer.status_code == 200, answer.text
        return self.check(schema_name, answer.json())

    def get(self, path: str, schema_name: str) -> Any:
        answer = self.client.get(path)
        assert answer.status_code == 200, answer.text
        return self.check(schema_name, answer.json())

    def settled(self, run: dict[str, Any]) -> dict[str, Any]:
        """The run once nothing more happens to it without the client; its thread, messages and
        steps checked on the way."""
        deadline = time.monotonic() + 10
        while run["status"] not in SETTLED:
            assert time.monotonic() < deadline, run
            time.sleep(0.02)
            run = self.get(f"threads/{run['thread_id']}/runs/{run['id']}", "RunObject")
        self.get(f"threads/{run['thread_id']}", "ThreadObject")
        self.get(f"threads/{run['thread_id']}/messages", "ListMessagesResponse")
        self.get(f"threads/{run['thread_id']}/runs/{run['id']}/steps", "ListRunStepsResponse")
        return run

    def stream(self, body: dict[str, Any]) -> list[tuple[str, Any]]:
        """The events of a streamed run, each checked against the profile's AssistantStreamEvent."""
        answer = self.client.post("threads/runs", json={**body, "stream": True})
        assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/event-stream")
        events = []
        for block in answer.text.split("\n\n"):
            if block:
                fields = dict(line.split(": ", 1) for line in block.split("\n"))
                data = fields["data"] if fields["event"] == "done" else json.loads(fields["data"])
                assert self.spec.is_known_event(fields["event"]), fields["event"]
                self.check("AssistantStreamEvent", {"event": fields["event"], "data": data})
                self.check_fields(self.spec.event_data_schemas().get(fields["event"], ""), [data])
                events.append((fields["event"], data))
        return events

    def rejected(self, body: Any) -> dict[str, Any]:
        answer = self.client.post("threads/runs", content=body if isinstance(body, bytes) else json.dumps(body),
                                  headers={"content-type": "application/json"})
        assert answer.status_code == 400, (body, answer.text)
        return self.check("ErrorResponse", answer.json())["error"]


@pytest.fixture(scope="module", params=PROFILES)
def server(request: pytest.FixtureRequest) -> Iterator[ProfileClient]:
    with running_server(create_app(ServerConfig(spec_profile=request.param))) as base_url:
        with httpx.Client(base_url=base_url + "/", timeout=10) as client:
            yield ProfileClient(client, spec_for(request.param))


def test_an_unknown_profile_is_refused_by_the_config():
    with pytest.raises(ValueError, match="unknown spec profile 'v3'"):
        ServerConfig(spec_profile="v3")


def test_the_profiles_valid_requests_are_accepted_and_its_objects_validate(server):
    profile = server.spec.profile
    assistant_ids = [server.assistant["id"]]
    for body in draw(strategies.create_thread_and_run_requests(assistant_ids=assistant_ids, stream=False,
                                                               profile=profile), 15):
        server.settled(server.post("threads/runs", body, "RunObject"))
    for body in draw(strategies.requests_forcing_requires_action(assistant_ids=assistant_ids, stream=False,
                                                                  profile=profile), 3):
        assert server.settled(server.post("threads/runs", body, "RunObject"))["status"] == "requires_action"


def test_the_profiles_streams_have_its_events_and_objects(server):
    assistant_ids = [server.assistant["id"]]
    for body in draw(strategies.create_thread_and_run_requests(assistant_ids=assistant_ids, stream=True,
                                                               profile=server.spec.profile), 5):
        events = server.stream(body)
        assert events[0][0] == "thread.created" and events[-1][0] == "done"


def test_the_profiles_invalid_requests_are_rejected(server):
    for example in draw(strategies.invalid_requests(assistant_ids=[server.assistant["id"]],
                                                    profile=server.spec.profile), 40):
        server.rejected(example.body)


# A property another profile has, answered as unknown by the server of this one.
UNKNOWN_HERE = {
    "v1": [({"tool_resources": {}}, "tool_resources"), ({"top_p": 1}, "top_p"),
           ({"parallel_tool_calls": True}, "parallel_tool_calls"),
           ({"thread": {"messages": [{"role": "user", "content": "hi", "attachments": []}]}},
            "thread.messages[0].attachments")],
    "v2-2024Q2": [({"parallel_tool_calls": True}, "parallel_tool_calls")],
    "v2-current": [({"thread": {"messages": [{"role": "user", "content": "hi", "file_ids": ["file-1"]}]}},
                    "thread.messages[0].file_ids")],
}


def test_what_another_profile_has_is_an_unknown_parameter(server):
    for fields, param in UNKNOWN_HERE[server.spec.profile.name]:
        error = server.rejected({"assistant_id": server.assistant["id"], **fields})
        assert (error["code"], error["param"]) == ("unknown_parameter", param)


def test_v1_objects_carry_file_ids_and_no_v2_fields():
    with running_server(create_app(ServerConfig(spec_profile="v1"))) as base_url:
        with httpx.Client(base_url=base_url + "/", timeout=10) as http:
            server = ProfileClient(http, spec_for("v1"))
            assistant = server.post("assistants", {"model": "gpt-4o", "file_ids": ["file-a"],
                                                   "tools": [{"type": "retrieval"}]}, "AssistantObject")
            assert assistant["file_ids"] == ["file-a"] and "temperature" not in assistant
            message = {"role": "user", "content": "hello", "file_ids": ["file-b"]}
            run = server.post("threads/runs", {"assistant_id": assistant["id"], "thread": {"messages": [message]}},
                              "RunObject")
            assert run["file_ids"] == ["file-a"] and run["tools"] == [{"type": "retrieval"}]
            assert {"top_p", "parallel_tool_calls"} & run.keys() == set()
            thread = server.get(f"threads/{run['thread_id']}", "ThreadObject")
            assert "tool_resources" not in thread
            [stored] = server.get(f"threads/{run['thread_id']}/messages", "ListMessagesResponse")["data"][:1]
            assert stored["file_ids"] == ["file-b"] and "attachments" not in stored


@pytest.mark.parametrize("profile, status", [("v1", "completed"), ("v2-2024Q2", "incomplete"),
                                             ("v2-current", "incomplete")])
def test_a_run_out_of_tokens_ends_incomplete_except_under_v1_where_it_completes_with_the_reason(profile, status):
    with running_server(create_app(ServerConfig(spec_profile=profile))) as base_url:
        with httpx.Client(base_url=base_url + "/", timeout=10) as http:
            server = ProfileClient(http, spec_for(profile))
            body = {"assistant_id": server.assistant["id"], "max_completion_tokens": 256,
                    "thread": {"messages": [{"role": "user", "content": LONG_PROMPT}]}}
            run = server.settled(server.post("threads/runs", body, "RunObject"))
            assert run["status"] == status and run["incomplete_details"] == {"reason": "max_completion_tokens"}
            reply = server.get(f"threads/{run['thread_id']}/messages?run_id={run['id']}", "ListMessagesResponse")
            assert [message["status"] for message in reply["data"]] == ["incomplete"]
            names = [name for name, _ in server.stream(body)]
            assert f"thread.run.{status}" in names and names[-1] == "done"
