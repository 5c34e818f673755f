"""JSON responses as the API sends them.

ASCII-only JSON: a request may smuggle a lone surrogate in through a ``\\udXXX`` escape, and
echoing it unescaped would make the response impossible to encode as UTF-8.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.responses import Response


def dumps(data: Any) -> str:
    return json.dumps(data, ensure_ascii=True, allow_nan=False, separators=(",", ":"))


def json_response(data: Any, *, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(dumps(data), status_code=status, headers=headers, media_type="application/json")
