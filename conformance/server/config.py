"""Settings of the reference server."""

from __future__ import annotations

from dataclasses import dataclass, field

from conformance.core.spec import Spec, spec_for
from conformance.core.spec.profiles import DEFAULT_PROFILE, SpecProfile, get_profile


@dataclass(frozen=True)
class ServerConfig:
    """How the reference server behaves; the defaults keep tests fast.

    - ``api_key``: when set, every request needs ``Authorization: Bearer <api_key>``
      (kept out of ``repr`` so it never reaches a log);
    - ``step_delay``: seconds between two status changes of a run (queued -> in_progress ->
      completed); message deltas are spread over the in_progress step;
    - ``expires_after``: seconds from a run's creation to its ``expires_at``; a run still
      active then (in practice: waiting in requires_action) becomes ``expired``;
    - ``stream_chunk_words``: words per ``thread.message.delta`` fragment;
    - ``spec_profile``: the spec version served (a name of ``SPEC_PROFILES`` or a ``SpecProfile``):
      requests are validated against its schemas, objects have its fields, streams its events.
    """

    api_key: str | None = field(default=None, repr=False)
    step_delay: float = 0.02
    expires_after: int = 600
    stream_chunk_words: int = 2
    spec_profile: str | SpecProfile = DEFAULT_PROFILE.name

    def __post_init__(self) -> None:
        if self.step_delay < 0:
            raise ValueError("step_delay must be >= 0")
        if self.expires_after < 1:
            raise ValueError("expires_after must be >= 1 (expires_at must be later than created_at)")
        if self.stream_chunk_words < 1:
            raise ValueError("stream_chunk_words must be >= 1")
        if self.api_key == "":
            raise ValueError("api_key must be None or a non-empty string")
        get_profile(self.spec_profile)  # an unknown name fails here, not at the first request

    @property
    def spec(self) -> Spec:
        """The spec of the profile served."""
        return spec_for(self.spec_profile)
