"""Index layer: BM25 sparse encoding and the two Qdrant store backends (Edge, qdrant-client)."""

from ragkit.index.edge_store import EdgeStore
from ragkit.index.factory import build_store
from ragkit.index.qdrant_store import QdrantStore
from ragkit.index.sparse import BM25Encoder

__all__ = ["BM25Encoder", "EdgeStore", "QdrantStore", "build_store"]
