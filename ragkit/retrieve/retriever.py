"""One retrieval call: embed the query, build its BM25 vector, hybrid search with filters in the
store (prefetch + server-side fusion), then rerank. Times every stage.

How many results: an explicit `top_k` is what the caller gets, reranked or not (the reranked
candidates first, then the rest of the first stage in its order). Without one, the call is shaped
as an answer's context (how `ask` searches): `top_n` chunks, by default `rerank.top_n` when
reranking is configured (`rerank.enabled` true or auto) and `retrieval.top_k` when it is off.

Whether to rerank (`rerank.enabled`, or the call's `rerank`): `auto` reranks when the reranker's
weights are present and otherwise says so once per retriever, in the first result's
`rerank_note`; `true` (or `rerank=True`) reranks, and when the weights are missing says so in
every result's note; `false` never reranks.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass, field
from typing import Any, Literal, Sequence

import numpy as np

from ragkit.errors import ConfigError
from ragkit.protocols import Embedder, Reranker, SparseEncoder, VectorStore
from ragkit.types import ScoredChunk

Plan = Literal["off", "auto-absent", "rerank"]


@dataclass
class RetrievalResult:
    query: str
    candidates: list[ScoredChunk]  # first stage, fused, in rank order (top_k, else retrieval.top_k)
    results: list[ScoredChunk]  # final: top_k when given, else the context size (module docstring)
    reranked: bool = False
    rerank_note: str | None = None  # why reranking did not happen, when it did not (one line)
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
        self._absent_said = False  # auto without weights: said once, on the first result

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
        """`top_k`: the results the caller gets; `top_n`: the context size when no top_k is given.
        `branch_scores`: a hybrid search also labels each candidate with its "dense" and
        "sparse" branch scores (one more store query per branch; abstention thresholds use them).
        `fusion`: another of `retrieval.fusion`'s values for this call (benchmarks compare them)."""
        for name, value in (("top_k", top_k), ("top_n", top_n)):
            if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
                raise ConfigError(f"search: {name} must be >= 1 (got {value!r})")
        mode = mode or self.cfg.mode
        plan = self._plan(rerank)
        k = top_k or self.cfg.top_k
        n = top_k or top_n or (self.rerank_cfg.top_n if plan != "off" else self.cfg.top_k)
        first_k = max(k, n, self.rerank_cfg.candidates if plan == "rerank" else 0)
        t0 = time.perf_counter()
        dense = embed_queries(self.embedder, queries) if mode in ("hybrid", "dense") else None
        sparse = [self.sparse.encode_query(q) for q in queries] if mode in ("hybrid", "sparse") else None
        t_embed = (time.perf_counter() - t0) / len(queries)
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
            res = RetrievalResult(q, hits[:k], hits[:n])
            res.timings = {"embed": t_embed, "search": t_search}
            res.query_vector = None if dense is None else np.asarray(dense[i])
            if plan == "rerank" and hits:
                t2 = time.perf_counter()
                head = hits[: self.rerank_cfg.candidates]
                ranked = self.reranker.rerank(q, head, min(n, len(head)))
                res.timings["rerank"] = time.perf_counter() - t2
                res.results = ranked + _ranked_after(hits[len(head):n], len(ranked))
                res.reranked = self.reranker.available
                if not res.reranked:
                    why = "rerank=True was asked" if rerank else "rerank.enabled is true"
                    res.rerank_note = (f"not reranked although {why}: {self._why_unavailable()}; "
                                       "results keep the first-stage order")
            elif plan == "auto-absent" and not self._absent_said:
                self._absent_said = True
                res.rerank_note = f"not reranked (rerank.enabled: auto): {self._why_unavailable()}"
            out.append(res)
        return out

    def _plan(self, rerank: bool | None) -> Plan:
        """"rerank": call the reranker; "auto-absent": auto, and the weights are missing; "off"."""
        if self.reranker is None or self.rerank_cfg is None or rerank is False:
            return "off"
        enabled = self.rerank_cfg.enabled
        if rerank is None and enabled is False:
            return "off"
        if rerank or enabled is True or self.rerank_cfg.required:  # required: missing weights are an error
            return "rerank"
        return "rerank" if self.reranker.available else "auto-absent"  # auto

    def _why_unavailable(self) -> str:
        return self.reranker.last_error or "the reranker is unavailable"

    def _exact(self) -> bool | None:
        """Brute-force dense search on collections up to `retrieval.exact_max_points`: exact
        neighbours, and the same results from any build of the same index (HNSW graphs are built in
        parallel and differ from build to build). None: the engine decides (HNSW when indexed)."""
        limit = self.cfg.exact_max_points
        if not limit:
            return None
        return True if self.store.points() <= limit else None

def _ranked_after(hits: Sequence[ScoredChunk], before: int) -> list[ScoredChunk]:
    """First-stage hits placed after `before` reranked ones: their scores kept, ranks following on."""
    return [h if h.rank == before + r else dataclasses.replace(h, rank=before + r)
            for r, h in enumerate(hits, start=1)]


def embed_queries(embedder: Embedder, queries: Sequence[str]) -> np.ndarray:
    """Query vectors that do not depend on which other queries share the call, so a query ranks
    the same asked alone, in an eval batch or in a benchmark. An embedder whose batches are not
    exact (`batch_invariant` False: bf16 autocast, where padding moves a vector in the 4th decimal)
    embeds each query alone; the others embed the batch in one call."""
    if embedder.batch_invariant or len(queries) <= 1:
        return np.asarray(embedder.embed(list(queries)))
    return np.vstack([embedder.embed([q]) for q in queries])
