"""Reproducers: valid shell, the key read from the environment, and the same request sent again."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from report_support import DEBUG_TOKEN, KEY, RAW_BODY, failures_by_id

from conformance.core.redaction import REDACTED
from conformance.core.findings import Finding
from conformance.core.results import FailureRecord
from reports.reproduce import ReproRequest, curl_command, python_snippet, raw_bytes, repro_request, reproducer

ENV = {"OPENAI_API_KEY": KEY, "OPENAI_ORGANIZATION": "org-from-env", "X_DEBUG_TOKEN": DEBUG_TOKEN}


@dataclass
class Recorder:
    """A loopback HTTP server that keeps every request it gets; streams when asked to."""

    requests: list[dict] = field(default_factory=list)
    base_url: str = ""


@pytest.fixture
def recorder() -> Iterator[Recorder]:
    record = Recorder()

    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length", 0))
            body = self.rfile.read(length)
            record.requests.append(
                {"method": self.command, "path": self.path, "headers": dict(self.headers), "body": body}
            )
            try:
                streaming = json.loads(body).get("stream") is True
            except (ValueError, AttributeError):
                streaming = False
            payload = b"event: done\ndata: [DONE]\n\n" if streaming else b'{"ok": true}'
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream" if streaming else "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = _answer

        def log_message(self, *args) -> None:  # keep pytest output clean
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    record.base_url = f"http://127.0.0.1:{server.server_address[1]}/v1"
    try:
        yield record
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def _run(command: list[str]) -> subprocess.CompletedProcess:
    env = {"PATH": os.environ["PATH"], **ENV}
    return subprocess.run(command, env=env, capture_output=True, timeout=30, check=False)


def _local(failure: FailureRecord, base_url: str) -> FailureRecord:
    """The failure as if its evidence had been taken from the local recorder."""
    exchange = failure.exchange
    path = exchange.url.split("/v1", 1)[1]
    return replace(failure, exchange=replace(exchange, url=base_url + path))


def test_every_sample_reproducer_is_valid_shell_and_python() -> None:
    for name, item in failures_by_id().items():
        for failure in item.failures:
            repro = reproducer(failure, "http://127.0.0.1:9/v1")
            assert repro is not None, name
            checked = subprocess.run(
                ["bash", "-n"], input=repro.curl.encode(), capture_output=True, timeout=10
            )
            assert checked.returncode == 0, (name, checked.stderr)
            compile(repro.python, f"<{name}>", "exec")
            assert KEY not in repro.curl + repro.python
            assert '-H "Authorization: Bearer $OPENAI_API_KEY"' in repro.curl
            assert "os.environ['OPENAI_API_KEY']" in repro.python


def test_stream_reproducers_use_no_buffering() -> None:
    by_id = failures_by_id()
    assert " -N" in reproducer(by_id["SSE-009"].failures[0], "http://x/v1").curl
    assert " -N" not in reproducer(by_id["REQ-002"].failures[0], "http://x/v1").curl
    assert "httpx.stream(" in reproducer(by_id["SSE-009"].failures[0], "http://x/v1").python


def test_client_headers_are_left_to_the_client() -> None:
    curl = reproducer(failures_by_id()["REQ-002"].failures[0], "http://x/v1").curl
    assert "OpenAI-Beta: assistants=v2" in curl
    assert "Content-Length" not in curl and "Accept-Encoding" not in curl


def test_json_reproducer_sends_body_and_key_from_env(recorder: Recorder) -> None:
    failure = _local(failures_by_id()["REQ-002"].failures[0], recorder.base_url)
    repro = reproducer(failure, recorder.base_url)
    completed = _run(["bash", "-c", repro.curl])
    assert completed.returncode == 0, completed.stderr
    (received,) = recorder.requests
    assert received["method"] == "POST" and received["path"] == "/v1/threads/runs"
    assert json.loads(received["body"]) == {"assistant_id": "asst_1", "temperature": 3}
    assert received["headers"]["Authorization"] == f"Bearer {KEY}"
    assert received["headers"]["OpenAI-Organization"] == "org-from-env"
    assert received["headers"]["OpenAI-Beta"] == "assistants=v2"
    assert received["headers"]["Content-Type"] == "application/json"
    assert KEY not in repro.curl


def test_raw_body_reproducer_sends_the_exact_bytes(recorder: Recorder) -> None:
    failure = _local(failures_by_id()["REQ-005"].failures[0], recorder.base_url)
    repro = reproducer(failure, recorder.base_url)
    assert "--data-binary @-" in repro.curl
    completed = _run(["bash", "-c", repro.curl])
    assert completed.returncode == 0, completed.stderr
    _run([sys.executable, "-c", repro.python]).check_returncode()
    curl_request, python_request = recorder.requests
    for received in (curl_request, python_request):
        assert received["body"] == RAW_BODY.encode()
        assert received["headers"]["Content-Type"] == "text/plain"
        assert received["headers"]["X-Debug-Token"] == DEBUG_TOKEN


def test_stream_reproducers_run(recorder: Recorder) -> None:
    failure = _local(failures_by_id()["SSE-009"].failures[0], recorder.base_url)
    repro = reproducer(failure, recorder.base_url)
    curl = _run(["bash", "-c", repro.curl])
    python = _run([sys.executable, "-c", repro.python])
    assert curl.returncode == 0 and python.returncode == 0, (curl.stderr, python.stderr)
    assert b"data: [DONE]" in curl.stdout and b"data: [DONE]" in python.stdout
    for received in recorder.requests:
        assert json.loads(received["body"]) == {"assistant_id": "asst_1", "stream": True}
        assert received["headers"]["Authorization"] == f"Bearer {KEY}"


def test_a_follow_up_failure_reproduces_the_create_request() -> None:
    failure = failures_by_id()["RUN-002"].failures[0]
    request = repro_request(failure, "http://target/v1/")
    assert (request.method, request.url, request.body) == (
        "POST",
        "http://target/v1/threads/runs",
        {"assistant_id": "asst_1"},
    )
    assert (
        request.note is not None and "GET http://127.0.0.1:9/v1/threads/thread_1/runs/run_1" in request.note
    )
    assert reproducer(failure, "http://target/v1").curl.startswith(
        "# The evidence is from a follow-up request"
    )


def test_a_failure_without_evidence_uses_default_headers() -> None:
    failure = FailureRecord(Finding("REQ-002", "accepted"), {"assistant_id": "a", "stream": True})
    request = repro_request(failure, "http://target/v1")
    assert request.stream and request.headers["Authorization"] == REDACTED
    assert reproducer(FailureRecord(Finding("REQ-002", "no request"), None), "http://target/v1") is None


def test_exchange_as_sent_without_content_type_stays_without() -> None:
    request = ReproRequest(
        "POST", "http://t/v1/threads/runs", {"Authorization": REDACTED}, {"a": 1}, stream=False
    )
    assert "-H 'Content-Type:'" in curl_command(request)
    get = ReproRequest("GET", "http://t/v1/threads/x", {"X-Empty": ""}, None, stream=False)
    assert "-X" not in curl_command(get) and "-H 'X-Empty;'" in curl_command(get)
    delete = ReproRequest("DELETE", "http://t/v1/threads/x", {}, None, stream=False)
    assert "-X DELETE" in curl_command(delete)
    assert "import os" not in python_snippet(get)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(), children, max_size=3),
    max_leaves=10,
)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    body=st.dictionaries(st.text(), json_values, max_size=4)
    | st.binary(max_size=64).map(lambda data: data.decode("utf-8", "surrogateescape"))
)
def test_any_body_arrives_byte_for_byte(recorder: Recorder, body) -> None:
    recorder.requests.clear()
    headers = {
        "Authorization": REDACTED,
        "Content-Type": "application/octet-stream",
        "X-Odd": 'it\'s a "$value"',
    }
    request = ReproRequest("POST", recorder.base_url + "/threads/runs", headers, body, stream=False)
    completed = _run(["bash", "-c", curl_command(request)])
    assert completed.returncode == 0, completed.stderr
    (received,) = recorder.requests
    expected = raw_bytes(body) if isinstance(body, str) else json.dumps(body).encode()
    assert received["body"] == expected
    assert received["headers"]["X-Odd"] == 'it\'s a "$value"'


def test_bytes_bodies_are_sent_raw() -> None:
    failure = FailureRecord(Finding("REQ-005", "accepted"), b"\xff\x00@x")
    request = repro_request(failure, "http://target/v1")
    assert raw_bytes(request.body) == b"\xff\x00@x"
    assert curl_command(request).startswith("printf '\\377\\000@x' | curl -sS -i")
    assert "content = b'\\xff\\x00@x'" in python_snippet(request)
