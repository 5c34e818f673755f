"""How a run moves: a time-driven plan of transitions, applied lazily.

A run owns a plan: transitions, each due at a point in time, that move it (queued ->
in_progress -> steps, message, deltas -> completed, ...). Nothing runs in the background:
whoever looks at the run (a GET, a list, a stream) first calls ``advance(now)``, which applies
every transition due by then, in order, stamped with its due time. The outcome depends only
on the request and the clock, never on who looked when; every transition also appends its
stream events to the run's log, which streams tail (event_stream.py).

Pacing: a status change every ``step_delay`` seconds; message and argument deltas are spread
evenly inside the in_progress step.

A run that runs out of tokens ends ``incomplete`` (reason in ``incomplete_details``), except under
a spec profile without that status (v1, before 2024-05-13): there it ends ``completed``, with the
same ``incomplete_details``, as v1's descriptions of max_prompt_tokens and max_completion_tokens
said ("the run will end with status `complete`. See `incomplete_details` for more info"); its
reply message still ends ``incomplete`` (reason ``max_tokens``), a status v1 messages had.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from conformance.core.spec.runs import TERMINAL
from conformance.server import objects
from conformance.server.config import ServerConfig
from conformance.server.event_stream import frame
from conformance.server.fake_model import ModelInput, ModelOutput, run_model
from conformance.server.objects import JSON

CANCELLABLE = frozenset({"queued", "in_progress", "requires_action"})
# After one of these run events a stream is over (requires_action pauses the run; the
# submit_tool_outputs call opens the next stream).
STREAM_ENDING_EVENTS = frozenset({"thread.run.requires_action"} | {f"thread.run.{s}" for s in TERMINAL})
ARGUMENT_FRAGMENT_CHARS = 8


@dataclass
class Transition:
    due: float
    apply: Callable[[float], None]


@dataclass
class ThreadState:
    data: JSON
    messages: dict[str, JSON] = field(default_factory=dict)  # insertion order = creation order
    runs: dict[str, RunState] = field(default_factory=dict)


@dataclass
class LogEntry:
    chunk: bytes
    ends_stream: bool


class RunState:
    """A run, its steps and its reply messages, with the plan that moves them."""

    def __init__(self, data: JSON, thread: ThreadState, config: ServerConfig) -> None:
        self.data = data
        self.thread = thread
        self.spec = config.spec
        self.delay = config.step_delay
        self.chunk_words = config.stream_chunk_words
        self.steps: dict[str, JSON] = {}
        self.replies: list[JSON] = []
        self.plan: deque[Transition] = deque()
        self.log: list[LogEntry] = []
        self.prompt_used = 0
        self.completion_used = 0
        self.awaiting_outputs: tuple[JSON, ModelOutput] | None = None  # tool_calls step, its pass

    # --- observation ------------------------------------------------------------------------
    @property
    def status(self) -> str:
        return self.data["status"]

    def advance(self, now: float) -> None:
        """Apply every transition due by ``now``; expire the run if ``expires_at`` came first."""
        while self.status not in TERMINAL:
            due = self.plan[0].due if self.plan else math.inf
            expires_at = self.data["expires_at"]
            if expires_at <= min(due, now):
                self._expire(expires_at)
                return
            if due > now:
                return
            self.plan.popleft().apply(due)

    def next_change(self) -> float:
        """When the run will next change by itself (inf when it waits for a client or is over)."""
        if self.status in TERMINAL:
            return math.inf
        return min(self.plan[0].due if self.plan else math.inf, self.data["expires_at"])

    def emit(self, event: str, data: JSON) -> None:
        self.log.append(LogEntry(frame(event, data), event in STREAM_ENDING_EVENTS))

    # --- client actions ---------------------------------------------------------------------
    def start(self, now: float) -> None:
        self.emit("thread.run.created", self.data)
        self.emit("thread.run.queued", self.data)
        self._schedule_pass(now, tool_outputs=None)

    def cancel(self, now: float) -> None:
        self.plan.clear()
        self.awaiting_outputs = None
        self.data["required_action"] = None
        self._set_status("cancelling")
        self.plan.append(Transition(now + self.delay, self._finish_cancel))

    def pending_tool_call_ids(self) -> list[str]:
        return [call["id"] for call in self.data["required_action"]["submit_tool_outputs"]["tool_calls"]]

    def submit_tool_outputs(self, now: float, outputs: dict[str, str]) -> None:
        """Outputs for exactly the pending calls (checked by the caller), by tool_call_id."""
        assert self.awaiting_outputs is not None
        step, model_pass = self.awaiting_outputs
        self.awaiting_outputs = None
        calls = step["step_details"]["tool_calls"]
        for call in calls:
            call["function"]["output"] = outputs[call["id"]]
        self._close_step(step, "completed", now, model_pass)
        self.data["required_action"] = None
        self._set_status("queued")
        self._schedule_pass(now, tool_outputs=[outputs[call["id"]] for call in calls])

    # --- the model's work -------------------------------------------------------------------
    def _schedule_pass(self, now: float, tool_outputs: Sequence[str] | None) -> None:
        self.plan.append(Transition(now + self.delay, lambda at: self._begin_pass(at, tool_outputs)))

    def _begin_pass(self, at: float, tool_outputs: Sequence[str] | None) -> None:
        if self.data["started_at"] is None:
            self.data["started_at"] = int(at)
        self._set_status("in_progress")
        output = run_model(self._model_input(tool_outputs))
        self.prompt_used += output.prompt_tokens
        self.completion_used += output.completion_tokens
        end = at + self.delay
        if output.tool_calls:
            self._plan_tool_calls(at, end, output)
        elif output.text is not None:
            self._plan_reply(at, end, output)
        else:  # the prompt did not fit: nothing was generated
            self.plan.append(Transition(end, lambda t: self._finish(t, output.incomplete_reason)))

    def _model_input(self, tool_outputs: Sequence[str] | None) -> ModelInput:
        run = self.data
        max_prompt, max_completion = run["max_prompt_tokens"], run["max_completion_tokens"]
        return ModelInput(
            instructions=run["instructions"],
            messages=[(m["role"], objects.message_text(m)) for m in self.thread.messages.values()],
            tools=run["tools"],
            tool_choice=run["tool_choice"],
            parallel_tool_calls=run.get("parallel_tool_calls", True),  # absent before 2024-06-06: true
            tool_outputs=tool_outputs,
            prompt_budget=None if max_prompt is None else max_prompt - self.prompt_used,
            completion_budget=None if max_completion is None else max_completion - self.completion_used,
        )

    def _plan_reply(self, at: float, end: float, output: ModelOutput) -> None:
        message = objects.assistant_message(self.data, int(at), self.spec)
        details = {"type": "message_creation", "message_creation": {"message_id": message["id"]}}
        step = self._open_step(details, at)
        self.thread.messages[message["id"]] = message
        self.replies.append(message)
        self.emit("thread.message.created", message)
        self.emit("thread.message.in_progress", message)
        words = (output.text or "").split()
        fragments = [
            (" " if start else "") + " ".join(words[start:start + self.chunk_words])
            for start in range(0, len(words), self.chunk_words)
        ]
        self._spread(at, end, [lambda t, f=fragment: self._append_text(message, f) for fragment in fragments])
        self.plan.append(Transition(end, lambda t: self._complete_reply(t, message, step, output)))

    def _append_text(self, message: JSON, fragment: str) -> None:
        if not message["content"]:
            message["content"].append(objects.text_part(""))
        message["content"][0]["text"]["value"] += fragment
        self.emit("thread.message.delta", {
            "id": message["id"],
            "object": "thread.message.delta",
            "delta": {"content": [{"index": 0, "type": "text", "text": {"value": fragment, "annotations": []}}]},
        })

    def _complete_reply(self, at: float, message: JSON, step: JSON, output: ModelOutput) -> None:
        if output.incomplete_reason:
            self._close_message(message, at, "max_tokens")
        else:
            message["status"] = "completed"
            message["completed_at"] = int(at)
            self.emit("thread.message.completed", message)
        self._close_step(step, "completed", at, output)
        self._finish(at, output.incomplete_reason)

    def _plan_tool_calls(self, at: float, end: float, output: ModelOutput) -> None:
        step = self._open_step({"type": "tool_calls", "tool_calls": []}, at)
        deltas: list[JSON] = []
        for index, call in enumerate(output.tool_calls):
            call_id = objects.new_id("call")
            deltas.append({"index": index, "id": call_id, "type": "function",
                           "function": {"name": call.name, "arguments": "", "output": None}})
            args = call.arguments
            deltas.extend(
                {"index": index, "type": "function", "function": {"arguments": args[i:i + ARGUMENT_FRAGMENT_CHARS]}}
                for i in range(0, len(args), ARGUMENT_FRAGMENT_CHARS)
            )
        self._spread(at, end, [lambda t, d=delta: self._append_tool_call(step, d) for delta in deltas])
        self.plan.append(Transition(end, lambda t: self._require_action(step, output)))

    def _append_tool_call(self, step: JSON, delta: JSON) -> None:
        calls = step["step_details"]["tool_calls"]
        if "id" in delta:  # the first delta of a call carries all but its arguments
            calls.append({"id": delta["id"], "type": "function", "function": dict(delta["function"])})
        else:
            calls[delta["index"]]["function"]["arguments"] += delta["function"]["arguments"]
        self.emit("thread.run.step.delta", {
            "id": step["id"],
            "object": "thread.run.step.delta",
            "delta": {"step_details": {"type": "tool_calls", "tool_calls": [delta]}},
        })

    def _require_action(self, step: JSON, output: ModelOutput) -> None:
        self.awaiting_outputs = (step, output)
        self.data["required_action"] = {
            "type": "submit_tool_outputs",
            "submit_tool_outputs": {"tool_calls": [
                {"id": call["id"], "type": "function",
                 "function": {"name": call["function"]["name"], "arguments": call["function"]["arguments"]}}
                for call in step["step_details"]["tool_calls"]
            ]},
        }
        self._set_status("requires_action")

    # --- endings ----------------------------------------------------------------------------
    def _finish(self, at: float, incomplete_reason: str | None) -> None:
        run = self.data
        run["usage"] = objects.usage(self.prompt_used, self.completion_used)
        run["expires_at"] = None
        if incomplete_reason:
            run["incomplete_details"] = {"reason": incomplete_reason}
        if incomplete_reason and self.spec.profile.has("run_incomplete"):
            self._set_status("incomplete")
        else:  # under v1 also a run that ran out of tokens (see the module docstring)
            run["completed_at"] = int(at)
            self._set_status("completed")

    def _finish_cancel(self, at: float) -> None:
        self._stop_open_work(at, message_reason="run_cancelled", step_status="cancelled")
        self.data["cancelled_at"] = int(at)
        self.data["expires_at"] = None
        self._set_status("cancelled")

    def _expire(self, at: float) -> None:
        self.plan.clear()
        self.awaiting_outputs = None
        self._stop_open_work(at, message_reason="run_expired", step_status="expired")
        self.data["required_action"] = None
        self._set_status("expired")

    def _stop_open_work(self, at: float, message_reason: str, step_status: str) -> None:
        for message in self.replies:
            if message["status"] == "in_progress":
                self._close_message(message, at, message_reason)
        for step in self.steps.values():
            if step["status"] == "in_progress":
                self._close_step(step, step_status, at, None)

    # --- small pieces -----------------------------------------------------------------------
    def _set_status(self, status: str) -> None:
        self.data["status"] = status
        self.emit(f"thread.run.{status}", self.data)

    def _open_step(self, details: JSON, at: float) -> JSON:
        step = objects.step(self.data, details, int(at))
        self.steps[step["id"]] = step
        self.emit("thread.run.step.created", step)
        self.emit("thread.run.step.in_progress", step)
        return step

    def _close_step(self, step: JSON, status: str, at: float, model_pass: ModelOutput | None) -> None:
        step["status"] = status
        step[f"{status}_at"] = int(at)  # completed_at, cancelled_at or expired_at
        if model_pass is not None:
            step["usage"] = objects.usage(model_pass.prompt_tokens, model_pass.completion_tokens)
        self.emit(f"thread.run.step.{status}", step)

    def _close_message(self, message: JSON, at: float, reason: str) -> None:
        message["status"] = "incomplete"
        message["incomplete_at"] = int(at)
        message["incomplete_details"] = {"reason": reason}
        self.emit("thread.message.incomplete", message)

    def _spread(self, start: float, end: float, actions: list[Callable[[float], None]]) -> None:
        """Schedule ``actions`` evenly between ``start`` and ``end`` (both excluded)."""
        gap = (end - start) / (len(actions) + 1)
        self.plan.extend(Transition(start + gap * (i + 1), action) for i, action in enumerate(actions))
