"""The collection schema both store backends share, and small checks on what goes into it.

* named dense vector ``dense`` (cosine, dim from the embedder);
* sparse vector ``bm25`` with the IDF modifier (ragkit computes the document-side BM25 weights);
* payload = ``Chunk.payload()``: every metadata field plus the text; point id = ``chunk_id``;
* payload indexes: source, section, content_hash (keyword), page (integer), created/modified
  (datetime);
* index metadata (``META_*`` keys): schema version, dense dim, embedder name, the payload keys
  seen so far, and whatever the ingest pipeline stores (BM25 avgdl/k1/b, ...).
"""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

from ragkit.errors import IndexMismatchError, StoreError
from ragkit.filters import CHUNK_FIELDS
from ragkit.types import Chunk, SparseVector

SCHEMA_VERSION = 1
DENSE = "dense"
SPARSE = "bm25"
FUSIONS = ("rrf", "dbsf", "weighted")

# payload field -> index kind ("keyword" | "integer" | "datetime")
PAYLOAD_INDEXES: dict[str, str] = {
    "source": "keyword",
    "section": "keyword",
    "content_hash": "keyword",
    "page": "integer",
    "created": "datetime",
    "modified": "datetime",
}
KEYWORD_FIELDS = frozenset(k for k, v in PAYLOAD_INDEXES.items() if v == "keyword")

META_SCHEMA = "schema"
META_DIM = "dim"
META_EMBEDDER = "embedder"
META_PAYLOAD_KEYS = "payload_keys"


@dataclass(frozen=True)
class QuerySpec:
    """One store query, backend-neutral. `dense`/`sparse` None = that branch is not asked."""

    dense: list[float] | None
    sparse: SparseVector | None
    top_k: int
    candidates: int
    fusion: str = "rrf"
    rrf_k: int = 60
    weights: tuple[float, float] | None = None  # RRF weights (dense, sparse); "weighted" mode
    exact: bool | None = None  # force brute-force dense search (None: the engine decides)

    @property
    def mode(self) -> str:
        if self.dense is not None and self.sparse is not None:
            return "hybrid"
        return "dense" if self.dense is not None else "sparse"


def fusion_weights(fusion: str, dense_weight: float) -> tuple[float, float] | None:
    """RRF weights for a fusion mode: None for plain rrf/dbsf.

    "weighted" is Qdrant's weighted RRF with weights (2w, 2(1-w)) for dense weight w, so w=0.5
    is exactly plain RRF and w=1 (0) keeps only the dense (sparse) branch's contribution.
    """
    if fusion not in FUSIONS:
        raise StoreError(f"unknown fusion {fusion!r}; use one of {list(FUSIONS)} (config key retrieval.fusion)")
    if fusion != "weighted":
        return None
    if not 0.0 <= dense_weight <= 1.0:
        raise StoreError(f"dense_weight must be within [0, 1], got {dense_weight} (config key retrieval.dense_weight)")
    return (2.0 * dense_weight, 2.0 * (1.0 - dense_weight))


def check_upsert(chunks: Sequence[Chunk], dense: np.ndarray, sparse: Sequence[SparseVector], dim: int) -> np.ndarray:
    """Validate one upsert's inputs; return the dense matrix as float32 (n, dim)."""
    n = len(chunks)
    mat = np.asarray(dense, dtype=np.float32)
    if mat.ndim != 2 or mat.shape[0] != n:
        raise StoreError(f"upsert: {n} chunks but dense has shape {mat.shape}; need one row per chunk")
    if mat.shape[1] != dim:
        raise IndexMismatchError(
            f"upsert: dense vectors have dim {mat.shape[1]} but the index was built with dim {dim}; "
            "use the index's embedder, or rebuild the index for the new one"
        )
    if len(sparse) != n:
        raise StoreError(f"upsert: {n} chunks but {len(sparse)} sparse vectors")
    if n and not np.isfinite(mat).all():
        raise StoreError("upsert: dense vectors contain NaN or infinity")
    seen: set[str] = set()
    for c in chunks:
        try:
            uuid.UUID(c.chunk_id)
        except (ValueError, AttributeError, TypeError):
            raise StoreError(f"upsert: chunk_id {c.chunk_id!r} of {c.source} is not a UUID string") from None
        if c.chunk_id in seen:
            raise StoreError(f"upsert: chunk_id {c.chunk_id} appears twice in one batch ({c.source})")
        seen.add(c.chunk_id)
    for sv in sparse:
        if len(sv.indices) != len(sv.values):
            raise StoreError("upsert: a sparse vector has different numbers of indices and values")
        if any(not math.isfinite(v) for v in sv.values):
            raise StoreError("upsert: a sparse vector has NaN or infinite weights")
    return mat


def payload_keys(chunks: Sequence[Chunk]) -> set[str]:
    keys: set[str] = set()
    for c in chunks:
        keys.update(c.metadata.keys())
    return keys - CHUNK_FIELDS


def check_compatible(meta: dict[str, Any], dim: int, embedder: str | None, where: str) -> None:
    """IndexMismatchError if an existing index was built with another dim or embedder."""
    have_dim = meta.get(META_DIM)
    if have_dim is not None and int(have_dim) != int(dim):
        raise IndexMismatchError(
            f"{where}: the index holds {have_dim}-d vectors (embedder {meta.get(META_EMBEDDER)!r}) but the "
            f"configured embedder gives {dim}-d. Use the same embedder (config key embedder.model), "
            "or point store.path / store.collection at a new index and re-ingest"
        )
    have = meta.get(META_EMBEDDER)
    if embedder and have and have != embedder:
        raise IndexMismatchError(
            f"{where}: the index was built with embedder {have!r} but {embedder!r} is configured; "
            "vectors of two embedders are not comparable. Use the index's embedder (config key "
            "embedder.model), or point store.path / store.collection at a new index and re-ingest"
        )


def point_id(raw: Any) -> str:
    return str(raw)
