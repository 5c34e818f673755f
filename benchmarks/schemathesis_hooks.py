"""Schemathesis hook for bench_vs_schemathesis.py: point generated requests at a real assistant.

Schemathesis cannot know an assistant id (the spec has no link from createAssistant to
createThreadAndRun), so without help nearly every request it sends is a 404 and no run, and
no stream, ever happens. A user would write this hook; the benchmark's second schemathesis
variant loads it (via ``hooks`` in its config file) to measure that fairer setup too.
"""

import os

import schemathesis


@schemathesis.hook
def before_call(context, case, kwargs):
    # Only a string id is replaced: a deliberately wrong type (a negative case) stays wrong.
    if isinstance(case.body, dict) and isinstance(case.body.get("assistant_id"), str):
        case.body["assistant_id"] = os.environ["BENCH_ASSISTANT_ID"]
