"""Conformance suite for the OpenAI Assistants API ``POST /v1/threads/runs`` (createThreadAndRun)."""

__version__ = "0.1.0"
