"""BM25Encoder: texts -> BM25 sparse vectors (the `SparseEncoder` protocol).

The maths is in `ragkit.index.bm25`; this class holds the stemmer, a term -> id cache and the
index's fixed average document length.

avgdl lifecycle: an index fixes avgdl once, from the documents of its first ingest, and keeps
it so later incremental ingests give identical weights to identical text. The ingest pipeline
either calls ``fit(texts)`` on the first batch (or the whole first corpus) or lets the first
``encode_documents`` call fix it from that batch; it then persists ``encoder.avgdl`` with the
index (``store.update_meta({"avgdl": ...})``) and restores it with ``BM25Encoder(avgdl=...)`` or
``encoder.avgdl = meta["avgdl"]`` on the next run.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from ragkit.index import bm25
from ragkit.types import SparseVector

_CACHE_LIMIT = 2_000_000  # raw tokens remembered per encoder before the cache starts over
ANALYZER_VERSION = "bm25-v1:lucene33-stop,snowball-english,blake2b31"


class BM25Encoder:
    """Document and query BM25 sparse vectors with PyStemmer's Snowball English stemmer."""

    name = "bm25"

    def __init__(self, avgdl: float | None = None, k1: float = bm25.K1, b: float = bm25.B, language: str = "english"):
        if not (k1 >= 0 and 0.0 <= b <= 1.0):
            raise ValueError(f"BM25 needs k1 >= 0 and 0 <= b <= 1, got k1={k1}, b={b}")
        if avgdl is not None and not avgdl > 0:
            raise ValueError(f"BM25 avgdl must be > 0, got {avgdl}")
        self.k1 = float(k1)
        self.b = float(b)
        self.language = language
        self._avgdl = None if avgdl is None else float(avgdl)
        self._stemmer: Any = None
        self._ids: dict[str, int] = {}  # raw token -> term id (stem, then hash), per instance

    # ---- avgdl ----------------------------------------------------------------------------------
    @property
    def avgdl(self) -> float | None:
        return self._avgdl

    @avgdl.setter
    def avgdl(self, value: float) -> None:
        if not value > 0:
            raise ValueError(f"BM25 avgdl must be > 0, got {value}")
        self._avgdl = float(value)

    def fit(self, texts: Sequence[str]) -> float:
        """Fix avgdl from `texts` (only if not fixed yet); return the avgdl in force."""
        if self._avgdl is None:
            self._avgdl = bm25.average_length(len(bm25.raw_tokens(t)) for t in texts)
        return self._avgdl

    def params(self) -> dict[str, Any]:
        """What must be persisted with an index so later encodings match: see `from_params`."""
        return {"avgdl": self._avgdl, "k1": self.k1, "b": self.b, "analyzer": ANALYZER_VERSION}

    @classmethod
    def from_params(cls, params: dict[str, Any]) -> "BM25Encoder":
        return cls(avgdl=params.get("avgdl"), k1=params.get("k1", bm25.K1), b=params.get("b", bm25.B))

    # ---- analysis -------------------------------------------------------------------------------
    def _get_stemmer(self):
        if self._stemmer is None:
            import Stemmer

            self._stemmer = Stemmer.Stemmer(self.language)
        return self._stemmer

    def analyze(self, text: str) -> list[str]:
        """The stemmed terms of `text`, in order, stopwords removed."""
        return self._get_stemmer().stemWords(bm25.raw_tokens(text))

    def term_ids(self, texts: Sequence[str]) -> list[np.ndarray]:
        """Per text, the term ids of its tokens in order (repeats kept)."""
        token_lists = [bm25.raw_tokens(t) for t in texts]
        ids = self._ids
        if len(ids) > _CACHE_LIMIT:
            ids.clear()
        new = {tok for toks in token_lists for tok in toks if tok not in ids}
        if new:
            new_list = list(new)
            stems = self._get_stemmer().stemWords(new_list)
            for tok, stem in zip(new_list, stems):
                ids[tok] = bm25.term_id(stem)
        return [np.fromiter((ids[t] for t in toks), dtype=np.int64, count=len(toks)) for toks in token_lists]

    # ---- vectors --------------------------------------------------------------------------------
    def encode_documents(self, texts: Sequence[str]) -> list[SparseVector]:
        """BM25 document vectors. If avgdl is not fixed yet, these texts fix it."""
        id_lists = self.term_ids(texts)
        if self._avgdl is None:
            self._avgdl = bm25.average_length(len(x) for x in id_lists)
        out = bm25.batch_document_weights(id_lists, self._avgdl, self.k1, self.b)
        return [SparseVector(tuple(idx.tolist()), tuple(w.tolist())) for idx, w in out]

    def encode_query(self, text: str) -> SparseVector:
        idx, w = bm25.query_weights(self.term_ids([text])[0])
        return SparseVector(tuple(idx.tolist()), tuple(w.tolist()))

    def encode_queries(self, texts: Sequence[str]) -> list[SparseVector]:
        out = []
        for ids in self.term_ids(texts):
            idx, w = bm25.query_weights(ids)
            out.append(SparseVector(tuple(idx.tolist()), tuple(w.tolist())))
        return out

    def close(self) -> None:
        self._ids.clear()
        self._stemmer = None
