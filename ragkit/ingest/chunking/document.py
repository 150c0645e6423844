"""chunk_document: a Document's text pieces as Chunks with stable ids and the document's metadata."""

from __future__ import annotations

import uuid
from typing import Sequence

from ragkit.ingest.loaders.base import PAGE_METADATA
from ragkit.protocols import Chunker
from ragkit.types import Chunk, Document, TextPiece

# Chunk ids are uuid5(CHUNK_NAMESPACE, "source|content_hash|index"): stable across runs.
CHUNK_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "ragkit:chunk")


def chunk_id(source: str, content_hash: str, index: int) -> str:
    return str(uuid.uuid5(CHUNK_NAMESPACE, f"{source}|{content_hash}|{index}"))


def section_breaks(doc: Document) -> list[int]:
    """Offsets where the document's sections start: preferred cut points for the chunker."""
    return [s.start for s in doc.sections if s.start > 0]


def chunk_document(doc: Document, chunker: Chunker) -> list[Chunk]:
    """Split one document and attach ids, page, section, title, dates and the content hash."""
    return to_chunks(doc, chunker.split(doc.text, section_breaks(doc)))


def chunk_documents(docs: Sequence[Document], chunker: Chunker) -> list[list[Chunk]]:
    """`chunk_document` for many documents, counting tokens in batches (much faster for many
    small documents, e.g. a JSONL corpus)."""
    pieces = chunker.split_many([d.text for d in docs], [section_breaks(d) for d in docs])
    return [to_chunks(d, p) for d, p in zip(docs, pieces)]


def page_metadata(doc: Document, start: int, end: int) -> dict:
    """The document's metadata for the chunk [start, end): per-page metadata (PAGE_METADATA) of
    the pages it covers merged in (numbers: the lowest, e.g. the worst OCR confidence; flags: any)."""
    per_page = doc.metadata.get(PAGE_METADATA)
    meta = {k: v for k, v in doc.metadata.items() if k != PAGE_METADATA}
    if not per_page:
        return meta
    for span in doc.pages:
        if span.start < end and start < span.end or span.start == start:
            for key, value in (per_page.get(str(span.label)) or {}).items():
                old = meta.get(key)
                if old is None or isinstance(value, bool):
                    meta[key] = value if old is None else (old or value)
                else:
                    meta[key] = min(old, value)
    return meta


def to_chunks(doc: Document, pieces: Sequence[TextPiece]) -> list[Chunk]:
    return [
        Chunk(
            chunk_id=chunk_id(doc.source, doc.content_hash, i),
            source=doc.source,
            text=p.text,
            start=p.start,
            end=p.end,
            index=i,
            content_hash=doc.content_hash,
            title=doc.title,
            page=doc.page_at(p.start),
            section=doc.section_at(p.start),
            created=doc.created,
            modified=doc.modified,
            metadata=page_metadata(doc, p.start, p.end),
        )
        for i, p in enumerate(pieces)
    ]


# recorded in the index metadata: an index built by another scheme is refused, not mixed
INDEX_TEXT_SCHEME = "title-header-v1"


def index_text(chunk: Chunk) -> str:
    """The text a chunk is embedded and BM25-indexed by: its own text, headed by its document's
    title when the chunk does not already start with it (a later chunk of a document otherwise
    loses its subject; on SciFact it lifts DBSF hybrid nDCG@10 from 0.717 to 0.724). The stored chunk
    text, its offsets and its citations are unchanged."""
    return _headed(chunk.title, chunk.text)


def _headed(title: str | None, text: str) -> str:
    title = (title or "").strip()
    if not title or text.lstrip().startswith(title):
        return text
    return f"{title}\n{text}"


def context_texts(doc: Document, chunks: Sequence[Chunk], spans: Sequence[tuple[int, int]]) -> list[str]:
    """Each chunk's context passage for BM25: the document's text from the start of chunk `lo` to
    the end of chunk `hi - 1` of its span (overlapping chunks are not repeated), headed by the
    title as `index_text` heads a chunk."""
    return [_headed(doc.title, doc.text[chunks[lo].start:chunks[hi - 1].end]) for lo, hi in spans]


def index_texts(chunks: Sequence[Chunk], count_tokens=None, window: int | None = None) -> list[str]:
    """`index_text` for each chunk, keeping the plain text where the title would push it past the
    embedder's window (`count_tokens` counts in the embedder's own tokenizer)."""
    texts = [index_text(c) for c in chunks]
    if count_tokens is None or window is None:
        return texts
    headed = [i for i, (t, c) in enumerate(zip(texts, chunks)) if t is not c.text]
    if headed:
        for i, n in zip(headed, count_tokens([texts[i] for i in headed])):
            if n > window:
                texts[i] = chunks[i].text
    return texts
