"""Feature claims: which optional features the server under test offers, and what it is.

"Does not support X" is not "supports X wrongly": a feature the target does not claim is never
sent, and a requirement only it exercises (``Requirement.features``) is ``unsupported``, not
failed. A claims file says it once for a server (``--claims FILE``), ``--without FEATURE`` on the
command line adds to it::

    # claims.toml
    [server]
    name = "acme-assistants"      # shown in the report, with the version
    version = "2.3.1"
    spec_profile = "v2-2024Q2"    # the request surface it implements (default: the shipped spec)

    [features]                    # every feature is claimed unless set to false here
    file_search = false
    code_interpreter = false
    streaming = true

Features are the request-surface branches of ``conformance.core.spec.profiles.FEATURES`` and two
behaviours, ``streaming`` and ``authentication``. ``OPTIONAL`` are those a server may lack and
still be certified for the rest; leaving out any other is core behaviour missing, which a run may
skip (to get past it while developing) but a certification may not.
"""

from __future__ import annotations

import tomllib
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from conformance.core.catalogue import Requirement
from conformance.core.errors import SuiteError
from conformance.core.spec.profiles import FEATURES, SpecProfile, get_profile

BEHAVIOURS: Mapping[str, str] = MappingProxyType({
    "streaming": "stream: true: answers as server-sent events (requests, tool outputs)",
    "authentication": "bearer keys: requests without the right key are refused",
})
CLAIMABLE: Mapping[str, str] = MappingProxyType({**FEATURES, **BEHAVIOURS})
OPTIONAL: frozenset[str] = frozenset({
    "function", "function_strict", "code_interpreter", "file_search", "retrieval", "max_num_results", "ranking_options",
    "vector_stores", "chunking_strategy", "attachments", "file_ids", "image_file", "image_url", "json_object",
    "json_schema", "response_format_none", "truncation_strategy", "streaming", "authentication",
})


class ClaimsError(SuiteError):
    """A claims file or a feature name that cannot be used (one line a user can act on)."""


class _Server(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    name: str | None = Field(None, min_length=1, max_length=200)
    version: str | None = Field(None, min_length=1, max_length=100)
    spec_profile: str | None = None

    @field_validator("spec_profile")
    @classmethod
    def _known_profile(cls, name: str | None) -> str | None:
        if name is not None:
            get_profile(name)  # ValueError naming the known profiles
        return name


class _ClaimsFile(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    server: _Server = _Server()
    features: dict[str, bool] = Field(default_factory=dict)

    @field_validator("features")
    @classmethod
    def _known(cls, features: dict[str, bool]) -> dict[str, bool]:
        problem = _unknown(features)
        if problem:
            raise ValueError(problem)
        return features


@dataclass(frozen=True)
class Claims:
    """What the target says of itself: the features it lacks, its name and version, its surface."""

    unclaimed: frozenset[str] = frozenset()
    server_name: str | None = None
    server_version: str | None = None
    spec_profile: str | None = None  # None: not said (the run's --spec-profile, else the default)

    def claims(self, feature: str) -> bool:
        return feature not in self.unclaimed

    def available(self, profile: SpecProfile) -> frozenset[str]:
        """The features a run may use on the target: its spec profile's and its behaviours, as claimed."""
        return (profile.features | BEHAVIOURS.keys()) - self.unclaimed

    def unsupported(self, requirement: Requirement, profile: SpecProfile) -> str | None:
        """Why ``requirement`` is unsupported on the target (None: it is not): every feature that
        exercises it is missing from the spec profile or not claimed."""
        if not requirement.features or requirement.features & self.available(profile):
            return None
        features = ", ".join(sorted(requirement.features))
        if not requirement.features & profile.features.union(BEHAVIOURS):
            return f"spec profile {profile.name} has no {features}: only that exercises it"
        return f"the target does not claim {features}: only that exercises it"

    @property
    def weakening(self) -> list[str]:
        """Unclaimed features that are core behaviour, not optional: no certification leaves them out."""
        return sorted(self.unclaimed - OPTIONAL)

    def without(self, features: Collection[str]) -> Claims:
        """These claims with ``features`` unclaimed too (``--without``)."""
        unknown_feature(features)
        return Claims(self.unclaimed | frozenset(features), self.server_name, self.server_version, self.spec_profile)


def unknown_feature(features: Collection[str]) -> None:
    """ClaimsError naming the first unknown feature and the known ones."""
    problem = _unknown(features)
    if problem:
        raise ClaimsError(problem)


def _unknown(features: Collection[str]) -> str | None:
    unknown = sorted(set(features) - CLAIMABLE.keys())
    return f"unknown feature {unknown[0]!r}; known features: {', '.join(CLAIMABLE)}" if unknown else None


def load_claims(path: str | Path) -> Claims:
    """The claims of a TOML claims file; ClaimsError (one line, the file named) for any problem."""
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ClaimsError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as error:
        raise ClaimsError(f"{path}: cannot read: {error}") from None
    except tomllib.TOMLDecodeError as error:
        raise ClaimsError(f"{path}: not TOML: {error}") from None
    try:
        parsed = _ClaimsFile.model_validate(data)
    except ValidationError as invalid:
        first = invalid.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "(top level)"
        message = first["msg"].removeprefix("Value error, ")
        raise ClaimsError(f"{path}: {where}: {message}") from None
    return Claims(
        unclaimed=frozenset(name for name, claimed in parsed.features.items() if not claimed),
        server_name=parsed.server.name,
        server_version=parsed.server.version,
        spec_profile=parsed.server.spec_profile,
    )
