"""Character n-grams of vocabulary entries, hashed into buckets, as fastText uses them: a rare or
unseen word shares pieces of its spelling with words the model has learned. No torch."""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Sequence

CONTINUATION_PREFIX = "##"
"""WordPiece marks a piece that continues a word this way; such a piece has no left boundary."""


def char_ngrams(token: str, *, min_n: int, max_n: int) -> list[str]:
    """The n-grams (min_n <= n <= max_n) of `token` with "<" marking the start of a word, for
    example "<pl", "pla", "lay" for "play" with n = 3. A continuation piece ("##ing") has no "<"."""
    if token.startswith(CONTINUATION_PREFIX) and len(token) > len(CONTINUATION_PREFIX):
        spelled = token[len(CONTINUATION_PREFIX) :]
    else:
        spelled = "<" + token
    grams = []
    for n in range(min_n, max_n + 1):
        grams.extend(spelled[start : start + n] for start in range(len(spelled) - n + 1))
    return grams


def bucket_of(ngram: str, buckets: int) -> int:
    """A stable hash (CRC-32: the same on every machine and Python run) folded into `buckets`."""
    return zlib.crc32(ngram.encode("utf-8")) % buckets


def ngram_table(
    vocabulary: Sequence[str], *, buckets: int, min_n: int, max_n: int, skip_ids: Iterable[int] = ()
) -> list[list[int]]:
    """For each token id, the buckets of its n-grams (none for the ids in `skip_ids`, the special
    tokens, whose spelling means nothing)."""
    skip = set(skip_ids)
    return [
        []
        if token_id in skip
        else [bucket_of(gram, buckets) for gram in char_ngrams(token, min_n=min_n, max_n=max_n)]
        for token_id, token in enumerate(vocabulary)
    ]
