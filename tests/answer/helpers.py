"""Builders for hand-made answer-layer inputs."""

from __future__ import annotations

from ragkit.types import Chunk, ScoredChunk


def make_chunk(text: str, source: str = "doc.txt", *, page: int | None = None, title: str | None = None,
               start: int = 0, chunk_id: str | None = None, **metadata) -> Chunk:
    return Chunk(
        chunk_id=chunk_id or f"{source}#{page}#{start}",
        source=source, text=text, start=start, end=start + len(text), index=0, content_hash="h",
        title=title, page=page, metadata=metadata,
    )


def scored(chunks, **scores_by_key) -> list[ScoredChunk]:
    """ScoredChunks in the given order, rank 1.., score descending; extra per-stage scores as lists."""
    out = []
    for i, c in enumerate(chunks):
        extra = {k: float(v[i]) for k, v in scores_by_key.items()}
        out.append(ScoredChunk(c, float(len(chunks) - i), i + 1, extra))
    return out
