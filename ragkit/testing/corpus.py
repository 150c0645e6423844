"""A small hand-built corpus for store tests: eight chunks with payload fields of every kind.

Dense vectors come from whichever `Embedder` the caller passes, sparse ones from a
`SparseEncoder` (ragkit's BM25 by default). Filter cases count on these rows (filter_cases.py).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

import numpy as np

from ragkit.protocols import Embedder, SparseEncoder
from ragkit.types import Chunk, SparseVector

# (source, page, section, created, modified, lang, text)
ROWS = [
    ("guides/install.md", 1, "Install", "2024-01-15", "2024-06-01T10:00:00Z", "en",
     "Install ragkit with pip, then run ragkit ingest on your documents folder."),
    ("guides/install.md", 2, "Upgrade", "2024-01-15", "2024-06-01T10:00:00Z", "en",
     "To upgrade, reinstall the package; the index format is kept between minor versions."),
    ("guides/query.md", 1, "Search", "2024-03-02", "2024-03-02", "en",
     "Hybrid search fuses dense embeddings with BM25 keyword scores by reciprocal rank fusion."),
    ("guides/query.md", 3, "Filters", "2024-03-02", "2024-09-30", "en",
     "Filters restrict a search to sources, sections, pages or date ranges."),
    ("papers/cats.pdf", 4, "Results", "2023-05-20", "2023-05-20", "en",
     "Domestic cats sleep for most of the day and hunt small rodents at dusk."),
    ("papers/cats.pdf", 5, None, "2023-05-20", "2023-05-20", "en",
     "The feline circadian rhythm peaks around twilight, when prey animals are active."),
    ("notes/astronomy.txt", None, "Planets", "2025-02-10", "2025-02-11", "de",
     "Jupiter is the largest planet of the solar system, a gas giant with dozens of moons."),
    ("notes/cooking.txt", None, "Bread", None, None, None,
     "Sourdough bread rises slowly because wild yeast ferments the flour overnight."),
]
PAYLOAD_KEYS = frozenset({"lang", "stars"})  # the metadata keys beyond the chunk fields


def make_chunks() -> list[Chunk]:
    chunks = []
    for i, (source, page, section, created, modified, lang, text) in enumerate(ROWS):
        meta = {} if lang is None else {"lang": lang, "stars": i % 3}
        chunks.append(Chunk(
            chunk_id=str(uuid.uuid5(uuid.NAMESPACE_URL, f"{source}#{i}")), source=source, text=text,
            start=0, end=len(text), index=i, content_hash=f"hash-{source}", title=source.split("/")[-1],
            page=page, section=section, created=created, modified=modified, metadata=meta,
        ))
    return chunks


@dataclass
class Corpus:
    chunks: list[Chunk]
    dense: np.ndarray
    sparse: list[SparseVector]
    encoder: SparseEncoder
    embedder: Embedder
    _dense_cache: dict = field(default_factory=dict)

    @property
    def dim(self) -> int:
        return int(self.dense.shape[1])

    @property
    def ids(self) -> list[str]:
        return [c.chunk_id for c in self.chunks]

    def query(self, text: str) -> tuple[np.ndarray, SparseVector]:
        """The dense and sparse query vectors of `text` (each text embedded once)."""
        if text not in self._dense_cache:
            self._dense_cache[text] = self.embedder.embed([text])[0]
        return self._dense_cache[text], self.encoder.encode_query(text)

    def by_text(self, start: str) -> Chunk:
        return next(c for c in self.chunks if c.text.startswith(start))


def make_corpus(embedder: Embedder, encoder: SparseEncoder | None = None) -> Corpus:
    """The corpus embedded by `embedder` and encoded by `encoder` (a fresh BM25Encoder if None)."""
    if encoder is None:
        from ragkit.index.sparse import BM25Encoder

        encoder = BM25Encoder()
    chunks = make_chunks()
    texts = [c.text for c in chunks]
    return Corpus(chunks, np.asarray(embedder.embed(texts), dtype=np.float32), encoder.encode_documents(texts),
                  encoder, embedder)
