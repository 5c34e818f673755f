"""Serve the PyPI package `openai-responses` (a respx mock of the OpenAI API) over HTTP.

`openai-responses` is a pytest plugin: it answers requests made by an httpx client inside the
test process. This bridge puts one OpenAIMock (one in-memory state) behind a loopback HTTP
server, so that `conformance run` can certify it like any other target. It forwards each
request as it came and each answer as the mock made it (status, headers, body). What it adds
is in the API's own error envelope, so that no finding is the bridge's:
- a request no route of the mock matches -> 404 (respx raises instead);
- an exception raised by the mock (e.g. a body it cannot parse) -> 500, as any HTTP server
  answers an unhandled error.

How to run it (in a venv of its own, not the suite's):

    python3 -m venv /tmp/or-venv
    /tmp/or-venv/bin/pip install openai-responses==0.13.1
    /tmp/or-venv/bin/python examples/third-party/openai_responses_bridge.py --port 8801
    conformance run --base-url http://127.0.0.1:8801/v1 --claims examples/third-party/openai-responses.toml
"""

import argparse
import json
import threading
import traceback
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
from respx.models import AllMockedAssertionError
from openai_responses import OpenAIMock

MOCK_BASE = "http://openai-responses.mock/v1"
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "content-encoding"}


def envelope(message: str, kind: str) -> bytes:
    return json.dumps({"error": {"message": message, "type": kind, "param": None, "code": None}}).encode()


def make_handler(mock: OpenAIMock):
    lock = threading.Lock()  # the mock's state is not thread-safe
    client = httpx.Client(transport=httpx.MockTransport(mock.router.handler))

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _forward(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            path = self.path[len("/v1"):] if self.path.startswith("/v1") else self.path
            headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "content-length")}
            try:
                with lock:
                    answer = client.request(self.command, MOCK_BASE + path, headers=headers, content=body)
                    content = answer.read()
                status, out_headers = answer.status_code, answer.headers.items()
            except AllMockedAssertionError:
                status, out_headers = 404, [("content-type", "application/json")]
                content = envelope(f"no route {self.command} {self.path}", "invalid_request_error")
            except Exception as error:  # the mock raised: a 500, as a web server answers an unhandled error
                traceback.print_exc()
                status, out_headers = 500, [("content-type", "application/json")]
                content = envelope(f"the mock raised {type(error).__name__}", "server_error")
            self.send_response(status)
            for name, value in out_headers:
                if name.lower() not in HOP_BY_HOP:
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(content)))
            self.end_headers()
            self.wfile.write(content)

        do_GET = do_POST = do_DELETE = do_PUT = do_PATCH = _forward

    return Handler


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8801)
    args = parser.parse_args()
    server = ThreadingHTTPServer((args.host, args.port), make_handler(OpenAIMock(base_url=MOCK_BASE)))
    print(f"openai-responses mock on http://{args.host}:{args.port}/v1", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
