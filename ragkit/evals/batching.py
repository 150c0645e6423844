"""Asked questions embedded in batches: `RAG.ask` embeds its one question per call (a query alone
costs many times its share of a batch on a CPU), so the runner embeds a block of questions in one
call first and lets the retriever read their vectors back.

    with prefetched_queries(rag.retriever, questions) as batch:
        for q in questions:
            rag.ask(q)             # the retriever's embed([q]) is a lookup
    batch.per_query_s              # each question's share of the batch's embedding time

The vectors are the ones the retriever would have made (`embed_queries`: batch-invariant
embedders embed the block in one call, the others each query alone), so every answer is the one
asking alone gives. Any other text goes to the real embedder.
"""

from __future__ import annotations

import time
from contextlib import contextmanager
from typing import Any, Iterator, Sequence

import numpy as np

from ragkit.protocols import Embedder


class PrefetchedQueries:
    """An embedder that answers for the texts it was built with and delegates everything else."""

    def __init__(self, inner: Embedder, texts: Sequence[str]):
        from ragkit.retrieve.retriever import embed_queries

        self._inner = inner
        unique = list(dict.fromkeys(texts))
        t = time.perf_counter()
        vectors = np.asarray(embed_queries(inner, unique)) if unique else np.zeros((0, 0))
        self.seconds = time.perf_counter() - t
        self.queries = len(unique)
        self.per_query_s = self.seconds / len(unique) if unique else 0.0
        self._table = {q: vectors[i] for i, q in enumerate(unique)}
        self.hits = 0

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        texts = list(texts)
        if texts and all(t in self._table for t in texts):
            self.hits += len(texts)
            return np.stack([self._table[t] for t in texts]).copy()
        return self._inner.embed(texts)

    # the rest of the Embedder protocol, as the real embedder has it
    @property
    def name(self) -> str:
        return self._inner.name

    @property
    def dim(self) -> int:
        return self._inner.dim

    @property
    def max_tokens(self) -> int:
        return self._inner.max_tokens

    @property
    def batch_invariant(self) -> bool:
        return self._inner.batch_invariant

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        return self._inner.count_tokens(texts)

    def close(self) -> None:  # the real embedder belongs to the retriever: it closes it
        pass


@contextmanager
def prefetched_queries(retriever: Any, texts: Sequence[str]) -> Iterator[PrefetchedQueries]:
    """The retriever embeds `texts` from one batched call while the block runs."""
    inner = retriever.embedder
    batch = PrefetchedQueries(inner, texts)
    retriever.embedder = batch
    try:
        yield batch
    finally:
        retriever.embedder = inner


def embed_alone_seconds(embedder: Any, texts: Sequence[str]) -> list[float]:
    """Seconds to embed each text in a call of its own (what a question asked alone waits)."""
    out = []
    for t in texts:
        t0 = time.perf_counter()
        embedder.embed([t])
        out.append(time.perf_counter() - t0)
    return out
