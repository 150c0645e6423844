"""One Protocol per boundary: the contract between ragkit and each backend.

Every method and attribute ragkit calls on a backend is named here, and ragkit calls nothing else
(no probing with getattr): a backend written from these classes alone plugs in. The behaviour
behind each name is checked by the conformance mixins in `ragkit.testing`, which every bundled
backend's tests inherit and a user's own backend can inherit too.
"""

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
    Usage,
)


@runtime_checkable
class Loader(Protocol):
    """Turns one file into documents (one, or many for a JSONL corpus)."""

    suffixes: tuple[str, ...]

    def load(self, path: Path, source: str) -> Iterable[Document]: ...


@runtime_checkable
class Chunker(Protocol):
    """Sentence-aligned, token-capped pieces with character offsets into the text (ragkit.ingest.chunking).
    `breaks` are offsets where sections start: preferred cut points. `split_many` is `split` for
    many texts at once (one list of pieces per text, in order); ingest calls it."""

    def split(self, text: str, breaks: Sequence[int] = ()) -> list[TextPiece]: ...

    def split_many(self, texts: Sequence[str], breaks: Sequence[Sequence[int]] | None = None) -> list[list[TextPiece]]: ...


@runtime_checkable
class Embedder(Protocol):
    """Texts -> dense vectors (ragkit.models.embedders: local sentence-transformers, OpenAI-compatible).

    `embed` returns an (n, dim) float32 array of L2-normalised rows in input order ((0, dim) for no
    texts; a blank text still gets a finite vector). `name` identifies the model: an index records it
    and refuses vectors of another. `max_tokens` is the model's window in its own tokens and
    `count_tokens` counts in that tokenizer (untruncated), so the chunker can cap chunks at the
    window. `batch_invariant`: a text's vector does not depend on what it is batched with (to
    1e-5); when False, queries are embedded one per call so a query ranks the same alone or in a
    batch. `close()` releases the model or client; the next call loads it again.
    """

    name: str
    dim: int
    max_tokens: int
    batch_invariant: bool

    def embed(self, texts: Sequence[str]) -> np.ndarray: ...

    def count_tokens(self, texts: Sequence[str]) -> list[int]: ...

    def close(self) -> None: ...


@runtime_checkable
class SparseEncoder(Protocol):
    """Document and query sparse vectors (ragkit.index.BM25Encoder). The store applies IDF.

    Corpus statistics (BM25's average lengths) are fixed once per index: `fit` fixes from the first
    corpus only what is not fixed yet (later calls change nothing), `encode_documents` fixes it from
    its texts when nothing is fixed, `reset` forgets it (an index whose first write never
    committed), and `params()` is the JSON-able dict kept with the index so later runs encode alike.
    `context_words` > 0: the ingest pipeline passes each chunk's context passage (`context_windows`
    over its document's pieces: one [lo, hi) span per piece, holding it) as `contexts`. Query
    vectors need no statistics. `close()` drops caches; the encoder stays usable.
    """

    name: str
    context_words: int

    def fit(self, texts: Sequence[str], contexts: Iterable[str] | None = None) -> object: ...

    def reset(self, context_words: int | None = None) -> None: ...

    def params(self) -> dict[str, Any]: ...

    def encode_documents(self, texts: Sequence[str], contexts: Sequence[str] | None = None) -> list[SparseVector]: ...

    def context_windows(self, pieces: Sequence[str]) -> list[tuple[int, int]]: ...

    def encode_query(self, text: str) -> SparseVector: ...

    def close(self) -> None: ...


