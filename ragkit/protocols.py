"""One Protocol per boundary. Backends are small classes in their own files that satisfy these."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterable, Iterator, Protocol, Sequence, runtime_checkable

import numpy as np

from ragkit.types import (
    Chunk,
    Completion,
    Document,
    Generation,
    GenerationRequest,
    Message,
    ScoredChunk,
    SparseVector,
    StreamDelta,
    TextPiece,
)


@runtime_checkable
class Loader(Protocol):
    """Turns one file into documents (one, or many for a JSONL corpus)."""

    suffixes: tuple[str, ...]

    def load(self, path: Path, source: str) -> Iterable[Document]: ...


@runtime_checkable
class Chunker(Protocol):
    def split(self, text: str) -> list[TextPiece]: ...


@runtime_checkable
class Embedder(Protocol):
    name: str
    dim: int

    def embed(self, texts: Sequence[str]) -> np.ndarray: ...  # (n, dim) float32, L2-normalized

    def close(self) -> None: ...


@runtime_checkable
class SparseEncoder(Protocol):
    """Document and query sparse vectors. `context_words` > 0: the ingest pipeline passes each
    chunk's context passage (`context_windows` over its document's chunks) as `contexts`."""

    context_words: int

    def encode_documents(self, texts: Sequence[str], contexts: Sequence[str] | None = None) -> list[SparseVector]: ...

    def context_windows(self, pieces: Sequence[str]) -> list[tuple[int, int]]: ...

    def encode_query(self, text: str) -> SparseVector: ...


@runtime_checkable
class VectorStore(Protocol):
    """Qdrant-shaped store: named dense vector + sparse `bm25` vector (IDF modifier) + payload.

    Backends: ragkit.index.EdgeStore, ragkit.index.QdrantStore (see ragkit/index/base.py for the
    semantics of each method; filters are the dict spec of ragkit.retrieve.filters).
    """

    def ensure_collection(self, dim: int, embedder: str | None = None) -> None: ...

    def exists(self) -> bool: ...

    def upsert(self, chunks: Sequence[Chunk], dense: np.ndarray, sparse: Sequence[SparseVector]) -> None: ...

    def delete_ids(self, chunk_ids: Sequence[str]) -> None: ...

    def delete_where(self, filters: dict[str, Any]) -> int: ...  # how many points matched

    def count(self, filters: dict[str, Any] | None = None) -> int: ...

    def ids_where(self, filters: dict[str, Any] | None = None) -> list[str]: ...

    def chunks_where(self, filters: dict[str, Any] | None = None, limit: int | None = None) -> list[Chunk]: ...

    def get(self, chunk_ids: Sequence[str]) -> list[Chunk]: ...

    def sources(self) -> list[str]: ...

    def meta(self) -> dict[str, Any]: ...

    def update_meta(self, values: dict[str, Any]) -> None: ...

    def search(
        self,
        dense: np.ndarray | None,
        sparse: SparseVector | None,
        *,
        top_k: int,
        candidates: int,
        filters: dict[str, Any] | None = None,
        fusion: str = "rrf",
        rrf_k: int = 60,
        dense_weight: float = 0.5,
        branch_scores: bool = False,
        exact: bool | None = None,
    ) -> list[ScoredChunk]: ...

    def search_batch(
        self,
        dense: np.ndarray | None,
        sparse: Sequence[SparseVector] | None,
        *,
        top_k: int,
        candidates: int,
        filters: dict[str, Any] | None = None,
        fusion: str = "rrf",
        rrf_k: int = 60,
        dense_weight: float = 0.5,
        branch_scores: bool = False,
        exact: bool | None = None,
    ) -> list[list[ScoredChunk]]: ...

    def flush(self) -> None: ...

    def close(self) -> None: ...


@runtime_checkable
class Reranker(Protocol):
    def rerank(self, query: str, candidates: Sequence[ScoredChunk], top_n: int) -> list[ScoredChunk]: ...


@runtime_checkable
class LLM(Protocol):
    """A chat model behind an API (ragkit.models.llm: OpenAI-compatible, Anthropic). `context_window`
    is None when unknown. `stream` yields text deltas and ends with one `StreamDelta(completion=...)`
    carrying the whole text and the usage (cached tokens included); a stream that breaks off after it
    started raises `ragkit.errors.StreamInterruptedError` with the partial text and the tokens used."""

    provider: str
    model: str
    context_window: int | None

    def complete(self, messages: Sequence[Message], *, max_tokens: int, temperature: float,
                 timeout_s: float | None = None) -> Completion: ...

    def stream(self, messages: Sequence[Message], *, max_tokens: int, temperature: float,
               timeout_s: float | None = None) -> Iterator[StreamDelta]: ...

    def close(self) -> None: ...


@runtime_checkable
class Generator(Protocol):
    """Writes the answer text for `ask` (ragkit.answer.generators: extractive, or an LLM route through
    the gateway). `stream` yields `StreamDelta` text pieces and ends with the `Generation`."""

    name: str

    def generate(self, request: GenerationRequest) -> Generation: ...

    def stream(self, request: GenerationRequest) -> Iterator[StreamDelta | Generation]: ...


@runtime_checkable
class Cache(Protocol):
    def get(self, key: str) -> Any | None: ...

    def set(self, key: str, value: Any) -> None: ...
