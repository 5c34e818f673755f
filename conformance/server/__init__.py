"""The reference server: a deterministic Assistants implementation with a fake model.

``create_app(ServerConfig(...))`` builds the ASGI app; ``background.running_server(app)``
serves it on a free loopback port. See fake_model.py for what runs produce. It serves one spec
profile (``ServerConfig.spec_profile``; v2-current by default): v1, v2-2024Q2 or v2-current.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from conformance.server.app import create_app
    from conformance.server.config import ServerConfig

__all__ = ["ServerConfig", "create_app"]


def __getattr__(name: str) -> Any:
    # Imported on first use: the CLI imports conformance.server.command for every
    # sub-command, and `conformance requirements` should not pay for Starlette.
    if name == "create_app":
        from conformance.server.app import create_app

        return create_app
    if name == "ServerConfig":
        from conformance.server.config import ServerConfig

        return ServerConfig
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
