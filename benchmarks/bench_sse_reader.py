"""Throughput of the strict SSE decoder on a large synthetic Assistants stream.

The stream repeats realistic runs (thread and run lifecycle, a message streamed as many small
text deltas, some non-ASCII text) up to the requested size, then is fed to the decoder in
chunks of a few realistic size ranges: one event per read (a server flushing every event),
a few KiB (a busy connection) and 64 KiB (httpcore's read size on a fast link).

    python benchmarks/bench_sse_reader.py [--megabytes 50] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import random
import time

from openai._streaming import SSEDecoder as SDKDecoder

from conformance.streaming.sse import SSEDecoder

WORDS = ["the", "run", "streams", "tokens", "über", "naïve", "日本語", "😀", "assistant", "delta", "\n", "value"]


def frame(event: str, data: object) -> bytes:
    return f"event: {event}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n".encode()


def one_run(rng: random.Random, n: int) -> list[bytes]:
    thread = {"id": f"thread_{n}", "object": "thread", "created_at": 1700000000, "metadata": {}, "tool_resources": {}}
    run = {
        "id": f"run_{n}", "object": "thread.run", "created_at": 1700000000, "thread_id": thread["id"],
        "assistant_id": "asst_1", "status": "queued", "model": "gpt-4o", "instructions": "Be brief. " * 20,
        "tools": [], "metadata": {}, "temperature": 1.0, "top_p": 1.0, "usage": None,
    }
    message = {
        "id": f"msg_{n}", "object": "thread.message", "created_at": 1700000001, "thread_id": thread["id"],
        "status": "in_progress", "role": "assistant", "content": [], "run_id": run["id"], "metadata": {},
    }
    events = [frame("thread.created", thread), frame("thread.run.created", run)]
    events += [frame("thread.run.in_progress", {**run, "status": "in_progress"})]
    events += [frame("thread.message.created", message)]
    for _ in range(rng.randint(50, 400)):
        fragment = " ".join(rng.choices(WORDS, k=rng.randint(1, 3)))
        text = {"index": 0, "type": "text", "text": {"value": fragment, "annotations": []}}
        delta = {"id": message["id"], "object": "thread.message.delta", "delta": {"content": [text]}}
        events.append(frame("thread.message.delta", delta))
    events += [frame("thread.message.completed", {**message, "status": "completed"})]
    events += [frame("thread.run.completed", {**run, "status": "completed"}), b"event: done\ndata: [DONE]\n\n"]
    return events


def synthetic_stream(megabytes: float, seed: int = 1) -> tuple[list[bytes], int]:
    rng = random.Random(seed)
    events: list[bytes] = []
    size = 0
    while size < megabytes * 1e6:
        run = one_run(rng, len(events))
        events += run
        size += sum(map(len, run))
    return events, size


def chunked(events: list[bytes], low: int, high: int, seed: int = 2) -> list[bytes]:
    """Re-cut the stream into chunks of low..high bytes (0, 0: one chunk per event)."""
    if not high:
        return events
    rng = random.Random(seed)
    body = b"".join(events)
    chunks, pos = [], 0
    while pos < len(body):
        step = rng.randint(low, high)
        chunks.append(body[pos : pos + step])
        pos += step
    return chunks


def measure(chunks: list[bytes], repeat: int) -> tuple[float, int]:
    best = float("inf")
    for _ in range(repeat):
        decoder = SSEDecoder(origin=0.0)
        count = 0
        started = time.perf_counter()
        for chunk in chunks:
            count += len(decoder.feed(chunk, 0.0))
        decoder.close()
        best = min(best, time.perf_counter() - started)
    return best, count


def measure_sdk(chunks: list[bytes], repeat: int) -> tuple[float, int]:
    """The official SDK's decoder on the same chunks, for reference (it checks much less)."""
    best, count = float("inf"), 0
    for _ in range(repeat):
        started = time.perf_counter()
        count = sum(1 for _ in SDKDecoder().iter_bytes(iter(chunks)))
        best = min(best, time.perf_counter() - started)
    return best, count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--megabytes", type=float, default=50.0)
    parser.add_argument("--repeat", type=int, default=3, help="best of N")
    args = parser.parse_args()
    events, size = synthetic_stream(args.megabytes)
    print(f"stream: {size / 1e6:.1f} MB, {len(events)} events")
    sizes = [("one event per chunk", 0, 0), ("1-8 KiB chunks", 1024, 8192), ("64 KiB chunks", 65536, 65536)]
    for label, low, high in sizes:
        chunks = chunked(events, low, high)
        seconds, count = measure(chunks, args.repeat)
        sdk_seconds, sdk_count = measure_sdk(chunks, args.repeat)
        assert count == sdk_count == len(events), (count, sdk_count, len(events))
        print(
            f"{label:>20}: {size / 1e6 / seconds:6.1f} MB/s ({count / seconds / 1e3:.0f}k events/s);"
            f" openai SDK decoder {size / 1e6 / sdk_seconds:6.1f} MB/s"
        )


if __name__ == "__main__":
    main()
