"""``ThreadObject``: the ``data`` of the ``thread.created`` event."""

from __future__ import annotations

from typing import Literal

from spec_models.base import Metadata, OpenObject
from spec_models.resources import ToolResources


class ThreadObject(OpenObject):
    """``ThreadObject``."""

    id: str
    object: Literal["thread"]
    created_at: int
    tool_resources: ToolResources | None
    metadata: Metadata
