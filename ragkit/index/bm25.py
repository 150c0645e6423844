"""BM25 term weights as pure functions: tokenize, stem, hash, saturate.

The store holds BM25 as sparse vectors (DESIGN.md "BM25"): ragkit computes the document side,
the engine multiplies by IDF (sparse vector modifier IDF), so

    score(q, d) = sum over unique query terms t in d of  idf(t) * w(t, d)
    w(t, d)     = tf * (k1 + 1) / (tf + k1 * (1 - b + b * len(d) / avgdl))

with the query vector = the query's unique term ids, each with weight 1.

Analysis, identical for documents and queries:

1. lowercase, then split on the Unicode word regex ``[^\\W_]+`` (letters and digits; "p53",
   "covid-19" -> "covid", "19");
2. drop stopwords: Lucene's classic English stop set (``STOPWORDS``, 33 words);
3. Snowball English stemmer (PyStemmer: "studies" -> "studi");
4. hash each stem to a stable 31-bit id: the first 4 bytes of blake2b(stem, UTF-8), big
   endian, masked with 0x7FFFFFFF. Stable across processes and machines (not Python's
   ``hash()``, which is salted per process). Colliding stems simply share a dimension.

``len(d)`` counts the tokens left after stopword removal. ``avgdl`` is fixed per index (see
``sparse.BM25Encoder``): changing it would make old and new points' weights incomparable.
"""

from __future__ import annotations

import hashlib
import re
from typing import Iterable, Sequence

import numpy as np

K1 = 1.2
B = 0.75
TOKEN_RE = re.compile(r"[^\W_]+")
# Lucene's classic English stop set (EnglishAnalyzer.ENGLISH_STOP_WORDS_SET), 33 words. BM25 keeps
# its own list because it measured better than ragkit's one list (ragkit.text.stopwords) on BEIR
# SciFact test, BM25 alone, nDCG@10 (2026-12-02): this set 0.6878, the shared list 0.6872; and it
# leaves every stored sparse vector as it is (the analyzer version is unchanged).
STOPWORDS = frozenset(
    "a an and are as at be but by for if in into is it no not of on or such that the their "
    "then there these they this to was will with".split()
)
ID_MASK = 0x7FFFFFFF


def raw_tokens(text: str) -> list[str]:
    """Lowercased word tokens with stopwords removed (before stemming)."""
    return [t for t in TOKEN_RE.findall(text.lower()) if t not in STOPWORDS]


def term_id(term: str) -> int:
    """Stable 31-bit id of a (stemmed) term."""
    digest = hashlib.blake2b(term.encode("utf-8"), digest_size=4).digest()
    return int.from_bytes(digest, "big") & ID_MASK


def saturate(tf: np.ndarray, doc_len: float, avgdl: float, k1: float = K1, b: float = B) -> np.ndarray:
    """BM25 term-frequency saturation of one document's term counts (float32)."""
    tf = np.asarray(tf, dtype=np.float64)
    norm = k1 * (1.0 - b + b * (float(doc_len) / float(avgdl)))
    return (tf * (k1 + 1.0) / (tf + norm)).astype(np.float32)


def saturate_many(
    tf: np.ndarray, doc_lens: np.ndarray, owner: np.ndarray, avgdl: float, k1: float = K1, b: float = B
) -> np.ndarray:
    """Vectorised `saturate` over many documents' entries at once.

    `tf[i]` is the count of entry i, `owner[i]` the document it belongs to, `doc_lens[d]` the
    length of document d.
    """
    tf = np.asarray(tf, dtype=np.float64)
    norm = k1 * (1.0 - b + b * (np.asarray(doc_lens, dtype=np.float64)[owner] / float(avgdl)))
    return (tf * (k1 + 1.0) / (tf + norm)).astype(np.float32)


