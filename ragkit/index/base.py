"""StoreBase: what both Qdrant backends share; each backend supplies a few engine primitives.

Public API (both `EdgeStore` and `QdrantStore`)::

    ensure_collection(dim, embedder=None)          create, or open and check dim/embedder
    exists() -> bool
    upsert(chunks, dense, sparse)                   in batches; same ids overwrite
    delete_ids(ids)
    delete_where(filters) -> int                    how many points matched (and are gone)
    count(filters=None) -> int
    ids_where(filters=None) -> list[str]
    chunks_where(filters=None, limit=None) -> list[Chunk]
    get(ids) -> list[Chunk]                         those found, in the order asked
    distinct(field) -> list                         distinct stored values of a payload field
    sources() -> list[str]
    known_fields() -> set[str]                      fields a filter may name
    search(dense, sparse, *, top_k, candidates, filters, fusion, rrf_k, dense_weight,
           branch_scores, exact) -> list[ScoredChunk]
    search_batch(dense_rows, sparse_list, ...same) -> list[list[ScoredChunk]]
    meta() -> dict; update_meta(values)             small index metadata (avgdl, embedder, ...)
    flush(); close()

Search modes follow the vectors given: dense only, sparse only, or both = hybrid (one prefetch
per branch of `candidates` points each, fused in the engine: "rrf" with k, "dbsf", or
"weighted" = weighted RRF, see `schema.fusion_weights`). Equal scores are ordered by chunk id
(the engines' own tie order changes from call to call), so a query's result is reproducible.
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping, Sequence

import numpy as np

from ragkit import filters as flt
from ragkit.errors import FilterError, StoreError
from ragkit.index import schema
from ragkit.index.qdrant_filter import FilterModels, to_qdrant
from ragkit.types import Chunk, ScoredChunk, SparseVector

Hit = tuple[str, float, dict[str, Any]]  # (point id, score, payload)
TIE_SLACK = 10  # extra results fetched so ties at the top_k cut are broken by id, deterministically


class StoreBase:
    """Template: subclasses implement the `_primitive` methods for one engine."""

    backend = "base"
    upsert_batch = 256

    def __init__(self) -> None:
        self._meta: dict[str, Any] | None = None
        self._points: int | None = None  # cached point count; None after any write of this process

    # ---- engine primitives (subclasses) ---------------------------------------------------------
    def _exists(self) -> bool: raise NotImplementedError
    def _create(self, dim: int) -> None: raise NotImplementedError
    def _open(self) -> None: raise NotImplementedError
    def _read_meta(self) -> dict[str, Any]: raise NotImplementedError
    def _write_meta(self, meta: dict[str, Any]) -> None: raise NotImplementedError
    def _filter_models(self) -> FilterModels: raise NotImplementedError
    def _upsert_points(self, ids: list[str], payloads: list[dict], dense: np.ndarray, sparse: Sequence[SparseVector]) -> None: raise NotImplementedError
    def _delete_points(self, ids: list[str]) -> None: raise NotImplementedError
    def _delete_filter(self, native: Any) -> None: raise NotImplementedError
    def _count(self, native: Any) -> int: raise NotImplementedError
    def _scroll(self, native: Any, with_payload: bool, limit: int | None) -> Iterable[tuple[str, dict | None]]: raise NotImplementedError
    def _retrieve(self, ids: list[str]) -> list[tuple[str, dict]]: raise NotImplementedError
    def _facet(self, field: str) -> list[Any]: raise NotImplementedError
    def _query(self, specs: list[schema.QuerySpec], native: Any) -> list[list[Hit]]: raise NotImplementedError
    def flush(self) -> None: ...
    def close(self) -> None: ...

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # ---- collection and metadata ----------------------------------------------------------------
    @property
    def location(self) -> str:
        return self.backend

    def exists(self) -> bool:
        return self._exists()

    def ensure_collection(self, dim: int, embedder: str | None = None) -> None:
        """Create the collection for `dim`-d vectors, or open it and check dim and embedder."""
        if not isinstance(dim, int) or dim < 1:
            raise StoreError(f"ensure_collection: dim must be a positive integer, got {dim!r}")
        if self._exists():
            self._open()
            meta = self._load_meta()
            schema.check_compatible(meta, dim, embedder, self.location)
            missing = {}
            if meta.get(schema.META_DIM) is None:
                missing[schema.META_DIM] = dim
            if embedder and not meta.get(schema.META_EMBEDDER):
                missing[schema.META_EMBEDDER] = embedder
            if missing:
                self.update_meta(missing)
            return
        self._create(dim)
        self._meta = {
            schema.META_SCHEMA: schema.SCHEMA_VERSION,
            schema.META_DIM: dim,
            schema.META_EMBEDDER: embedder,
            schema.META_PAYLOAD_KEYS: [],
        }
        self._write_meta(self._meta)

    def _ready(self) -> None:
        if self._meta is not None:
            self._open()  # cheap once open; meta() may have been read without opening
            return
        if not self._exists():
            raise StoreError(
                f"no index at {self.location}: run `ragkit ingest PATH` first (or call ensure_collection(dim))"
            )
        self._open()
        self._load_meta()

    def _load_meta(self) -> dict[str, Any]:
        if self._meta is None:
            self._meta = dict(self._read_meta())
        return self._meta

    def meta(self) -> dict[str, Any]:
        """A copy of the index metadata (dim, embedder, payload_keys, and what the pipeline stored).
        Reading it does not open the index (an embedded index admits one process at a time: a
        process that is still loading its models must not hold it)."""
        if self._meta is None and not self._exists():
            raise StoreError(
                f"no index at {self.location}: run `ragkit ingest PATH` first (or call ensure_collection(dim))"
            )
        return dict(self._load_meta())

    def update_meta(self, values: Mapping[str, Any]) -> None:
        """Merge `values` (JSON-able) into the index metadata and persist it."""
        if self._meta is None:
            self._ready()
        meta = dict(self._load_meta())
        meta.update(values)
        self._write_meta(meta)
        self._meta = meta

    @property
    def dim(self) -> int:
        self._ready()
        return int(self._load_meta()[schema.META_DIM])

    def known_fields(self) -> set[str]:
        self._ready()
        return set(flt.CHUNK_FIELDS) | set(self._load_meta().get(schema.META_PAYLOAD_KEYS) or [])

    # ---- writes ---------------------------------------------------------------------------------
    def upsert(self, chunks: Sequence[Chunk], dense: np.ndarray, sparse: Sequence[SparseVector]) -> None:
        """Insert or overwrite points (id = chunk_id), `upsert_batch` points per engine call."""
        self._ready()
        mat = schema.check_upsert(chunks, dense, sparse, self.dim)
        if not chunks:
            return
        new_keys = schema.payload_keys(chunks) - self.known_fields()
        if new_keys:  # recorded before the points: the key set may only ever be a superset
            keys = sorted(set(self._load_meta().get(schema.META_PAYLOAD_KEYS) or []) | new_keys)
            self.update_meta({schema.META_PAYLOAD_KEYS: keys})
        step = self.upsert_batch
        self._points = None
        for i in range(0, len(chunks), step):
            part = chunks[i:i + step]
            self._upsert_points([c.chunk_id for c in part], [c.payload() for c in part], mat[i:i + step], sparse[i:i + step])

    def delete_ids(self, chunk_ids: Sequence[str]) -> None:
        self._ready()
        ids = [str(i) for i in chunk_ids]
        self._points = None
        for i in range(0, len(ids), 1024):
            self._delete_points(ids[i:i + 1024])

    def delete_where(self, filters: Mapping[str, Any]) -> int:
        """Delete every point matching `filters` (which must not be empty); return how many matched."""
        node = self._resolve(filters)
        if node == flt.TRUE:
            raise FilterError("delete_where needs a non-empty filter; refusing to delete the whole index")
        if node == flt.FALSE:
            return 0
        native = self._native(node)
        n = self._count(native)
        if n:
            self._points = None
            self._delete_filter(native)
        return n

    # ---- reads ----------------------------------------------------------------------------------
    def points(self) -> int:
        """How many points the index holds, counted once and kept until this process writes (a
        count costs about 0.7 ms on Qdrant Edge; writes by another process to a shared Qdrant
        server are seen after `close()`). Used to choose exact search for small collections."""
        if self._points is None:
            self._points = self.count() if self.exists() else 0
        return self._points

    def count(self, filters: Mapping[str, Any] | None = None) -> int:
        node = self._resolve(filters)
        if node == flt.FALSE:
            return 0
        return self._count(None if node == flt.TRUE else self._native(node))

    def ids_where(self, filters: Mapping[str, Any] | None = None) -> list[str]:
        node = self._resolve(filters)
        if node == flt.FALSE:
            return []
        return [pid for pid, _ in self._scroll(None if node == flt.TRUE else self._native(node), False, None)]

    def chunks_where(self, filters: Mapping[str, Any] | None = None, limit: int | None = None) -> list[Chunk]:
        node = self._resolve(filters)
        if node == flt.FALSE:
            return []
        native = None if node == flt.TRUE else self._native(node)
        return [Chunk.from_payload(pid, p or {}) for pid, p in self._scroll(native, True, limit)]

    def get(self, chunk_ids: Sequence[str]) -> list[Chunk]:
        """The chunks with these ids that exist, in the order asked."""
        self._ready()
        found = {pid: p for pid, p in self._retrieve([str(i) for i in chunk_ids])}
        return [Chunk.from_payload(i, found[i]) for i in map(str, chunk_ids) if i in found]

    def distinct(self, field: str) -> list[Any]:
        """Distinct stored values of a payload field (keyword-indexed fields use the engine's facet)."""
        self._ready()
        if field in schema.KEYWORD_FIELDS:
            return sorted(self._facet(field), key=str)
        values: set[Any] = set()
        for _, p in self._scroll(None, True, None):
            v = (p or {}).get(field)
            for x in v if isinstance(v, list) else [v]:
                if x is not None and isinstance(x, (str, int, float, bool)):
                    values.add(x)
        return sorted(values, key=str)

    def sources(self) -> list[str]:
        return [str(s) for s in self.distinct("source")]

    # ---- search ---------------------------------------------------------------------------------
    def search(
        self,
        dense: np.ndarray | Sequence[float] | None,
        sparse: SparseVector | None,
        *,
        top_k: int = 10,
        candidates: int = 100,
        filters: Mapping[str, Any] | None = None,
        fusion: str = "rrf",
        rrf_k: int = 60,
        dense_weight: float = 0.5,
        branch_scores: bool = False,
        exact: bool | None = None,
    ) -> list[ScoredChunk]:
        dense_rows = None if dense is None else np.asarray(dense, dtype=np.float32).reshape(1, -1)
        return self.search_batch(
            dense_rows, None if sparse is None else [sparse], top_k=top_k, candidates=candidates,
            filters=filters, fusion=fusion, rrf_k=rrf_k, dense_weight=dense_weight,
            branch_scores=branch_scores, exact=exact,
        )[0]

    def search_batch(
        self,
        dense: np.ndarray | Sequence[Sequence[float]] | None,
        sparse: Sequence[SparseVector] | None,
        *,
        top_k: int = 10,
        candidates: int = 100,
        filters: Mapping[str, Any] | None = None,
        fusion: str = "rrf",
        rrf_k: int = 60,
        dense_weight: float = 0.5,
        branch_scores: bool = False,
        exact: bool | None = None,
    ) -> list[list[ScoredChunk]]:
        """One result list per query. Query i uses dense row i and/or sparse vector i."""
        if dense is None and sparse is None:
            raise StoreError("search needs a dense vector, a sparse vector, or both")
        if top_k < 1 or candidates < 1 or rrf_k < 1:
            raise StoreError(f"search: top_k, candidates and rrf_k must be >= 1 (got {top_k}, {candidates}, {rrf_k})")
        weights = schema.fusion_weights(fusion, dense_weight)
        node = self._resolve(filters)
        rows = None
        if dense is not None:
            rows = np.asarray(dense, dtype=np.float32)
            if rows.ndim != 2 or rows.shape[1] != self.dim:
                raise StoreError(f"search: dense queries must have shape (n, {self.dim}), got {rows.shape}")
        n = rows.shape[0] if rows is not None else len(sparse or [])
        if sparse is not None and len(sparse) != n:
            raise StoreError(f"search: {n} dense queries but {len(sparse)} sparse ones")
        if node == flt.FALSE:
            return [[] for _ in range(n)]
        native = None if node == flt.TRUE else self._native(node)
        specs = []
        for i in range(n):
            sv = sparse[i] if sparse is not None else None
            if sv is not None and not sv.indices:
                sv = None  # a query of stopwords only: no sparse branch
            dv = rows[i].tolist() if rows is not None else None
            # a few more than asked, so equal scores at the cut can be ordered by id (the engine's
            # tie order varies from call to call): the same query always gives the same list
            specs.append(schema.QuerySpec(dv, sv, top_k + TIE_SLACK, max(candidates, top_k), fusion, rrf_k, weights, exact))
        asked = [s for s in specs if s.dense is not None or s.sparse is not None]
        results = iter(self._query(asked, native) if asked else [])
        branches = iter(self._branches(asked, native) if branch_scores and asked else [])
        out: list[list[ScoredChunk]] = []
        for spec in specs:
            if spec.dense is None and spec.sparse is None:
                out.append([])
                continue
            hits = sorted(next(results), key=lambda h: (-h[1], h[0]))[:top_k]
            extra = next(branches) if branch_scores else {}
            key = spec.fusion if spec.mode == "hybrid" else spec.mode
            out.append([
                ScoredChunk(Chunk.from_payload(pid, payload), float(score), rank,
                            {key: float(score), **extra.get(pid, {})})
                for rank, (pid, score, payload) in enumerate(hits, start=1)
            ])
        return out

    def _branches(self, specs: list[schema.QuerySpec], native: Any) -> list[dict[str, dict[str, float]]]:
        """Per query, id -> {"dense": score, "sparse": score} from each branch's candidates."""
        singles: list[schema.QuerySpec] = []
        names: list[tuple[int, str]] = []
        for qi, s in enumerate(specs):
            if s.dense is not None:
                singles.append(schema.QuerySpec(s.dense, None, s.candidates, s.candidates, exact=s.exact))
                names.append((qi, "dense"))
            if s.sparse is not None:
                singles.append(schema.QuerySpec(None, s.sparse, s.candidates, s.candidates))
                names.append((qi, "sparse"))
        out: list[dict[str, dict[str, float]]] = [{} for _ in specs]
        for (qi, name), hits in zip(names, self._query(singles, native)):
            for pid, score, _ in hits:
                out[qi].setdefault(pid, {})[name] = float(score)
        return out

    # ---- filters --------------------------------------------------------------------------------
    def _native(self, node: flt.Node) -> Any:
        """The engine's filter for a resolved tree (`qdrant_filter.to_qdrant`, this library's models)."""
        return to_qdrant(node, self._filter_models())

    def _resolve(self, filters: Mapping[str, Any] | None) -> flt.Node:
        """Parse, check field names against this index, expand globs."""
        self._ready()
        node = flt.parse_filter(filters, self.known_fields())
        if flt.glob_fields(node):
            node = flt.expand_globs(node, self.distinct)
        return node
