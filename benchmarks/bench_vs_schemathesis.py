"""Schemathesis and ``conformance run`` side by side on createThreadAndRun, against one reference server.

One embedded reference server (in this process, on a free loopback port) serves three runs in
turn; a small ASGI middleware counts what reaches it, so both tools are counted the same way:

- ``schemathesis``: ``schemathesis run`` on the shipped spec, createThreadAndRun only, default
  checks and phases, ``--max-examples`` per phase, ``--continue-on-failure``;
- ``schemathesis+hook``: the same, with benchmarks/schemathesis_hooks.py putting an existing
  assistant's id into every request (schemathesis cannot know one; without it almost every
  request is a 404 and no run is ever created);
- ``conformance``: ``conformance run --profile standard`` (bench_run.measure) on the same server.

All three are subprocesses, so neither client shares the server's interpreter. About a minute:

    python benchmarks/bench_vs_schemathesis.py [--max-examples 200] [--seed 1]

Columns: ``requests`` every request the server saw, ``POST runs`` those to /v1/threads/runs
(the operation under test; the rest is setup and lifecycle polling), ``streams`` SSE responses
served, ``events/stream`` their mean event count, ``cut`` streams whose client went away before
the last event was sent (a stream the server finished sending before the client stopped
reading is not seen as cut: schemathesis reads at most ``max-stream-events``, 20 by default).
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from bench_run import measure
from conformance.server import ServerConfig, create_app
from conformance.server.background import running_server

SPEC = Path(__file__).resolve().parent.parent / "conformance" / "spec" / "assistants-v2.json"
HOOKS = Path(__file__).resolve().parent / "schemathesis_hooks.py"
SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")  # the CLI installed next to this Python
OPERATION_PATH = "/v1/threads/runs"


@dataclass
class Traffic:
    """What the server saw during one run."""

    requests: int = 0
    operation_statuses: Counter[int] = field(default_factory=Counter)
    streams: int = 0
    stream_events: int = 0
    streams_cut: int = 0


class TrafficCounter:
    """ASGI middleware counting requests, the operation's status codes and how event streams ended."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.traffic = Traffic()

    def reset(self) -> Traffic:
        """Start a new count; return the finished one."""
        finished, self.traffic = self.traffic, Traffic()
        return finished

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        traffic = self.traffic
        traffic.requests += 1
        is_operation = scope["method"] == "POST" and scope["path"] == OPERATION_PATH
        response: dict[str, Any] = {"stream": False, "ended": False, "client_gone": False}

        async def watched_receive() -> dict[str, Any]:
            message = await receive()
            if message["type"] == "http.disconnect" and not response["ended"]:
                response["client_gone"] = True
            return message

        async def counted_send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                if is_operation:
                    traffic.operation_statuses[message["status"]] += 1
                content_type = dict(message.get("headers", [])).get(b"content-type", b"")
                response["stream"] = content_type.startswith(b"text/event-stream")
            elif message["type"] == "http.response.body" and response["stream"]:
                traffic.stream_events += message.get("body", b"").count(b"\n\n")
                response["ended"] = not message.get("more_body", False)
            try:
                await send(message)
            except OSError:  # the client closed the connection mid-stream
                response["client_gone"] = True
                raise

        try:
            await self.app(scope, watched_receive, counted_send)
        finally:
            if response["stream"]:
                traffic.streams += 1
                traffic.streams_cut += response["client_gone"] or not response["ended"]


def run_schemathesis(base_url: str, api_key: str, max_examples: int, seed: int,
                     assistant_id: str | None) -> tuple[float, str, int]:
    """(wall seconds, exit code, test cases generated) of one ``schemathesis run``.

    The key reaches schemathesis through an environment variable named in its config file,
    never through its command line; its output is not printed.
    """
    with tempfile.TemporaryDirectory() as directory:
        config = Path(directory) / "schemathesis.toml"
        lines = ['headers = { Authorization = "Bearer ${BENCH_API_KEY}" }']
        if assistant_id:
            lines.append(f"hooks = {json.dumps(str(HOOKS))}")
        config.write_text("\n".join(lines) + "\n")
        report = Path(directory) / "report.json"
        environment = {**os.environ, "BENCH_API_KEY": api_key, "BENCH_ASSISTANT_ID": assistant_id or ""}
        start = time.perf_counter()
        completed = subprocess.run(
            [str(SCHEMATHESIS), "--config-file", str(config), "run", str(SPEC), "--url", base_url,
             "--include-operation-id", "createThreadAndRun", "--max-examples", str(max_examples),
             "--seed", str(seed), "--continue-on-failure", "--no-color",
             "--report", "json", "--report-json-path", str(report)],
            capture_output=True, text=True, check=False, env=environment, cwd=directory,
        )
        elapsed = time.perf_counter() - start
        generated = json.loads(report.read_text())["test_cases"]["generated"] if report.exists() else 0
    return elapsed, str(completed.returncode), generated


def create_assistant(base_url: str, api_key: str) -> str:
    response = httpx.post(f"{base_url}/assistants", json={"model": "gpt-4o"},
                          headers={"Authorization": f"Bearer {api_key}", "OpenAI-Beta": "assistants=v2"})
    response.raise_for_status()
    return response.json()["id"]


def print_row(tool: str, elapsed: float, traffic: Traffic, exit_code: str, note: str) -> None:
    operation = sum(traffic.operation_statuses.values())
    events = traffic.stream_events / traffic.streams if traffic.streams else 0
    statuses = " ".join(f"{status}:{count}" for status, count in sorted(traffic.operation_statuses.items()))
    print(f"{tool:18} {elapsed:6.1f} {traffic.requests:8} {operation:9} {traffic.requests / elapsed:10.0f} "
          f"{operation / elapsed:9.0f} {traffic.streams:7} {events:13.1f} {traffic.streams_cut:4} {exit_code:>4}  "
          f"{note}; POST runs statuses {statuses}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-examples", type=int, default=200, help="schemathesis --max-examples")
    parser.add_argument("--concurrency", type=int, default=8, help="conformance run --concurrency")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    api_key = secrets.token_urlsafe(24)
    counter = TrafficCounter(create_app(ServerConfig(api_key=api_key)))
    print(f"{'tool':18} {'wall s':>6} {'requests':>8} {'POST runs':>9} {'requests/s':>10} {'POST/s':>9} "
          f"{'streams':>7} {'events/stream':>13} {'cut':>4} {'exit':>4}")
    with running_server(counter) as base_url:
        elapsed, code, generated = run_schemathesis(base_url, api_key, args.max_examples, args.seed, None)
        print_row("schemathesis", elapsed, counter.reset(), code, f"{generated} test cases")

        assistant_id = create_assistant(base_url, api_key)
        counter.reset()  # the setup request is not schemathesis's
        elapsed, code, generated = run_schemathesis(base_url, api_key, args.max_examples, args.seed, assistant_id)
        print_row("schemathesis+hook", elapsed, counter.reset(), code, f"{generated} test cases")

        elapsed, reported, code = measure("standard", args.concurrency, args.seed, base_url, api_key)
        print_row("conformance", elapsed, counter.reset(), code, f"{reported} requests in its report")


if __name__ == "__main__":
    main()
