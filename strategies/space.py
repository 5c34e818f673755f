"""The request space: the ids, models, spec profile and features requests may use on the server
under test.

Every public strategy takes the same keyword parameters and turns them into a ``RequestSpace``
with ``make_request_space``, so they are validated once and in one place.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

from conformance.core.spec import Spec, spec_for
from conformance.core.spec.profiles import FEATURES, SpecProfile, get_profile

DEFAULT_ASSISTANT_IDS = ("asst_conformance",)
DEFAULT_MODELS = ("gpt-4o", "gpt-4o-mini")
# Twenty ids, so that the 20-file boundary of code_interpreter.file_ids needs no repeated id.
DEFAULT_FILE_IDS = tuple(f"file-conformance-{i:02d}" for i in range(1, 21))
DEFAULT_VECTOR_STORE_IDS = ("vs_conformance",)


@dataclass(frozen=True)
class RequestSpace:
    assistant_ids: tuple[str, ...]
    models: tuple[str, ...]
    file_ids: tuple[str, ...]
    vector_store_ids: tuple[str, ...]
    stream: bool | None
    features: frozenset[str]  # the profile's, less those excluded
    spec: Spec  # the profile's: valid bodies validate against its request schema
    # Every optional property present and not null, arrays of 1 or 2 items, no boundary sizes:
    # the small, complete bodies invalid requests start from, so that every rule of the schema
    # has a value to break.
    dense: bool = False

    def has(self, *features: str) -> bool:
        return all(feature in self.features for feature in features)


def make_request_space(
    *,
    assistant_ids: Sequence[str],
    models: Sequence[str] | None,
    file_ids: Sequence[str],
    vector_store_ids: Sequence[str],
    stream: bool | None,
    exclude: Collection[str],
    profile: str | SpecProfile,
) -> RequestSpace:
    features = target_features(exclude, profile)
    if not assistant_ids:
        raise ValueError("assistant_ids must name at least one assistant")
    if models is not None and not models:
        raise ValueError("models must name at least one model, or be None for the defaults")
    if stream not in (None, True, False):
        raise ValueError(f"stream must be None, True or False, not {stream!r}")
    for name, ids in (("assistant_ids", assistant_ids), ("models", models or ()), ("file_ids", file_ids),
                      ("vector_store_ids", vector_store_ids)):
        if isinstance(ids, str) or not all(isinstance(i, str) for i in ids):
            raise TypeError(f"{name} must be a sequence of strings, not {ids!r}")
    return RequestSpace(
        assistant_ids=tuple(assistant_ids),
        models=tuple(models) if models is not None else DEFAULT_MODELS,
        file_ids=tuple(file_ids),
        vector_store_ids=tuple(vector_store_ids),
        stream=stream,
        features=features,
        spec=spec_for(profile),
    )


def target_features(exclude: Collection[str], profile: str | SpecProfile) -> frozenset[str]:
    """The features of a target of spec ``profile`` that lacks ``exclude``."""
    unknown = set(exclude) - FEATURES.keys()
    if unknown:
        raise ValueError(f"unknown features in exclude: {sorted(unknown)}; known: {', '.join(FEATURES)}")
    return get_profile(profile).features - frozenset(exclude)
