"""EdgeStore: the embedded default, Qdrant Edge (`qdrant-edge-py`) in-process, on disk.

Layout under the store's directory (``cfg.index_path / "edge"`` from `build_store`)::

    shard/             the EdgeShard (segments + write-ahead log)
    store_meta.json    index metadata (dim, embedder, payload keys, BM25 avgdl ...), atomically replaced

Durability (measured, tests/index/test_index_edge_durability.py, and by hand with kills at random
moments of a long upsert loop): every update goes to the shard's write-ahead log before the call
returns, so a process killed with SIGKILL right after `upsert` / `delete_*` returns loses nothing:
reopening replays the WAL. One engine update (`upsert_batch` points) was always found whole or
absent, never in part. No explicit flush is needed for this; `flush()` (also run by `close()`)
writes segments out. Whether the WAL is fsynced per update, i.e. survives power loss or a kernel
crash rather than a process kill, was not established.

Concurrency: an open shard holds an exclusive lock on its WAL. A second open of the same
directory, from another process or the same one, fails at once (the engine's WouldBlock);
`EdgeStore` reports it as `IndexLockedError`, after retrying for `lock_timeout` seconds if set.
So one process at a time, readers included: a search process and an ingest exclude each other
for as long as either keeps its store open, and `close()` releases the lock. The store opens
lazily on first use.

Search: new points land in plain (appendable) segments, searched brute force; `optimize()` is
never run implicitly. Measured on 2 pinned cores (bench/index_search.py): at SciFact size
(5,183 points) plain search is already fast, p50 dense 0.8-0.9 ms, sparse 0.35 ms, hybrid
1.3-1.4 ms, and optimize has nothing to index (the segment is under the engine's indexing
threshold). At 100k points plain dense is 21 ms and hybrid 22 ms p50, while after `optimize()`
(31 s: HNSW built) hybrid is 2.4 ms p50 with dense recall@10 0.985 against exact search.
So the ingest pipeline should call `optimize()` after a run that added or deleted many points:
it also vacuums deleted points, which the engine's IDF statistics count until then.
`exact=True` on a search forces brute force on indexed segments too.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any, Iterable, Sequence

import numpy as np

from ragkit.errors import IndexLockedError, StoreError
from ragkit.index import schema
from ragkit.index.base import Hit, StoreBase
from ragkit.index.qdrant_filter import FilterModels
from ragkit.types import SparseVector

META_FILE = "store_meta.json"
SHARD_DIR = "shard"
SCROLL_PAGE = 1024
VACUUM_DELETED_RATIO = 0.001  # optimize() rewrites a segment once this share of its points is deleted


def _qe():
    import qdrant_edge

    return qdrant_edge


class EdgeStore(StoreBase):
    backend = "edge"

    def __init__(self, path: str | Path, *, search_threads: int | None = None, lock_timeout: float = 0.0):
        super().__init__()
        self.path = Path(path).expanduser().resolve()
        self.search_threads = search_threads
        self.lock_timeout = lock_timeout  # seconds to wait for another process's lock before IndexLockedError
        self._shard: Any = None

    @property
    def location(self) -> str:
        return f"edge index {self.path}"

    @property
    def shard_path(self) -> Path:
        return self.path / SHARD_DIR

    # ---- lifecycle ------------------------------------------------------------------------------
    def _exists(self) -> bool:
        return (self.shard_path / "edge_config.json").is_file()

    def _config(self, dim: int):
        qe = _qe()
        return qe.EdgeConfig(
            vectors={schema.DENSE: qe.EdgeVectorParams(size=dim, distance=qe.Distance.Cosine)},
            sparse_vectors={schema.SPARSE: qe.EdgeSparseVectorParams(modifier=qe.Modifier.Idf)},
            # optimize() vacuums any deleted point: the engine's IDF statistics count deleted points
            # until their segment is rewritten, so after a vacuum scores equal a clean build's
            optimizers=qe.EdgeOptimizersConfig(deleted_threshold=VACUUM_DELETED_RATIO, vacuum_min_vector_number=1),
            max_search_threads=self.search_threads,
        )

    def _stored_dim(self) -> int:
        try:
            cfg = json.loads((self.shard_path / "edge_config.json").read_text(encoding="utf-8"))
            return int(cfg["vectors"][schema.DENSE]["size"])
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise StoreError(f"{self.location}: unreadable shard config ({exc}); delete the index and re-ingest") from None

    def _create(self, dim: int) -> None:
        qe = _qe()
        self.path.mkdir(parents=True, exist_ok=True)
        self._shard = self._call("create", lambda: qe.EdgeShard.create(str(self.shard_path), self._config(dim)))
        self._ensure_payload_indexes()

    def _open(self) -> None:
        if self._shard is not None:
            return
        qe = _qe()
        cfg = self._config(self._stored_dim())
        deadline = time.monotonic() + self.lock_timeout
        while True:
            try:
                self._shard = self._call("open", lambda: qe.EdgeShard.load(str(self.shard_path), cfg))
                break
            except IndexLockedError:
                if time.monotonic() >= deadline:
                    raise
                time.sleep(0.05)
        self._ensure_payload_indexes()

    def _ensure_payload_indexes(self) -> None:
        qe = _qe()
        kinds = {"keyword": qe.PayloadSchemaType.Keyword, "integer": qe.PayloadSchemaType.Integer,
                 "datetime": qe.PayloadSchemaType.Datetime}
        have = set(self._shard.info().payload_schema)
        for field, kind in schema.PAYLOAD_INDEXES.items():
            if field not in have:
                self._update(qe.UpdateOperation.create_field_index(field, kinds[kind]))

    def _call(self, what: str, fn):
        try:
            return fn()
        except Exception as exc:  # qdrant_edge raises plain Exception with the engine's message
            msg = str(exc)
            if "WouldBlock" in msg:
                raise IndexLockedError(
                    f"{self.location} is open in another process (or another store object in this one); "
                    "Qdrant Edge allows one at a time. Wait for the other ingest/search to finish, or "
                    "close() the other store."
                ) from None
            raise StoreError(f"{self.location}: {what} failed: {msg}") from None

    def _update(self, op) -> None:
        self._call("update", lambda: self._shard.update(op))

    def flush(self) -> None:
        if self._shard is not None:
            self._call("flush", self._shard.flush)

    def optimize(self) -> bool:
        """Rewrite segments holding deleted points (exact IDF again), merge small segments, and build
        HNSW for segments over the engine's indexing threshold. Blocking; True if anything changed.
        Call it after an ingest run that deleted or replaced points."""
        self._ready()
        return bool(self._call("optimize", self._shard.optimize))

    def close(self) -> None:
        if self._shard is not None:
            shard, self._shard = self._shard, None
            try:
                shard.flush()
            finally:
                shard.close()
        self._meta = None

    # ---- metadata sidecar -----------------------------------------------------------------------
    def _read_meta(self) -> dict[str, Any]:
        p = self.path / META_FILE
        if p.is_file():
            try:
                return json.loads(p.read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                raise StoreError(f"{p}: index metadata unreadable ({exc}); delete the index and re-ingest") from None
        # metadata lost (e.g. a crash between create and the first write): recover dim from the shard
        return {schema.META_SCHEMA: schema.SCHEMA_VERSION, schema.META_DIM: self._stored_dim(), schema.META_PAYLOAD_KEYS: []}

    def _write_meta(self, meta: dict[str, Any]) -> None:
        self.path.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".meta-", dir=self.path)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(meta, fh, indent=1, sort_keys=True)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, self.path / META_FILE)
            dfd = os.open(self.path, os.O_RDONLY)
            try:
                os.fsync(dfd)
            finally:
                os.close(dfd)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    # ---- filters --------------------------------------------------------------------------------
    def _filter_models(self) -> FilterModels:
        qe = _qe()
        return FilterModels(
            filter=qe.Filter,
            match_value=lambda field, value: qe.FieldCondition(field, match=qe.MatchValue(value)),
            match_any=lambda field, values: qe.FieldCondition(field, match=qe.MatchAny(values)),
            is_empty=qe.IsEmptyCondition,
            number_range=lambda field, bounds: qe.FieldCondition(field, range=qe.RangeFloat(**bounds)),
            datetime_range=lambda field, bounds: qe.FieldCondition(field, range=qe.RangeDateTime(**bounds)),
        )

    # ---- writes ---------------------------------------------------------------------------------
    def _upsert_points(self, ids: list[str], payloads: list[dict], dense: np.ndarray, sparse: Sequence[SparseVector]) -> None:
        qe = _qe()
        rows = dense.tolist()
        points = [
            qe.Point(pid, {schema.DENSE: row, schema.SPARSE: qe.SparseVector(list(sv.indices), list(sv.values))}, payload)
            for pid, payload, row, sv in zip(ids, payloads, rows, sparse)
        ]
        self._update(qe.UpdateOperation.upsert_points(points))

    def _delete_points(self, ids: list[str]) -> None:
        self._update(_qe().UpdateOperation.delete_points(ids))

    def _delete_filter(self, native) -> None:
        self._update(_qe().UpdateOperation.delete_points_by_filter(native))

    # ---- reads ----------------------------------------------------------------------------------
    def _count(self, native) -> int:
        self._ready()
        qe = _qe()
        return int(self._call("count", lambda: self._shard.count(qe.CountRequest(exact=True, filter=native))))

    def _scroll(self, native, with_payload: bool, limit: int | None) -> Iterable[tuple[str, dict | None]]:
        self._ready()
        qe = _qe()
        offset, left = None, limit
        while left is None or left > 0:
            page = SCROLL_PAGE if left is None else min(SCROLL_PAGE, left)
            req = qe.ScrollRequest(offset=offset, limit=page, filter=native, with_payload=with_payload, with_vector=False)
            records, offset = self._call("scroll", lambda: self._shard.scroll(req))
            for r in records:
                yield str(r.id), (dict(r.payload) if with_payload and r.payload is not None else None)
            if left is not None:
                left -= len(records)
            if offset is None or not records:
                return

    def _retrieve(self, ids: list[str]) -> list[tuple[str, dict]]:
        self._ready()
        out = []
        for i in range(0, len(ids), SCROLL_PAGE):
            part = ids[i:i + SCROLL_PAGE]
            recs = self._call("retrieve", lambda: self._shard.retrieve(part, with_payload=True, with_vector=False))
            out.extend((str(r.id), dict(r.payload or {})) for r in recs)
        return out

    def _facet(self, field: str) -> list[Any]:
        qe = _qe()
        limit = max(self._count(None), 1)
        resp = self._call("facet", lambda: self._shard.facet(qe.FacetRequest(field, limit=limit, exact=True)))
        return [h.value for h in resp.hits]

    def _query(self, specs: list[schema.QuerySpec], native) -> list[list[Hit]]:
        self._ready()
        qe = _qe()
        reqs = [self._request(qe, s, native) for s in specs]
        if len(reqs) == 1:
            results = [self._call("query", lambda: self._shard.query(reqs[0]))]
        else:
            results = self._call("query", lambda: self._shard.query_batch(qe.QueryBatchRequest(reqs)))
        return [[(str(p.id), float(p.score), dict(p.payload or {})) for p in res] for res in results]

    def _request(self, qe, s: schema.QuerySpec, native):
        dense = sparse = None
        params = qe.SearchParams(exact=True) if s.exact else None
        if s.dense is not None:
            dense = qe.Query.Nearest(s.dense, using=schema.DENSE)
        if s.sparse is not None:
            sparse = qe.Query.Nearest(qe.SparseVector(list(s.sparse.indices), list(s.sparse.values)), using=schema.SPARSE)
        if s.mode != "hybrid":
            return qe.QueryRequest(limit=s.top_k, query=dense or sparse, filter=native, with_payload=True,
                                   params=params if dense is not None else None)
        prefetches = [
            qe.Prefetch(limit=s.candidates, query=dense, filter=native, params=params),
            qe.Prefetch(limit=s.candidates, query=sparse, filter=native),
        ]
        fusion = qe.Fusion.Dbsf() if s.fusion == "dbsf" else qe.Fusion.Rrf(k=s.rrf_k, weights=list(s.weights) if s.weights else None)
        return qe.QueryRequest(limit=s.top_k, prefetches=prefetches, query=fusion, filter=native, with_payload=True)
