"""Leaf values: strings, names, numbers, metadata and id lists, with their boundaries drawn often.

Long boundary strings (64-character keys, 512-character values, 300-word prompts) repeat a short
drawn seed rather than drawing every character: they stay cheap to generate, far below
Hypothesis's per-example size limit, and still shrink (to ``"0" * n``). Lengths count Unicode
code points, as the spec's "characters" and the description-rule checks do.
"""

from __future__ import annotations

import string
from collections.abc import Sequence
from typing import Any

from hypothesis import strategies as st

from conformance.core.spec.description_rules import (
    METADATA_MAX_KEY_LENGTH,
    METADATA_MAX_PAIRS,
    METADATA_MAX_VALUE_LENGTH,
)


class _Omitted:
    """Marks an optional property a strategy left out (``None`` means JSON ``null``)."""

    def __repr__(self) -> str:
        return "OMITTED"


OMITTED: Any = _Omitted()

# Any code point but surrogates. Hypothesis draws astral-plane characters (4 bytes in UTF-8,
# surrogate pairs in UTF-16 and in JSON \u escapes) in over half of its non-empty strings.
_CHARACTERS = st.characters(codec="utf-8")
NAME_ALPHABET = string.ascii_letters + string.digits + "_-"
NAME_MAX_LENGTH = 64
# No separators (Z*) and no control or format characters (C*): nothing str.split() splits on.
_WORD_CHARACTERS = st.characters(codec="utf-8", exclude_categories=("Z", "C"))


def texts(*, min_size: int = 0, max_size: int = 24) -> st.SearchStrategy[str]:
    """Any Unicode text (control characters included, surrogates excluded); ``""`` often if allowed."""
    text = st.text(_CHARACTERS, min_size=min_size, max_size=max_size)
    return st.one_of(st.just(""), text) if min_size == 0 else text


def texts_of_length(length: int, alphabet: st.SearchStrategy[str] = _CHARACTERS) -> st.SearchStrategy[str]:
    """Strings of exactly ``length`` code points: a short drawn seed, repeated."""
    seeds = st.text(alphabet, min_size=1, max_size=6)
    return seeds.map(lambda seed: (seed * (length // len(seed) + 1))[:length])


def names() -> st.SearchStrategy[str]:
    """Function and json_schema names: ``^[a-zA-Z0-9_-]{1,64}$``, lengths 1 and 64 often."""
    return st.one_of(
        st.text(NAME_ALPHABET, min_size=1, max_size=12),
        st.sampled_from(NAME_ALPHABET),
        texts_of_length(NAME_MAX_LENGTH, st.sampled_from(NAME_ALPHABET)),
    )


def bounded_numbers(low: float, high: float) -> st.SearchStrategy[float]:
    """Numbers in ``[low, high]``; each bound a third of the time, as a JSON integer or a float."""
    return st.one_of(
        st.sampled_from((int(low), float(low))),
        st.sampled_from((int(high), float(high))),
        st.floats(min_value=low, max_value=high),
    )


def bounded_integers(low: int, high: int) -> st.SearchStrategy[int]:
    """Integers in ``[low, high]``; half the time one of the two bounds, each equally often.

    ``sampled_from`` picks its elements uniformly, whereas the branches of ``one_of`` are
    not drawn equally often: with ``one_of(just(low), just(high), ...)`` the upper bound of
    a rarely generated field was seen too seldom to count as tested.
    """
    return st.one_of(st.sampled_from((low, high)), st.integers(min_value=low, max_value=high))


def metadata() -> st.SearchStrategy[dict[str, str]]:
    """``Metadata`` objects within the documented limits, the limits themselves often.

    The boundary branches: exactly 16 pairs; a 64-character key; a 512-character value; and
    16 pairs of 64-character keys with 512-character values at once.
    """
    keys = st.text(_CHARACTERS, max_size=10)
    values = texts(max_size=16)
    long_key = texts_of_length(METADATA_MAX_KEY_LENGTH)
    long_value = texts_of_length(METADATA_MAX_VALUE_LENGTH)
    small = small_metadata()
    return st.one_of(
        small,
        st.tuples(small_metadata(min_size=1), keys).map(lambda t: _sixteen_pairs(*t)),
        st.tuples(small, long_key, values).map(lambda t: _with_pair(*t)),
        st.tuples(small, keys, long_value).map(lambda t: _with_pair(*t)),
        st.tuples(long_key, long_value).map(lambda t: _largest_metadata(*t)),
    )


def small_metadata(*, min_size: int = 0, max_size: int = 4) -> st.SearchStrategy[dict[str, str]]:
    """``Metadata`` objects of a few short pairs."""
    return st.dictionaries(st.text(_CHARACTERS, max_size=10), texts(max_size=16), min_size=min_size, max_size=max_size)


def _with_pair(metadata: dict[str, str], key: str, value: str) -> dict[str, str]:
    # Replacing an existing key keeps the pair count within the limit.
    return {**metadata, key: value}


def _sixteen_pairs(seed: dict[str, str], stem: str) -> dict[str, str]:
    # The drawn pairs, then pairs derived from them with distinct numbered keys: as varied as
    # the seed, at the cost of a few draws rather than sixteen.
    filled = dict(seed)
    pairs = list(seed.items())
    i = 0
    while len(filled) < METADATA_MAX_PAIRS:
        key, value = pairs[i % len(pairs)]
        filled.setdefault(f"{stem}{i:02d}{key}"[:METADATA_MAX_KEY_LENGTH], value)
        i += 1
    return filled


def _largest_metadata(key: str, value: str) -> dict[str, str]:
    # A distinct two-character prefix per key keeps the 16 keys unique after truncation.
    return {(f"{i:02d}" + key)[:METADATA_MAX_KEY_LENGTH]: value for i in range(METADATA_MAX_PAIRS)}


def id_lists(pool: Sequence[str], max_size: int, *, min_size: int = 0) -> st.SearchStrategy[list[str]]:
    """Lists of ids from ``pool``: distinct ids, or exactly ``max_size`` of them (the boundary).

    The boundary list repeats ids only when the pool has fewer than ``max_size``.
    """
    if not pool:
        return st.builds(list)
    distinct = st.lists(st.sampled_from(pool), min_size=min_size, max_size=min(max_size, len(pool)), unique=True)
    full = [pool[i % len(pool)] for i in range(max_size)]
    return st.one_of(distinct, st.just(full).map(list))


def long_prompts(min_words: int) -> st.SearchStrategy[str]:
    """Text of at least ``min_words`` whitespace-separated words (and at most 200 more)."""
    words = st.lists(st.text(_WORD_CHARACTERS, min_size=1, max_size=8), min_size=1, max_size=6)
    counts = st.integers(min_value=min_words, max_value=min_words + 200)
    return st.tuples(words, counts).map(lambda t: " ".join(t[0][i % len(t[0])] for i in range(t[1])))
