"""Cursor pagination of list endpoints (``limit``, ``order``, ``after``, ``before``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from conformance.server.errors import bad_request
from conformance.server.objects import JSON

MAX_LIMIT = 100


@dataclass(frozen=True)
class PageQuery:
    limit: int = 20
    order: str = "desc"
    after: str | None = None
    before: str | None = None


def page_query(params: Mapping[str, str]) -> PageQuery:
    limit_text = params.get("limit", "20")
    try:
        limit = int(limit_text)
    except ValueError:
        raise bad_request(f"Invalid 'limit': {limit_text[:40]!r} is not an integer.",
                          param="limit", code="invalid_type") from None
    if not 1 <= limit <= MAX_LIMIT:
        raise bad_request(f"Invalid 'limit': must be between 1 and {MAX_LIMIT}.", param="limit", code="invalid_value")
    order = params.get("order", "desc")
    if order not in ("asc", "desc"):
        raise bad_request("Invalid 'order': must be 'asc' or 'desc'.", param="order", code="invalid_value")
    return PageQuery(limit, order, params.get("after"), params.get("before"))


def paginate(items: list[JSON], query: PageQuery) -> JSON:
    """One page of ``items`` (given oldest first) as a list object.

    The window is the items strictly after ``after`` and before ``before`` in the requested
    order; the page is its first ``limit`` items and ``has_more`` says the window goes on.
    """
    ordered = items if query.order == "asc" else items[::-1]
    ids = [item["id"] for item in ordered]
    start, stop = 0, len(ordered)
    if query.after is not None:
        start = _position(ids, query.after, "after") + 1
    if query.before is not None:
        stop = _position(ids, query.before, "before")
    window = ordered[start:stop]
    page = window[:query.limit]
    return {
        "object": "list",
        "data": page,
        # The spec declares first_id/last_id as non-nullable strings, so an empty page has "".
        "first_id": page[0]["id"] if page else "",
        "last_id": page[-1]["id"] if page else "",
        "has_more": len(window) > len(page),
    }


def _position(ids: list[str], cursor: str, param: str) -> int:
    try:
        return ids.index(cursor)
    except ValueError:
        raise bad_request(f"Invalid '{param}': no object with id '{cursor[:80]}' in this list.",
                          param=param, code="invalid_value") from None
