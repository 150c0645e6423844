"""NumpyStore: an in-memory `VectorStore` written from `ragkit.protocols` and `ragkit.filters` alone.

Brute force over dicts and numpy rows, with the protocol's scoring: cosine, BM25 weights times
Qdrant's IDF, RRF / weighted RRF / DBSF fusion, equal scores by id. It shares no code with the
Qdrant stores (ragkit/index/), so its passing the conformance suite says the protocol is enough.
"""

from __future__ import annotations

import copy
import math
import uuid
from typing import Any, Sequence

import numpy as np

from ragkit import filters as flt
from ragkit.errors import FilterError, IndexMismatchError, StoreError
from ragkit.types import Chunk, ScoredChunk, SparseVector

Ranked = list[tuple[str, float]]


class NumpyStore:
    def __init__(self) -> None:
        self._meta: dict[str, Any] | None = None  # None: no collection yet
        self._points: dict[str, tuple[np.ndarray, dict[int, float], dict[str, Any]]] = {}

    # ---- collection and metadata ----------------------------------------------------------------
    def exists(self) -> bool:
        return self._meta is not None

    def _need(self) -> dict[str, Any]:
        if self._meta is None:
            raise StoreError("no index in memory: run `ragkit ingest PATH` first (or call ensure_collection(dim))")
        return self._meta

    def ensure_collection(self, dim: int, embedder: str | None = None) -> None:
        if isinstance(dim, bool) or not isinstance(dim, int) or dim < 1:
            raise StoreError(f"ensure_collection: dim must be a positive integer, got {dim!r}")
        if self._meta is None:
            self._meta = {"dim": dim, "embedder": embedder, "payload_keys": []}
            return
        if self._meta["dim"] != dim:
            raise IndexMismatchError(f"the index holds {self._meta['dim']}-d vectors, not {dim}-d: use its embedder")
        have = self._meta["embedder"]
        if embedder and have and have != embedder:
            raise IndexMismatchError(f"the index was built with embedder {have!r}, not {embedder!r}")
        self._meta["embedder"] = have or embedder

    def meta(self) -> dict[str, Any]:
        return copy.deepcopy(self._need())

    def update_meta(self, values: dict[str, Any]) -> None:
        self._need().update(copy.deepcopy(dict(values)))

    # ---- writes ---------------------------------------------------------------------------------
    def upsert(self, chunks: Sequence[Chunk], dense: np.ndarray, sparse: Sequence[SparseVector]) -> None:
        dim = self._need()["dim"]
        rows = np.asarray(dense, dtype=np.float32).reshape(len(chunks), -1) if len(chunks) else np.zeros((0, dim))
        if rows.shape[1] != dim:
            raise IndexMismatchError(f"upsert: vectors of dim {rows.shape[1]}, the index's dim is {dim}")
        if len(sparse) != len(chunks):
            raise StoreError(f"upsert: {len(chunks)} chunks but {len(sparse)} sparse vectors")
        if not np.isfinite(rows).all():
            raise StoreError("upsert: dense vectors contain NaN or infinity")
        for c in chunks:
            try:
                uuid.UUID(c.chunk_id)
            except ValueError:
                raise StoreError(f"upsert: chunk_id {c.chunk_id!r} is not a UUID string") from None
        keys = set(self._meta["payload_keys"]) | {k for c in chunks for k in c.metadata}
        self._meta["payload_keys"] = sorted(keys - flt.CHUNK_FIELDS)
        for c, row, sv in zip(chunks, rows, sparse):
            self._points[c.chunk_id] = (row / (np.linalg.norm(row) or 1.0), dict(zip(sv.indices, sv.values)), c.payload())

    def delete_ids(self, chunk_ids: Sequence[str]) -> None:
        self._need()
        for i in chunk_ids:
            self._points.pop(str(i), None)

    def delete_where(self, filters: dict[str, Any]) -> int:
        node = self._node(filters)
        if node == flt.TRUE:
            raise FilterError("delete_where needs a non-empty filter; refusing to delete the whole index")
        gone = self._ids(node)
        for i in gone:
            del self._points[i]
        return len(gone)

    # ---- reads ----------------------------------------------------------------------------------
    def _node(self, filters: dict[str, Any] | None) -> flt.Node:
        self._need()
        node = flt.parse_filter(filters, flt.CHUNK_FIELDS | set(self._meta["payload_keys"]))
        return flt.expand_globs(node, self._values) if flt.glob_fields(node) else node

    def _values(self, field: str) -> list[Any]:
        out = set()
        for _, _, p in self._points.values():
            v = p.get(field)
            out.update(x for x in (v if isinstance(v, list) else [v]) if isinstance(x, str))
        return sorted(out)

    def _ids(self, node: flt.Node) -> list[str]:
        return sorted(i for i, (_, _, p) in self._points.items() if flt.matches(node, p))

    def count(self, filters: dict[str, Any] | None = None) -> int:
        return len(self._ids(self._node(filters)))

    def points(self) -> int:
        return len(self._points) if self.exists() else 0

    def ids_where(self, filters: dict[str, Any] | None = None) -> list[str]:
        return self._ids(self._node(filters))

    def chunks_where(self, filters: dict[str, Any] | None = None, limit: int | None = None) -> list[Chunk]:
        return self.get(self._ids(self._node(filters))[:limit])

    def get(self, chunk_ids: Sequence[str]) -> list[Chunk]:
        self._need()
        return [Chunk.from_payload(i, self._points[i][2]) for i in map(str, chunk_ids) if i in self._points]

    def sources(self) -> list[str]:
        self._need()
        return self._values("source")

    # ---- search ---------------------------------------------------------------------------------
    def search(self, dense, sparse, *, top_k: int, candidates: int, **kw) -> list[ScoredChunk]:
        rows = None if dense is None else np.asarray(dense, dtype=np.float32).reshape(1, -1)
        return self.search_batch(rows, None if sparse is None else [sparse], top_k=top_k, candidates=candidates, **kw)[0]

    def search_batch(self, dense, sparse, *, top_k: int, candidates: int, filters: dict[str, Any] | None = None,
                     fusion: str = "rrf", rrf_k: int = 60, dense_weight: float = 0.5, branch_scores: bool = False,
                     exact: bool | None = None) -> list[list[ScoredChunk]]:
        if dense is None and sparse is None:
            raise StoreError("search needs a dense vector, a sparse vector, or both")
        if min(top_k, candidates, rrf_k) < 1 or fusion not in ("rrf", "weighted", "dbsf"):
            raise StoreError(f"search: bad top_k/candidates/rrf_k ({top_k}, {candidates}, {rrf_k}) or unknown fusion {fusion!r}")
        rows = None if dense is None else np.asarray(dense, dtype=np.float32)
        if rows is not None and (rows.ndim != 2 or rows.shape[1] != self._need()["dim"]):
            raise StoreError(f"search: dense queries must have shape (n, {self._meta['dim']}), got {rows.shape}")
        n = len(rows) if rows is not None else len(sparse)
        if sparse is not None and len(sparse) != n:
            raise StoreError(f"search: {n} dense queries but {len(sparse)} sparse ones")
        ids = self._ids(self._node(filters))
        out = []
        for q in range(n):
            sv = sparse[q] if sparse is not None and sparse[q].indices else None
            branches: dict[str, Ranked] = {}
            if rows is not None:
                branches["dense"] = self._dense(ids, rows[q])[:max(candidates, top_k)]
            if sv is not None:
                branches["sparse"] = self._sparse(ids, sv)[:max(candidates, top_k)]
            if len(branches) == 2:
                key, ranked = fusion, _fuse(branches, fusion, rrf_k, dense_weight)
            elif branches:
                (key, ranked), = branches.items()
            else:
                key, ranked = "none", []
            labels = {b: dict(r) for b, r in branches.items()} if branch_scores else {}
            out.append([ScoredChunk(Chunk.from_payload(i, self._points[i][2]), s, rank,
                                    {key: s, **{b: v[i] for b, v in labels.items() if i in v}})
                        for rank, (i, s) in enumerate(ranked[:top_k], start=1)])
        return out

    def _dense(self, ids: list[str], query: np.ndarray) -> Ranked:
        q = query / (np.linalg.norm(query) or 1.0)
        return _best([(i, float(self._points[i][0] @ q)) for i in ids])

    def _sparse(self, ids: list[str], query: SparseVector) -> Ranked:
        n_points = len(self._points)
        df = {t: sum(1 for _, w, _ in self._points.values() if t in w) for t in query.indices}
        idf = {t: math.log(1 + (n_points - n + 0.5) / (n + 0.5)) for t, n in df.items()}
        scored = []
        for i in ids:
            weights = self._points[i][1]
            shared = [t for t in query.indices if t in weights]
            if shared:
                scored.append((i, sum(idf[t] * weights[t] for t in shared)))
        return _best(scored)

    def optimize(self) -> bool:
        return False  # nothing to compact

    def flush(self) -> None:
        """Everything is in memory already."""

    def close(self) -> None:
        """Nothing to release: the points stay with this object."""


def _best(scored: Ranked) -> Ranked:
    return sorted(scored, key=lambda x: (-x[1], x[0]))


def _fuse(branches: dict[str, Ranked], fusion: str, k: int, dense_weight: float) -> Ranked:
    total: dict[str, float] = {}
    weights = {"dense": 2 * dense_weight, "sparse": 2 * (1 - dense_weight)} if fusion == "weighted" else {}
    for name, ranked in branches.items():
        if fusion == "dbsf":
            s = np.array([v for _, v in ranked])
            sd = float(s.std(ddof=1)) if len(s) > 1 else 0.0
            shares = [(i, (v - (s.mean() - 3 * sd)) / (6 * sd) if sd else 0.5) for i, v in ranked]
        else:
            w = weights.get(name, 1.0)
            shares = [(i, 1 / (k - 1 + (pos + 1) / w) if w else 0.0) for pos, (i, _) in enumerate(ranked)]
        for i, v in shares:
            total[i] = total.get(i, 0.0) + float(v)
    return _best(list(total.items()))
