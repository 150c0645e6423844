"""One retrieval call: embed the query, build its BM25 vector, hybrid search with filters in the
store (prefetch + server-side fusion), then rerank. Times every stage."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np

from ragkit.errors import ConfigError
from ragkit.protocols import Embedder, Reranker, SparseEncoder, VectorStore
from ragkit.types import ScoredChunk


@dataclass
class RetrievalResult:
    query: str
    candidates: list[ScoredChunk]  # first stage, fused, in rank order (up to top_k)
    results: list[ScoredChunk]  # final: reranked top_n when a reranker ran, else the candidates
    reranked: bool = False
    rerank_note: str | None = None  # why reranking did not happen, when it did not
    timings: dict[str, float] = field(default_factory=dict)  # seconds: embed, search, rerank
    query_vector: np.ndarray | None = None  # the dense query embedding, when one was made


class Retriever:
    def __init__(self, store: VectorStore, embedder: Embedder, sparse: SparseEncoder, retrieval_cfg,
                 reranker: Reranker | None = None, rerank_cfg=None):
        self.store = store
        self.embedder = embedder
        self.sparse = sparse
        self.cfg = retrieval_cfg
        self.reranker = reranker
        self.rerank_cfg = rerank_cfg

    def search(
        self,
        query: str,
        *,
        filters: dict[str, Any] | None = None,
        top_k: int | None = None,
        mode: str | None = None,
        rerank: bool | None = None,
        top_n: int | None = None,
        branch_scores: bool = False,
    ) -> RetrievalResult:
        return self.search_batch([query], filters=filters, top_k=top_k, mode=mode, rerank=rerank, top_n=top_n,
                                 branch_scores=branch_scores)[0]

    def search_batch(
        self,
        queries: Sequence[str],
        *,
        filters: dict[str, Any] | None = None,
        top_k: int | None = None,
        mode: str | None = None,
        rerank: bool | None = None,
        top_n: int | None = None,
        branch_scores: bool = False,
        fusion: str | None = None,
    ) -> list[RetrievalResult]:
        """`branch_scores`: a hybrid search also labels each candidate with its "dense" and
        "sparse" branch scores (one more store query per branch; abstention thresholds use them).
        `fusion`: another of `retrieval.fusion`'s values for this call (benchmarks compare them)."""
        for name, value in (("top_k", top_k), ("top_n", top_n)):
            if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
                raise ConfigError(f"search: {name} must be >= 1 (got {value!r})")
        mode = mode or self.cfg.mode
        use_rerank = self._rerank_wanted(rerank)
        first_k = max(top_k or self.cfg.top_k, self.rerank_cfg.candidates if use_rerank else 0)
        t0 = time.perf_counter()
        dense = embed_queries(self.embedder, queries) if mode in ("hybrid", "dense") else None
        sparse = [self.sparse.encode_query(q) for q in queries] if mode in ("hybrid", "sparse") else None
        t_embed = (time.perf_counter() - t0) / len(queries)
        k = top_k or self.cfg.top_k
        t1 = time.perf_counter()
        all_hits = self.store.search_batch(
            None if dense is None else np.asarray(dense),
            sparse,
            top_k=first_k,
            candidates=max(self.cfg.candidates, first_k),
            filters=filters,
            fusion=fusion or self.cfg.fusion,
            rrf_k=self.cfg.rrf_k,
            dense_weight=self.cfg.dense_weight,
            branch_scores=branch_scores and mode == "hybrid",
            exact=self._exact() if dense is not None else None,
        )
        t_search = (time.perf_counter() - t1) / len(queries)
        out: list[RetrievalResult] = []
        for i, (q, hits) in enumerate(zip(queries, all_hits)):
            res = RetrievalResult(q, hits[:k], hits[:k])
            res.timings = {"embed": t_embed, "search": t_search}
            res.query_vector = None if dense is None else np.asarray(dense[i])
            if use_rerank and hits:
                t2 = time.perf_counter()
                ranked = self.reranker.rerank(q, hits[: self.rerank_cfg.candidates], top_n or self.rerank_cfg.top_n)
                res.timings["rerank"] = time.perf_counter() - t2
                res.results, res.reranked = ranked, self.reranker.available
                if not res.reranked:
                    res.rerank_note = self.reranker.last_error or "reranker unavailable"
            out.append(res)
        return out

    def _exact(self) -> bool | None:
        """Brute-force dense search on collections up to `retrieval.exact_max_points`: exact
        neighbours, and the same results from any build of the same index (HNSW graphs are built in
        parallel and differ from build to build). None: the engine decides (HNSW when indexed)."""
        limit = self.cfg.exact_max_points
        if not limit:
            return None
        return True if self.store.points() <= limit else None

    def _rerank_wanted(self, rerank: bool | None) -> bool:
        if self.reranker is None or self.rerank_cfg is None:
            return False
        return self.rerank_cfg.enabled if rerank is None else rerank


def embed_queries(embedder: Embedder, queries: Sequence[str]) -> np.ndarray:
    """Query vectors that do not depend on which other queries share the call, so a query ranks
    the same asked alone, in an eval batch or in a benchmark. An embedder whose batches are not
    exact (`batch_invariant` False: bf16 autocast, where padding moves a vector in the 4th decimal)
    embeds each query alone; the others embed the batch in one call."""
    if embedder.batch_invariant or len(queries) <= 1:
        return np.asarray(embedder.embed(list(queries)))
    return np.vstack([embedder.embed([q]) for q in queries])
