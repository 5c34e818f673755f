"""The reference server's state: assistants, threads, messages, runs and steps, in memory.

One lock guards everything; every method takes it, brings the runs it touches up to date
(``RunState.advance``) and returns deep copies, so callers never see an object change under
them. Request bodies reach the store already validated.
"""

from __future__ import annotations

import copy
import threading
import time
from collections.abc import Callable

from conformance.server import objects
from conformance.server.config import ServerConfig
from conformance.server.errors import bad_request, not_found
from conformance.server.run_plan import CANCELLABLE, RunState, ThreadState
from conformance.server.objects import JSON
from conformance.server.pagination import PageQuery, paginate


class Store:
    def __init__(self, config: ServerConfig, clock: Callable[[], float] = time.time) -> None:
        self.config = config
        self.clock = clock
        self._lock = threading.Lock()
        self._assistants: dict[str, JSON] = {}
        self._threads: dict[str, ThreadState] = {}

    # --- assistants -------------------------------------------------------------------------
    def create_assistant(self, body: JSON) -> JSON:
        with self._lock:
            assistant = objects.assistant(body, int(self.clock()), self.config.spec)
            self._assistants[assistant["id"]] = assistant
            return copy.deepcopy(assistant)

    def get_assistant(self, assistant_id: str) -> JSON:
        with self._lock:
            return copy.deepcopy(self._assistant(assistant_id))

    def delete_assistant(self, assistant_id: str) -> JSON:
        with self._lock:
            self._assistant(assistant_id)
            del self._assistants[assistant_id]
            return {"id": assistant_id, "object": "assistant.deleted", "deleted": True}

    # --- threads and runs -------------------------------------------------------------------
    def create_thread_and_run(self, body: JSON) -> JSON:
        """A new thread with the request's messages and a queued run on it; returns the run.

        The run's event log starts with thread.created, so a stream from cursor 0 tells the
        whole story."""
        with self._lock:
            assistant = self._assistant(body["assistant_id"], param="assistant_id")
            now = self.clock()
            request_thread = body.get("thread") or {}
            spec = self.config.spec
            thread = ThreadState(objects.thread(request_thread, int(now), spec))
            thread_id = thread.data["id"]
            for message in request_thread.get("messages", []):
                stored = objects.user_message(message, thread_id, int(now), spec)
                thread.messages[stored["id"]] = stored
            run = RunState(
                objects.run(body, assistant, thread_id, int(now), self.config.expires_after, spec), thread, self.config
            )
            thread.runs[run.data["id"]] = run
            self._threads[thread_id] = thread
            run.emit("thread.created", thread.data)
            run.start(now)
            return copy.deepcopy(run.data)

    def get_thread(self, thread_id: str) -> JSON:
        with self._lock:
            return copy.deepcopy(self._thread(thread_id).data)

    def get_run(self, thread_id: str, run_id: str) -> JSON:
        with self._lock:
            return copy.deepcopy(self._run(thread_id, run_id).data)

    def list_runs(self, thread_id: str, query: PageQuery) -> JSON:
        with self._lock:
            thread = self._thread(thread_id)
            runs = [self._advanced(run).data for run in thread.runs.values()]
            return copy.deepcopy(paginate(runs, query))

    def cancel_run(self, thread_id: str, run_id: str) -> JSON:
        with self._lock:
            run = self._run(thread_id, run_id)
            if run.status not in CANCELLABLE:
                raise bad_request(f"Cannot cancel run with status '{run.status}'.", code="invalid_state")
            run.cancel(self.clock())
            return copy.deepcopy(run.data)

    def submit_tool_outputs(self, thread_id: str, run_id: str, tool_outputs: list[JSON]) -> tuple[JSON, int]:
        """Continue a run waiting in requires_action; returns the run and the log cursor where
        the continuation's events start."""
        with self._lock:
            run = self._run(thread_id, run_id)
            if run.status != "requires_action":
                raise bad_request(f"Runs in status '{run.status}' do not accept tool outputs.", code="invalid_state")
            outputs = _outputs_by_call(tool_outputs, run.pending_tool_call_ids())
            cursor = len(run.log)
            run.submit_tool_outputs(self.clock(), outputs)
            return copy.deepcopy(run.data), cursor

    # --- steps and messages -----------------------------------------------------------------
    def list_steps(self, thread_id: str, run_id: str, query: PageQuery) -> JSON:
        with self._lock:
            run = self._run(thread_id, run_id)
            return copy.deepcopy(paginate(list(run.steps.values()), query))

    def get_step(self, thread_id: str, run_id: str, step_id: str) -> JSON:
        with self._lock:
            step = self._run(thread_id, run_id).steps.get(step_id)
            if step is None:
                raise not_found("run step", step_id)
            return copy.deepcopy(step)

    def list_messages(self, thread_id: str, query: PageQuery, run_id: str | None) -> JSON:
        with self._lock:
            thread = self._advanced_thread(thread_id)
            messages = [m for m in thread.messages.values() if run_id is None or m["run_id"] == run_id]
            return copy.deepcopy(paginate(messages, query))

    def get_message(self, thread_id: str, message_id: str) -> JSON:
        with self._lock:
            message = self._advanced_thread(thread_id).messages.get(message_id)
            if message is None:
                raise not_found("message", message_id)
            return copy.deepcopy(message)

    # --- streaming --------------------------------------------------------------------------
    def read_events(self, thread_id: str, run_id: str, cursor: int) -> tuple[list[bytes], int, bool, float]:
        """The run's event frames from ``cursor`` up to and including one that ends a stream:
        (frames, new cursor, whether the stream is over, seconds until the run next changes)."""
        with self._lock:
            run = self._run(thread_id, run_id)
            frames: list[bytes] = []
            for entry in run.log[cursor:]:
                frames.append(entry.chunk)
                if entry.ends_stream:
                    return frames, cursor + len(frames), True, 0.0
            return frames, cursor + len(frames), False, max(0.0, run.next_change() - self.clock())

    # --- lookups (lock held) ----------------------------------------------------------------
    def _assistant(self, assistant_id: str, param: str | None = None) -> JSON:
        assistant = self._assistants.get(assistant_id)
        if assistant is None:
            raise not_found("assistant", assistant_id, param=param)
        return assistant

    def _thread(self, thread_id: str) -> ThreadState:
        thread = self._threads.get(thread_id)
        if thread is None:
            raise not_found("thread", thread_id)
        return thread

    def _advanced_thread(self, thread_id: str) -> ThreadState:
        thread = self._thread(thread_id)
        for run in thread.runs.values():
            self._advanced(run)
        return thread

    def _run(self, thread_id: str, run_id: str) -> RunState:
        run = self._thread(thread_id).runs.get(run_id)
        if run is None:
            raise not_found("run", run_id)
        return self._advanced(run)

    def _advanced(self, run: RunState) -> RunState:
        run.advance(self.clock())
        return run


def _outputs_by_call(tool_outputs: list[JSON], pending: list[str]) -> dict[str, str]:
    """Outputs keyed by tool_call_id; "all outputs must be submitted in a single request"."""
    outputs: dict[str, str] = {}
    for index, item in enumerate(tool_outputs):
        call_id = item.get("tool_call_id")
        if call_id is None:
            raise bad_request("Each tool output needs a tool_call_id.",
                              param=f"tool_outputs[{index}].tool_call_id", code="missing_required_parameter")
        if call_id not in pending:
            raise bad_request(f"No pending tool call with id '{call_id[:80]}'.",
                              param=f"tool_outputs[{index}].tool_call_id", code="invalid_value")
        if call_id in outputs:
            raise bad_request(f"Duplicate output for tool call '{call_id}'.",
                              param=f"tool_outputs[{index}].tool_call_id", code="invalid_value")
        outputs[call_id] = item.get("output", "")
    missing = [call_id for call_id in pending if call_id not in outputs]
    if missing:
        raise bad_request(f"Expected tool outputs for call_ids {pending}, got none for {missing}.",
                          param="tool_outputs", code="invalid_value")
    return outputs
