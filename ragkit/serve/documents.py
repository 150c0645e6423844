"""The documents a key may see (GET /v1/documents) and deleting one (DELETE /v1/documents/{source}),
built from the manifest and the store. A document is visible to a key when its chunks match the
key's tenant filter; one outside it is "not found", never "forbidden" (its name is not confirmed)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from ragkit.filters import matches, parse_filter


def _visible(rag, chunk_ids: list[str], tenant_filter: dict | None) -> dict[str, Any] | None:
    """The payload of the document's first chunk when the key may see it, else None."""
    if not chunk_ids:
        return None
    found = rag.store.get(chunk_ids[:1])
    if not found:
        return None
    payload = found[0].payload()
    if tenant_filter is not None and not matches(parse_filter(tenant_filter), payload):
        return None
    return payload


def list_documents(rag, tenant_filter: dict | None, *, limit: int, offset: int) -> dict[str, Any]:
    manifest = rag.read_manifest()
    if not rag.store.exists():
        return {"documents": [], "total": 0}
    docs = []
    stored = manifest.ingested_at()
    for source, entry in sorted(manifest.all().items()):
        p = _visible(rag, list(entry.chunk_ids), tenant_filter)
        if p is None:
            continue
        docs.append({"source": source, "chunks": len(entry.chunk_ids), "content_hash": entry.hash,
                     "title": p.get("title"), "created": p.get("created"), "modified": p.get("modified"),
                     "ingested_at": _iso(stored.get(source))})
    return {"documents": docs[offset:offset + limit], "total": len(docs)}


def delete_document(rag, source: str, tenant_filter: dict | None, uploads_dir: Path) -> dict[str, Any] | None:
    """Runs on the writer thread. None when there is no such document for this key."""
    entry = rag.manifest.get(source)
    if entry is None or not rag.store.exists() or _visible(rag, list(entry.chunk_ids), tenant_filter) is None:
        return None
    deleted = rag.store.delete_where({"source": source})
    rag.manifest.remove([source])
    rag.manifest.bump_generation()  # caches keyed on the index version see the change
    rag.store.flush()
    file = Path(os.path.join(entry.root, entry.origin)) if os.path.isdir(entry.root) else Path(entry.root)
    upload = file.resolve().is_relative_to(uploads_dir.resolve())
    if upload and file.is_file():
        file.unlink()  # an uploaded copy would come back with the next upload job
    return {"source": source, "chunks_deleted": deleted, "file_removed": upload}


def _iso(ts: float | None) -> str | None:
    import datetime as dt

    return None if ts is None else dt.datetime.fromtimestamp(ts, dt.timezone.utc).isoformat(timespec="seconds")
