"""``report.json`` as typed data: the one description of its layout.

``reports/report.schema.json`` is generated from these models (``python -m reports.model >
reports/report.schema.json``; a test keeps the two equal), every report written is built through
them, and a saved report is validated by them when it is read back. Validation is strict (no
``"1"`` for 1, no ``true`` for 1) but for the enumerations, which come as their JSON strings.

Layout versions: ``schema_version`` is MAJOR.MINOR; minor versions only add fields, so readers
ignore unknown keys.
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.json_schema import GenerateJsonSchema

from conformance.core.catalogue import Area, Level
from conformance.core.findings import Severity
from conformance.core.results import Verdict

SCHEMA_VERSION = "1.2"
SCHEMA_ID = "urn:assistants-conformance:report-schema:1"


class _Strict(BaseModel):
    model_config = ConfigDict(strict=True)


# Enumerations are validated from their JSON strings, which strict validation would refuse.
FROM_STRING = Field(strict=False)


class EvidenceEvent(_Strict):
    event: str
    data: str
    at: float = Field(description="seconds since the request was sent.")
    index: int | None = Field(None, ge=0, description="the event's number in the stream (1.1; the evidence may "
                                                      "keep only some events). Absent: its position in events.")


class Evidence(_Strict):
    """One HTTP exchange; secret header values are "<redacted>"."""

    method: str
    url: str
    request_headers: dict[str, str]
    request_body: Any = Field(description="JSON value, or a string for a raw body.")
    status: int | None
    response_headers: dict[str, str]
    response_body: str = Field(description="truncated; empty for streams (see events).")
    events: list[EvidenceEvent] | None = Field(description="null unless the response was a stream.")
    events_omitted: int = Field(0, ge=0, description="events of the stream not kept here (1.1): the evidence keeps "
                                                     "the first ones and those around the fault.")
    elapsed: float = Field(ge=0)
    transport_error: str | None


class Reproducer(_Strict):
    """derived: shell and Python commands that send the failing request; the key is read from $OPENAI_API_KEY."""

    curl: str
    python: str


class FailureEntry(_Strict):
    message: str
    severity: Annotated[Severity, FROM_STRING]
    expected: Any = Field(description="the value the requirement demands, when there is one (any JSON).")
    observed: Any = Field(description="the value the target produced (any JSON).")
    event_index: int | None = Field(ge=0, description="index into evidence.events of the stream event at fault; "
                                                      "null when the fault is not one event.")
    minimal_example: Any = Field(description="the minimal (shrunk) request body that reproduces the failure: JSON, "
                                             "or a string for a raw non-JSON body.")
    evidence: Evidence | None
    reproducer: Reproducer | None


class RequirementEntry(_Strict):
    id: str = Field(pattern=r"^[A-Z]+-[0-9]{3}$")
    level: Annotated[Level, FROM_STRING]
    area: Annotated[Area, FROM_STRING]
    text: str = Field(description="the requirement as the run judged it (the catalogue text, with the position "
                                  "taken on any ambiguity).")
    spec: str = Field(description="JSON pointer into the spec, or the source of the requirement.")
    verdict: Annotated[Verdict, FROM_STRING]
    exercised: int = Field(ge=0, description="number of exchanges that exercised the requirement.")
    failures: list[FailureEntry]
    reasons: list[str] = Field(default_factory=list, description=(
        "why evidence went unjudged (1.2), the most frequent first: for not-exercised and unsupported, why the "
        "requirement was not judged at all; otherwise, which of its checks never judged anything, and why."))


class VerdictCounts(_Strict):
    """derived: requirements per verdict."""

    model_config = ConfigDict(strict=True, populate_by_name=True)

    pass_: int = Field(ge=0, alias="pass")
    fail: int = Field(ge=0)
    warn: int = Field(ge=0)
    not_exercised: int = Field(ge=0, alias="not-exercised")
    unsupported: int = Field(0, ge=0, description="(1.2)")
    error: int = Field(ge=0)


class ClaimsEntry(_Strict):
    """What the target said of itself (1.2): a claims file, --without."""

    server_name: str | None = None
    server_version: str | None = None
    unclaimed: list[str] = Field(default_factory=list, description="features the target does not claim: never "
                                                                   "sent; requirements only they exercise are "
                                                                   "unsupported.")


class ReportDocument(_Strict):
    """report.json written by `conformance run` (schema_version 1.x: minor versions only add fields, so
    readers ignore unknown keys). Fields marked derived are recomputed from the others when a report is
    re-rendered."""

    schema_version: str = Field(pattern=r"^1\.[0-9]+$", description="MAJOR.MINOR of this layout.")
    partial: bool = Field(description="true when the run stopped (Ctrl-C, budget exhausted) before every property "
                                      "ran: verdicts cover only what ran.")
    outcome: Literal["conformant", "conformant-for-claimed-features", "not-conformant", "error"] = Field(
        description="derived: not-conformant when a MUST requirement failed, error when the suite itself broke "
                    "(internal_errors) or could not judge the target (not_judged); conformant-for-claimed-features "
                    "(1.2) when it is conformant and claims.unclaimed is not empty.")
    suite_version: str
    spec_commit: str = Field(description="commit of the OpenAPI document the suite was built from.")
    spec_sha256: str | None = Field(None, description="(1.2) SHA-256 of the spec document the suite ships.")
    spec_profile: str = Field("v2-current", description="(1.2) the request surface the target was judged against.")
    certification: bool = Field(False, description="(1.2) run with --certify: nothing weakened the run (no core "
                                                   "feature left out, no budget cut, the standard run profile).")
    claims: ClaimsEntry = Field(default_factory=ClaimsEntry, description="(1.2)")
    profile: str
    seed: int
    base_url: str = Field(description="the target, e.g. https://api.openai.com/v1.")
    started_at: float = Field(description="Unix seconds.")
    started_at_iso: str = Field(description="derived: started_at in UTC, ISO 8601.")
    duration: float = Field(ge=0, description="seconds.")
    requests_sent: int = Field(ge=0)
    counts: VerdictCounts
    internal_errors: list[str] = Field(description="what broke inside the suite (not the target).")
    not_judged: str | None = Field(None, description="why the run reached no verdict on the target (1.1): it was "
                                                     "interrupted, the target stopped answering or rate-limited every "
                                                     "request, the core requirements could not be exercised. The "
                                                     "outcome is then error.")
    notes: list[str] = Field(default_factory=list, description="what a reader should know of the run (1.1), e.g. "
                                                               "how the target throttled it.")
    requirements: list[RequirementEntry]


class _WithoutFieldTitles(GenerateJsonSchema):
    """Field titles would only repeat the field names."""

    def field_title_should_be_set(self, schema: Any) -> bool:
        return False


def json_schema() -> dict[str, Any]:
    """The JSON Schema of report.json, as shipped in ``reports/report.schema.json``."""
    generated = ReportDocument.model_json_schema(by_alias=True, schema_generator=_WithoutFieldTitles)
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": SCHEMA_ID, **generated}


if __name__ == "__main__":
    print(json.dumps(json_schema(), indent=2))
