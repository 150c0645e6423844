"""QdrantStore: a Qdrant server or cluster through qdrant-client (the scale-out backend).

``location`` is a server URL (``http(s)://host:6333``), or, as test stand-ins for a server,
``":memory:"`` or a local directory (qdrant-client's own local mode: correct, but far too slow
to serve a real index; see DESIGN.md). The schema, payload and queries are those of `EdgeStore`;
index metadata lives in the collection's own metadata, so every client of the server sees it.
Fusion (RRF with k and weights, DBSF) runs in the engine, as on Edge.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any, Iterable, Sequence

import numpy as np

from ragkit.errors import IndexLockedError, StoreError
from ragkit.index import schema
from ragkit.index.base import Hit, StoreBase
from ragkit.index.qdrant_filter import FilterModels
from ragkit.types import SparseVector

SCROLL_PAGE = 1024


def _models():
    from qdrant_client import models

    return models


class QdrantStore(StoreBase):
    backend = "qdrant"

    def __init__(self, location: str, collection: str = "ragkit", *, api_key: str | None = None, timeout: float = 30.0):
        super().__init__()
        if not location:
            raise StoreError("QdrantStore needs a location: a server URL, ':memory:' or a local directory (config key store.url)")
        self.target = location
        self.collection = collection
        self._api_key = api_key
        self.timeout = timeout
        self._client: Any = None

    @property
    def location(self) -> str:
        where = self.target if "@" not in self.target else self.target.split("@", 1)[1]
        return f"qdrant collection {self.collection!r} at {where}"

    @property
    def is_server(self) -> bool:
        return self.target.startswith(("http://", "https://"))

    @property
    def client(self):
        if self._client is None:
            from qdrant_client import QdrantClient

            try:
                if self.is_server:
                    self._client = QdrantClient(url=self.target, api_key=self._api_key, timeout=int(self.timeout))
                elif self.target == ":memory:":
                    self._client = QdrantClient(location=":memory:")
                else:
                    self._client = QdrantClient(path=str(Path(self.target).expanduser()))
            except RuntimeError as exc:
                if "already accessed" in str(exc):
                    raise IndexLockedError(f"{self.location} is open in another client: {exc}") from None
                raise StoreError(f"{self.location}: cannot open: {exc}") from None
        return self._client

    def _call(self, what: str, fn):
        try:
            return fn()
        except (StoreError, NotImplementedError):
            raise
        except Exception as exc:
            raise StoreError(f"{self.location}: {what} failed: {type(exc).__name__}: {exc}") from None

    # ---- lifecycle ------------------------------------------------------------------------------
    def _exists(self) -> bool:
        return bool(self._call("collection_exists", lambda: self.client.collection_exists(self.collection)))

    def _create(self, dim: int) -> None:
        m = _models()
        self._call("create_collection", lambda: self.client.create_collection(
            self.collection,
            vectors_config={schema.DENSE: m.VectorParams(size=dim, distance=m.Distance.COSINE)},
            sparse_vectors_config={schema.SPARSE: m.SparseVectorParams(modifier=m.Modifier.IDF)},
        ))
        kinds = {"keyword": m.PayloadSchemaType.KEYWORD, "integer": m.PayloadSchemaType.INTEGER,
                 "datetime": m.PayloadSchemaType.DATETIME}
        with warnings.catch_warnings():  # local mode warns that payload indexes have no effect there
            warnings.simplefilter("ignore")
            for field, kind in schema.PAYLOAD_INDEXES.items():
                self._call("create_payload_index", lambda: self.client.create_payload_index(
                    self.collection, field, field_schema=kinds[kind], wait=True))

    def _open(self) -> None:
        self.client  # noqa: B018 (connects)

    def flush(self) -> None:
        """Writes are acknowledged with wait=True; nothing to flush client-side."""

    def optimize(self) -> bool:
        """The server runs its optimizers by itself."""
        return False

    def close(self) -> None:
        if self._client is not None:
            client, self._client = self._client, None
            client.close()
        self._meta = None

    # ---- metadata: the collection's own metadata ------------------------------------------------
    def _read_meta(self) -> dict[str, Any]:
        info = self._call("get_collection", lambda: self.client.get_collection(self.collection))
        return dict(info.config.metadata or {})

    def _write_meta(self, meta: dict[str, Any]) -> None:
        self._call("update_collection", lambda: self.client.update_collection(self.collection, metadata=meta))

    # ---- filters --------------------------------------------------------------------------------
    def _filter_models(self) -> FilterModels:
        m = _models()
        return FilterModels(
            filter=m.Filter,
            match_value=lambda field, value: m.FieldCondition(key=field, match=m.MatchValue(value=value)),
            match_any=lambda field, values: m.FieldCondition(key=field, match=m.MatchAny(any=values)),
            is_empty=lambda field: m.IsEmptyCondition(is_empty=m.PayloadField(key=field)),
            number_range=lambda field, bounds: m.FieldCondition(key=field, range=m.Range(**bounds)),
            datetime_range=lambda field, bounds: m.FieldCondition(key=field, range=m.DatetimeRange(**bounds)),
        )

    # ---- writes ---------------------------------------------------------------------------------
    def _upsert_points(self, ids: list[str], payloads: list[dict], dense: np.ndarray, sparse: Sequence[SparseVector]) -> None:
        m = _models()
        rows = dense.tolist()
        points = [
            m.PointStruct(id=pid, payload=payload, vector={
                schema.DENSE: row, schema.SPARSE: m.SparseVector(indices=list(sv.indices), values=list(sv.values))})
            for pid, payload, row, sv in zip(ids, payloads, rows, sparse)
        ]
        self._call("upsert", lambda: self.client.upsert(self.collection, points=points, wait=True))

    def _delete_points(self, ids: list[str]) -> None:
        m = _models()
        self._call("delete", lambda: self.client.delete(self.collection, points_selector=m.PointIdsList(points=ids), wait=True))

    def _delete_filter(self, native) -> None:
        m = _models()
        self._call("delete", lambda: self.client.delete(self.collection, points_selector=m.FilterSelector(filter=native), wait=True))

    # ---- reads ----------------------------------------------------------------------------------
    def _count(self, native) -> int:
        self._ready()
        return int(self._call("count", lambda: self.client.count(self.collection, count_filter=native, exact=True)).count)

    def _scroll(self, native, with_payload: bool, limit: int | None) -> Iterable[tuple[str, dict | None]]:
        self._ready()
        offset, left = None, limit
        while left is None or left > 0:
            page = SCROLL_PAGE if left is None else min(SCROLL_PAGE, left)
            records, offset = self._call("scroll", lambda: self.client.scroll(
                self.collection, scroll_filter=native, limit=page, offset=offset,
                with_payload=with_payload, with_vectors=False))
            for r in records:
                yield str(r.id), (dict(r.payload) if with_payload and r.payload is not None else None)
            if left is not None:
                left -= len(records)
            if offset is None or not records:
                return

    def _retrieve(self, ids: list[str]) -> list[tuple[str, dict]]:
        self._ready()
        recs = self._call("retrieve", lambda: self.client.retrieve(self.collection, ids=ids, with_payload=True, with_vectors=False))
        return [(str(r.id), dict(r.payload or {})) for r in recs]

    def _facet(self, field: str) -> list[Any]:
        limit = max(self._count(None), 1)
        resp = self._call("facet", lambda: self.client.facet(self.collection, key=field, limit=limit, exact=True))
        return [h.value for h in resp.hits]

    def _query(self, specs: list[schema.QuerySpec], native) -> list[list[Hit]]:
        self._ready()
        reqs = [self._request(s, native) for s in specs]
        if len(reqs) == 1:
            r = reqs[0]
            res = self._call("query", lambda: self.client.query_points(
                self.collection, query=r.query, using=r.using, prefetch=r.prefetch, query_filter=r.filter,
                search_params=r.params, limit=r.limit, with_payload=True))
            results = [res.points]
        else:
            results = [x.points for x in self._call("query", lambda: self.client.query_batch_points(self.collection, requests=reqs))]
        return [[(str(p.id), float(p.score), dict(p.payload or {})) for p in pts] for pts in results]

    def _request(self, s: schema.QuerySpec, native):
        m = _models()
        params = m.SearchParams(exact=True) if s.exact else None
        sparse = None if s.sparse is None else m.SparseVector(indices=list(s.sparse.indices), values=list(s.sparse.values))
        if s.mode == "dense":
            return m.QueryRequest(query=s.dense, using=schema.DENSE, filter=native, params=params, limit=s.top_k, with_payload=True)
        if s.mode == "sparse":
            return m.QueryRequest(query=sparse, using=schema.SPARSE, filter=native, limit=s.top_k, with_payload=True)
        prefetch = [
            m.Prefetch(query=s.dense, using=schema.DENSE, filter=native, params=params, limit=s.candidates),
            m.Prefetch(query=sparse, using=schema.SPARSE, filter=native, limit=s.candidates),
        ]
        if s.fusion == "dbsf":
            fusion = m.FusionQuery(fusion=m.Fusion.DBSF)
        else:
            fusion = m.RrfQuery(rrf=m.Rrf(k=s.rrf_k, weights=list(s.weights) if s.weights else None))
        return m.QueryRequest(prefetch=prefetch, query=fusion, filter=native, limit=s.top_k, with_payload=True)


def api_key_from_env(name: str | None, url: str | None = None, *, allow_hosts: Sequence[str] = (),
                     where: str = "store") -> str | None:
    """The Qdrant API key from the environment variable the config names (never logged), when it may
    go to `url`'s host: QDRANT_API_KEY / *_API_KEY to a non-loopback store.url, or to a host in
    security.allow_key_hosts; none for :memory: or a local folder (ragkit/config/security.py)."""
    from ragkit.config.security import grant_key

    return grant_key("qdrant", name, url, allow=allow_hosts, where=where).value
