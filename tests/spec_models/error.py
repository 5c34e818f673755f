"""The error envelope of every >= 400 response, and the ``data`` of the stream's ``error`` event."""

from __future__ import annotations

from spec_models.base import OpenObject


class Error(OpenObject):
    """``Error``: ``param`` and ``code`` must be present, and may be null."""

    code: str | None
    message: str
    param: str | None
    type: str


class ErrorResponse(OpenObject):
    """``ErrorResponse``: ``{"error": {...}}``."""

    error: Error
