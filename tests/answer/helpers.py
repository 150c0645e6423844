"""Builders for hand-made answer-layer inputs."""

from __future__ import annotations

from collections import Counter

from ragkit.answer.verify import verify_answer
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


def flagging_confusion(cases, chunks, embed=None):
    """Precision and recall of flagging over planted cases (prints the confusion counts)."""
    counts = Counter()
    misses = []
    for case in cases:
        v = verify_answer(case["answer"], chunks, embed=embed, min_support=0.5)
        flagged = not v.all_verified
        key = ("t" if flagged == case["flagged"] else "f") + ("p" if flagged else "n")
        counts[key] += 1
        if flagged != case["flagged"]:
            misses.append((case["id"], [c.support for c in v.citations]))
    tp, fp, fn, tn = counts["tp"], counts["fp"], counts["fn"], counts["tn"]
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    print(f"\nplanted citations (embed={'yes' if embed else 'no'}): tp={tp} fp={fp} fn={fn} tn={tn} "
          f"precision={precision:.3f} recall={recall:.3f} misses={misses}")
    return precision, recall, counts