@runtime_checkable
class VectorStore(Protocol):
    """Qdrant-shaped store: named dense vector (cosine) + sparse `bm25` vector (IDF modifier) + payload.

    Backends: ragkit.index.EdgeStore, ragkit.index.QdrantStore (ragkit/index/base.py has each
    method's details). Filters are the dict spec of `ragkit.filters`; a field that is neither a chunk
    field nor a payload key of this index is a FilterError. Point ids are the chunks' UUID strings;
    upserting an id again overwrites it. Using an index that does not exist is a StoreError that
    says to run `ragkit ingest`; `ensure_collection` with another dim or embedder than the index's
    is an IndexMismatchError.

    Search: dense only, sparse only, or both (hybrid: `candidates` from each branch, fused). Dense
    scores are cosine similarities; sparse scores sum idf(t) * weight over shared terms, with
    idf = ln(1 + (N - n + 0.5) / (n + 0.5)); "rrf" sums 1 / (rrf_k + position) over the branches
    (0-based positions in each branch's list), "weighted" sums 1 / (rrf_k - 1 + (position + 1) / w)
    with w = (2 * dense_weight, 2 * (1 - dense_weight)) (Qdrant's weighted RRF; w = 1 is "rrf", w = 0
    adds nothing), "dbsf" sums each branch's scores mapped by (s - (mean - 3 sd)) / (6 sd), sample
    sd. Each branch lists `candidates` points (at least top_k). A sparse vector with no terms asks
    no sparse branch. Equal scores are ordered by chunk id, so results are reproducible.
    Each hit's `scores` holds its score under the fusion's (or the branch's) name, plus "dense" and
    "sparse" branch scores when `branch_scores`. `exact` forces brute-force dense search.
    `points()` is `count()` of the whole index (0 when there is none), cached until this process
    writes. `optimize()` compacts and indexes (True if anything changed) and keeps every point and
    result. `close()` releases the index (twice is harmless); a persistent store opens it again on
    the next call.
    """

    def ensure_collection(self, dim: int, embedder: str | None = None) -> None: ...

    def exists(self) -> bool: ...

    def upsert(self, chunks: Sequence[Chunk], dense: np.ndarray, sparse: Sequence[SparseVector]) -> None: ...

    def delete_ids(self, chunk_ids: Sequence[str]) -> None: ...

    def delete_where(self, filters: dict[str, Any]) -> int: ...  # how many points matched; {} is refused

    def count(self, filters: dict[str, Any] | None = None) -> int: ...

    def points(self) -> int: ...

    def ids_where(self, filters: dict[str, Any] | None = None) -> list[str]: ...

    def chunks_where(self, filters: dict[str, Any] | None = None, limit: int | None = None) -> list[Chunk]: ...

    def get(self, chunk_ids: Sequence[str]) -> list[Chunk]: ...  # those found, in the order asked

    def sources(self) -> list[str]: ...  # distinct, sorted

    def meta(self) -> dict[str, Any]: ...  # dim, embedder, payload_keys, and what update_meta merged in

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

    def optimize(self) -> bool: ...

    def flush(self) -> None: ...

    def close(self) -> None: ...


@runtime_checkable
class Reranker(Protocol):
    """Reorders first-stage candidates (ragkit.retrieve.rerank.CrossEncoderReranker).

    `rerank` returns at most `top_n` of the candidates (ValueError for top_n < 1), ranked 1..n
    with descending scores, each keeping its earlier `scores`. `available` is whether it can
    rerank (a model may load on first access); when False, `rerank` returns the first-stage order
    cut to top_n and `last_error` says why (None otherwise). `close()` releases the model; the
    next call loads it again.
    """

    available: bool
    last_error: str | None

    def rerank(self, query: str, candidates: Sequence[ScoredChunk], top_n: int) -> list[ScoredChunk]: ...

    def close(self) -> None: ...


@runtime_checkable
class CompletionStream(Protocol):
    """What `LLM.stream` returns: an iterator of `StreamDelta`s that can be abandoned. `close()`
    releases the connection and raises nothing; after any end `usage` holds the tokens used so far
    (None while the stream is open) and `partial_text` the text that arrived."""

    usage: Usage | None
    partial_text: str

    def __iter__(self) -> Iterator[StreamDelta]: ...

    def __next__(self) -> StreamDelta: ...

    def close(self) -> None: ...


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
               timeout_s: float | None = None) -> CompletionStream: ...

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
    """Exact response cache (ragkit.orchestrate.cache_exact.ExactCache), used by the gateway.

    `get_completion(key)` is the (completion, what it cost when made) stored under `key`, or None;
    lookups count `hits` and `misses`. `clear()` empties it; `close()` releases it and the next
    call opens it again."""

    hits: int
    misses: int

    def get_completion(self, key: str) -> tuple[Completion, float | None] | None: ...

    def set_completion(self, key: str, completion: Completion, cost_usd: float | None) -> None: ...

    def clear(self) -> None: ...

    def close(self) -> None: ...


@runtime_checkable
class AnswerCache(Protocol):
    """Semantic answer cache (ragkit.orchestrate.cache_semantic.SemanticCache), used by `ask`.

    `lookup` returns a `SemanticLookup` (hit, reason, similarity, completion, cost_usd,
    cached_question): a hit only for a question of the same meaning, asked on the same
    `index_version` with the same evidence (compared as a set of chunk ids) and naming the same
    numbers and names; a wrong cached answer is worse than a miss. `vector` is the question's
    embedding when the caller has it. `stats()` counts hits, misses and refusals."""

    def lookup(self, question: str, *, evidence_ids: Sequence[str], index_version: str,
               vector: np.ndarray | None = None) -> Any: ...

    def store(self, question: str, completion: Completion, *, evidence_ids: Sequence[str], index_version: str,
              cost_usd: float | None = None, vector: np.ndarray | None = None) -> str: ...

    def stats(self) -> dict[str, Any]: ...

    def clear(self) -> None: ...

    def close(self) -> None: ...