def count_ids(ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Unique ids (ascending) and how often each occurs."""
    uniq, counts = np.unique(np.asarray(ids, dtype=np.int64), return_counts=True)
    return uniq, counts


def average_length(lengths: Iterable[int]) -> float:
    """Mean document length, at least 1 (so an index of empty documents still has a valid avgdl)."""
    arr = np.fromiter(lengths, dtype=np.float64)
    if arr.size == 0:
        return 1.0
    return max(float(arr.mean()), 1.0)


def document_weights(
    ids: Sequence[int], avgdl: float, k1: float = K1, b: float = B
) -> tuple[np.ndarray, np.ndarray]:
    """One document's sparse vector from its (possibly repeated) term ids: (indices, weights)."""
    uniq, counts = count_ids(np.asarray(ids, dtype=np.int64))
    return uniq, saturate(counts, len(ids), avgdl, k1, b)


def query_weights(ids: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
    """A query's sparse vector: unique term ids, weight 1 each (the engine applies IDF)."""
    uniq = np.unique(np.asarray(ids, dtype=np.int64))
    return uniq, np.ones(uniq.shape[0], dtype=np.float32)


def batch_document_weights(
    id_lists: Sequence[np.ndarray], avgdl: float, k1: float = K1, b: float = B
) -> list[tuple[np.ndarray, np.ndarray]]:
    """`document_weights` for many documents with one sort over all their entries."""
    n = len(id_lists)
    if n == 0:
        return []
    lens = np.fromiter((len(x) for x in id_lists), dtype=np.int64, count=n)
    if lens.sum() == 0:
        return [(np.zeros(0, np.int64), np.zeros(0, np.float32)) for _ in range(n)]
    owner = np.repeat(np.arange(n, dtype=np.int64), lens)
    ids = np.concatenate([np.asarray(x, dtype=np.int64) for x in id_lists])
    key = owner << 31 | ids  # ids < 2**31: (owner, id) packed into one sortable int64
    uniq, counts = np.unique(key, return_counts=True)
    u_owner = uniq >> 31
    u_ids = uniq & ID_MASK
    weights = saturate_many(counts, lens, u_owner, avgdl, k1, b)
    bounds = np.searchsorted(u_owner, np.arange(n + 1))
    return [(u_ids[bounds[i]:bounds[i + 1]], weights[bounds[i]:bounds[i + 1]]) for i in range(n)]


def add_vectors(
    a: Sequence[tuple[np.ndarray, np.ndarray]], b: Sequence[tuple[np.ndarray, np.ndarray]], scale: float = 1.0
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Per position i, the sparse vector a[i] + scale * b[i] (indices ascending), with one sort
    over all entries."""
    n = len(a)
    if len(b) != n:
        raise ValueError(f"add_vectors: {n} vectors against {len(b)}")
    if n == 0:
        return []
    parts = list(a) + list(b)
    lens = np.fromiter((len(i) for i, _ in parts), dtype=np.int64, count=2 * n)
    if lens.sum() == 0:
        return [(np.zeros(0, np.int64), np.zeros(0, np.float32)) for _ in range(n)]
    owner = np.repeat(np.tile(np.arange(n, dtype=np.int64), 2), lens)
    ids = np.concatenate([np.asarray(i, dtype=np.int64) for i, _ in parts])
    w = np.concatenate([np.asarray(v, dtype=np.float64) * (1.0 if k < n else scale) for k, (_, v) in enumerate(parts)])
    uniq, inverse = np.unique(owner << 31 | ids, return_inverse=True)
    sums = np.bincount(inverse.reshape(-1), weights=w, minlength=uniq.size).astype(np.float32)
    u_ids = uniq & ID_MASK
    bounds = np.searchsorted(uniq >> 31, np.arange(n + 1))
    return [(u_ids[bounds[i]:bounds[i + 1]], sums[bounds[i]:bounds[i + 1]]) for i in range(n)]


def context_windows(lengths: Sequence[int], budget: int) -> list[tuple[int, int]]:
    """For each piece i of a document (`lengths` in order), the span [lo, hi) of pieces around it
    that BM25 indexes i's context by: start from i alone, then take the next piece after and the
    next one before, in turn, while each still fits in `budget` tokens in total. A side whose next
    piece does not fit stops growing; the span always holds i, even when i alone is over budget."""
    n = len(lengths)
    out = []
    for i in range(n):
        lo, hi, total = i, i + 1, int(lengths[i])
        after = before = True
        while after or before:
            if after:
                after = hi < n and total + int(lengths[hi]) <= budget
                if after:
                    total += int(lengths[hi])
                    hi += 1
            if before:
                before = lo > 0 and total + int(lengths[lo - 1]) <= budget
                if before:
                    total += int(lengths[lo - 1])
                    lo -= 1
        out.append((lo, hi))
    return out
