"""Lexical cohesion between adjacent sentence windows, TextTiling-style (Hearst, 1997).

Each sentence becomes a bag of stemmed content words. The similarity at the gap before sentence
i is the cosine between the summed bags of the `window` sentences on each side; a topic shift is a
valley in that curve. A gap's depth is how far the curve climbs on both sides before it turns
down again; gaps that are local valleys deeper than mean - std/2 (Hearst's cut-off) are
boundaries. Costs a regex, a C stemmer and a few small numpy operations per text: nothing next
to embedding the chunks.
"""

from __future__ import annotations

import re

import numpy as np

from ragkit.text.stopwords import STOPWORDS

_WORD = re.compile(r"[^\W\d_]{3,}")  # letters only, three or more


def make_stemmer():
    """This thread's English Snowball stemmer (ragkit.text.stem)."""
    from ragkit.text.stem import stemmer

    return stemmer()


def sentence_terms(docs: list[list[str]], stemmer, vocab: dict[str, int]) -> list[list[list[int]]]:
    """Stemmed content-word ids per sentence per document; `vocab` maps stems to ids and grows.

    All words of all documents go through the stemmer in one call.
    """
    words = [[[w for w in _WORD.findall(s.lower()) if w not in STOPWORDS] for s in doc] for doc in docs]
    flat = [w for doc in words for sent in doc for w in sent]
    stems = iter(stemmer.stemWords(flat))
    return [[[vocab.setdefault(next(stems), len(vocab)) for _ in sent] for sent in doc] for doc in words]


def gap_similarities(terms: list[list[int]], window: int) -> np.ndarray:
    """Cosine similarity at each gap of one document: out[i-1] compares the summed bags of
    sentences [i-window, i) and [i, i+window), clipped to the document."""
    return batch_gap_similarities([terms], window)[0]


def batch_gap_similarities(docs: list[list[list[int]]], window: int) -> list[np.ndarray]:
    """`gap_similarities` for many documents in one set of vectorized operations.

    Bags are sparse: each (gap, term) pair gets the count of that term over the window, built by
    letting every sentence's terms contribute to the `window` gaps after it (left bags) and the
    `window` gaps up to it (right bags), never across a document's edges.
    """
    per_sent = [len(sent) for doc in docs for sent in doc]
    n_sents = np.fromiter((len(doc) for doc in docs), dtype=np.int64, count=len(docs))
    total = int(n_sents.sum())
    first_of_doc = np.concatenate(([0], np.cumsum(n_sents)[:-1])).astype(np.int64)
    term = np.fromiter((t for doc in docs for sent in doc for t in sent), dtype=np.int64, count=sum(per_sent))
    sent = np.repeat(np.arange(total, dtype=np.int64), per_sent)
    doc_of = np.repeat(np.arange(len(docs), dtype=np.int64), n_sents)
    lo = first_of_doc[doc_of][sent] if total else sent  # first sentence of each term's document
    hi = (first_of_doc + n_sents)[doc_of][sent] if total else sent  # one past its last sentence
    vocab = int(term.max()) + 1 if term.size else 1

    def bags(side: str) -> tuple[np.ndarray, np.ndarray]:
        keys = []
        for k in range(window):
            gap = sent + 1 + k if side == "left" else sent - k  # gap g sits before sentence g
            ok = (gap < hi) if side == "left" else (gap > lo)
            keys.append(gap[ok] * vocab + term[ok])
        return np.unique(np.concatenate(keys) if keys else np.zeros(0, np.int64), return_counts=True)

    lkeys, lcnt = bags("left")
    rkeys, rcnt = bags("right")
    common, li, ri = np.intersect1d(lkeys, rkeys, assume_unique=True, return_indices=True)
    size = max(total, 1)
    dot = np.bincount(common // vocab, weights=(lcnt[li] * rcnt[ri]).astype(np.float64), minlength=size)
    lnorm = np.bincount(lkeys // vocab, weights=(lcnt.astype(np.float64) ** 2), minlength=size)
    rnorm = np.bincount(rkeys // vocab, weights=(rcnt.astype(np.float64) ** 2), minlength=size)
    dot, norm = dot.astype(np.float64), np.sqrt(lnorm * rnorm).astype(np.float64)
    sims = np.divide(dot, norm, out=np.zeros_like(dot), where=norm > 0)
    return [sims[f + 1 : f + n] for f, n in zip(first_of_doc.tolist(), n_sents.tolist())]


def depth_scores(sims: np.ndarray) -> np.ndarray:
    """Depth of each gap: (left peak - s) + (right peak - s), peaks found by hill-climbing."""
    n = len(sims)
    if n == 0:
        return sims.copy()
    s = sims.tolist()
    left = [0.0] * n
    right = [0.0] * n
    for i in range(n):  # climb left while the curve keeps rising
        left[i] = left[i - 1] if i > 0 and s[i - 1] >= s[i] else s[i]
    for i in range(n - 1, -1, -1):
        right[i] = right[i + 1] if i < n - 1 and s[i + 1] >= s[i] else s[i]
    return np.array([left[i] + right[i] - 2 * s[i] for i in range(n)])


def boundaries(sims: np.ndarray, depths: np.ndarray, k: float = 0.5) -> np.ndarray:
    """Gaps that are local valleys of `sims` deeper than mean - k * std of the depth scores
    (Hearst's cut-off with k = 1/2).

    The first and last gaps are never boundaries: with a neighbour on one side only, their
    depth says little (and a cut there would leave a one-sentence chunk).
    """
    n = len(sims)
    if n < 3:
        return np.zeros(n, dtype=bool)
    prev = np.concatenate(([-np.inf], sims[:-1]))
    nxt = np.concatenate((sims[1:], [-np.inf]))
    valley = (sims <= prev) & (sims <= nxt) & (depths > 0)
    if not valley.any():
        return valley
    cutoff = depths.mean() - k * depths.std()
    return valley & (depths > cutoff)
