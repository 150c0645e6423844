"""Incremental, idempotent, crash-safe ingest: files -> documents -> chunks -> vectors -> store.

Per run, under the index's write lock:
  1. recover: documents journalled as pending by a crashed run are rolled back to their last
     committed version (their partial new chunks are deleted), so the run starts from a state a
     clean run could have left;
  2. plan: walk each root, hash every file (unchanged ones are skipped without parsing), load and
     chunk the new and changed ones (chunked `chunk_group` documents at a time, token counts
     batched; a document whose chunking fails is chunked alone and fails alone); sources gone from
     the root are marked for removal. Each planned document's index texts go to an `EmbedAhead`,
     whose worker thread embeds them while planning and writing go on (see overlap.py);
  3. write: journal the documents about to change, then BM25-encode + upsert their chunks in
     batches (each batch's dense vectors taken from the EmbedAhead, the next batches BM25-encoded
     while they are computed); when all chunks of a document are in, its older version is deleted
     and the new hash committed to the manifest in one transaction;
  4. remove what disappeared, bump the index generation if anything changed.
A crash at any point leaves every document's previous version searchable; the next run
converges to the index a clean run would build (chunk ids are deterministic, deletes are by
source and hash, so nothing is duplicated).
"""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from ragkit.errors import IngestError, RagkitError
from ragkit.ingest.chunking.document import INDEX_TEXT_SCHEME, chunk_document, chunk_documents, context_texts
from ragkit.ingest.chunking.document import index_texts
from ragkit.ingest.loaders.base import loader_fingerprint, loader_for, with_settings
from ragkit.ingest.manifest import DocEntry, Manifest
from ragkit.ingest.overlap import EMBED_WINDOW, EmbedAhead
from ragkit.ingest.plan import Plan as _Plan, PlannedDoc as _Doc, failure_reason as _reason, fault_point, file_sha256
from ragkit.ingest.sources import entry_file, unique_source
from ragkit.ingest.walker import Unlisted, walk
from ragkit.protocols import Embedder, SparseEncoder, VectorStore
from ragkit.types import Chunk, Document, IngestReport

Progress = Callable[[str, int], None]  # (event, amount): "files", "chunks", "total_chunks"


class Ingestor:
    """Wires loader, chunker, embedder, sparse encoder, store and manifest. Built by `rag.py`."""

    embed_ahead = True  # embed on a worker thread while planning and writing (False: on this thread)
    embed_window = EMBED_WINDOW  # texts per embed call (each window is sorted by length as a whole)
    chunk_group = 32  # documents chunked together (token counts and cohesion batched)
    write_lookahead = 4  # write batches BM25-encoded ahead while dense vectors are computed

    def __init__(self, cfg, store: VectorStore, embedder: Embedder, sparse: SparseEncoder, manifest: Manifest,
                 chunker_factory, load_path, chunk_document):
        self.cfg = cfg
        self.store = store
        self.embedder = embedder
        self.sparse = sparse
        self.manifest = manifest
        self._chunker_factory = chunker_factory
        self._chunker = None
        self._load_path = load_path
        self._chunk_document = chunk_document
        self._loaders = None  # built on first use from ingest.loaders (ragkit/ingest/loaders/registry.py)
        # seconds per stage: load, chunk, index_text, sparse, store, manifest, embed_wait (this thread);
        # embed is the worker's time in embed calls, overlapping the others
        self.stage_seconds: dict[str, float] = {}

    def _clock(self, stage: str, since: float) -> float:
        now = time.perf_counter()
        self.stage_seconds[stage] = self.stage_seconds.get(stage, 0.0) + (now - since)
        return now

    # ---- public --------------------------------------------------------------------------------
    def ingest(self, paths: Sequence[str | Path], progress: Progress | None = None) -> IngestReport:
        t0 = time.perf_counter()
        progress = progress or (lambda event, n: None)
        counts = dict(added=0, updated=0, unchanged=0, removed=0, failed=0, chunks_added=0, chunks_removed=0, embedded=0)
        failures: list[tuple[str, str]] = []
        renamed: list[tuple[str, str]] = []
        self._recover()
        changed = False
        for raw in paths:
            root = Path(raw).expanduser()
            if not root.exists():
                failures.append((str(raw), "path does not exist"))
                counts["failed"] += 1
                continue
            plan = self._plan(root.resolve(), progress)
            counts["unchanged"] += plan.unchanged
            failures.extend(plan.failures)
            renamed.extend(plan.renamed)
            counts["failed"] += plan.failed
            try:
                embedded = self._write(plan, progress)
            finally:
                plan.close()
            counts["embedded"] += embedded
            for d in plan.write:
                counts["updated" if d.update else "added"] += 1
                counts["chunks_added"] += len(d.chunks)
                counts["chunks_removed"] += d.old_chunks
            removed, removed_chunks = self._remove_missing(plan)
            counts["removed"] += removed
            counts["chunks_removed"] += removed_chunks
            changed = changed or bool(plan.write) or bool(removed)
        if changed:
            t = time.perf_counter()
            self.store.optimize()  # vacuum deleted points (exact BM25 IDF again), build HNSW when big
            self._clock("optimize", t)
            self.manifest.bump_generation()
        self.store.flush()
        return IngestReport(**counts, seconds=time.perf_counter() - t0, failures=tuple(failures), renamed=tuple(renamed))

    # ---- 1. recover ----------------------------------------------------------------------------
    def _recover(self) -> None:
        for source, (_new_hash, _root) in self.manifest.pending().items():
            entry = self.manifest.get(source)
            if entry is None:
                self.store.delete_where({"source": source})
            else:
                self.store.delete_where({"source": source, "not": {"content_hash": entry.hash}})
            self.manifest.clear_pending(source)

    # ---- 2. plan -------------------------------------------------------------------------------
    def _plan(self, root: Path, progress: Progress) -> _Plan:
        plan = _Plan(root=str(root))
        known = self.manifest.all(str(root))
        try:
            self._walk(plan, root, known, progress)
            self._chunk_pending(plan)
        except BaseException:
            plan.close()
            raise
        return plan

    def _walk(self, plan: _Plan, root: Path, known: dict[str, DocEntry], progress: Progress) -> None:
        by_origin: dict[str, list[DocEntry]] = {}  # a file's entries: one, or a message and its attachments
        for e in known.values():
            by_origin.setdefault(e.origin, []).append(e)
        base = root if root.is_dir() else root.parent
        max_bytes = int(self.cfg.ingest.max_file_mb * 1024 * 1024)
        ing = self.cfg.ingest
        loaders = self._get_loaders(max_bytes)
        for found in walk(root, ing.include, ing.exclude, follow_external_links=ing.follow_external_links):
            if isinstance(found, Unlisted):
                plan.kept_folders.append(found.source)
                self._fail(plan, (found.source or ".") + "/", found.reason)
                continue
            progress("files", 1)
            origin = found.source
            if found.refused:
                self._fail(plan, origin, found.refused)
                continue
            is_corpus = found.path.suffix.lower() == ".jsonl"
            if not is_corpus:
                entries = by_origin.get(origin, [])
                if entries:
                    plan.seen.update(e.source for e in entries)
                    try:
                        # a loader's non-default settings are part of its documents' hashes (with_settings)
                        fingerprint = loader_fingerprint(loader_for(found.path, loaders))
                        if found.path.stat().st_size <= max_bytes and \
                                with_settings(file_sha256(found.path), fingerprint) in {e.hash for e in entries}:
                            plan.unchanged += 1
                            continue
                    except OSError:
                        pass  # the loader reports it properly
            try:
                t = time.perf_counter()
                for doc in self._load_path(found.path, base, max_bytes, loaders=loaders):
                    t = self._clock("load", t)
                    self._plan_doc(plan, known, doc, origin)
                    t = time.perf_counter()
            except (OSError, ValueError, RagkitError) as exc:
                self._fail(plan, origin, _reason(exc))

    def _plan_doc(self, plan: _Plan, known: dict[str, DocEntry], doc: Document, origin: str) -> None:
        if doc.metadata.get("error"):  # a corpus line that could not be parsed
            # which stored document the line held is unknown: all of this file's are kept
            plan.failed_origins.add(origin)
            plan.failed += 1
            plan.failures.append((f"{origin}:{doc.metadata.get('line', '?')}", str(doc.metadata["error"])))
            return
        source = unique_source(doc.source, plan.root, origin, self.manifest.get, plan.claimed)
        plan.claimed[source] = entry_file(plan.root, origin)
        if source != doc.source:
            doc = dataclasses.replace(doc, source=source)
            plan.renamed.append((plan.claimed[source], source))
        plan.seen.add(doc.source)
        entry = known.get(doc.source) or self.manifest.get(doc.source)
        if entry is not None and entry.hash == doc.content_hash:
            plan.unchanged += 1
            return
        plan.pending.append((doc, origin, entry))
        if len(plan.pending) >= max(1, self.chunk_group):
            self._chunk_pending(plan)

    def _chunk_pending(self, plan: _Plan) -> None:
        """Chunk the pending documents together (the same chunks as one at a time, token counts
        batched); if that fails, each alone, so a document that cannot be chunked fails alone."""
        group, plan.pending = plan.pending, []
        if not group:
            return
        t = time.perf_counter()
        try:
            chunker = self._get_chunker()
        except (OSError, ValueError, RagkitError) as exc:  # e.g. a window too small: no document can be chunked
            return self._fail_group(plan, group, exc)
        results: list[list[Chunk]] | list[list[Chunk] | None] | None = None
        if self._chunk_document is chunk_document and len(group) > 1:  # not a caller's own chunk_document
            try:
                results = chunk_documents([doc for doc, _, _ in group], chunker)
            except (OSError, ValueError, RagkitError):
                results = None
        if results is None:
            results = [self._chunk_alone(plan, doc, origin, chunker) for doc, origin, _ in group]
        t = self._clock("chunk", t)
        planned: list[_Doc] = []
        for (doc, origin, entry), chunks in zip(group, results):
            if chunks is None:
                continue
            if not chunks:
                self._fail(plan, origin, "no text to index after loading")
                continue
            old = len(entry.chunk_ids) if entry is not None else 0
            planned.append(_Doc(doc, plan.root, origin, chunks, update=entry is not None, old_chunks=old))
        chunks = [c for d in planned for c in d.chunks]
        try:
            texts = self._index_texts(chunks) if chunks else []
        except (OSError, ValueError, RagkitError) as exc:
            return self._fail_group(plan, [(d.doc, d.origin, None) for d in planned], exc)
        plan.texts.update(zip((c.chunk_id for c in chunks), texts))
        plan.write.extend(planned)
        t = self._clock("index_text", t)
        if texts:
            if plan.ahead is None:
                plan.ahead = EmbedAhead(self.embedder, window=self.embed_window, threaded=self.embed_ahead)
            plan.ahead.add(texts)

    def _chunk_alone(self, plan: _Plan, doc: Document, origin: str, chunker) -> list[Chunk] | None:
        try:
            return self._chunk_document(doc, chunker)
        except (OSError, ValueError, RagkitError) as exc:
            self._fail(plan, origin, _reason(exc))
            return None

    def _fail_group(self, plan: _Plan, group, exc: Exception) -> None:
        """A failure that is no single document's: each file of the group fails once."""
        for origin in dict.fromkeys(origin for _, origin, _ in group):
            if origin not in plan.failed_origins:
                self._fail(plan, origin, _reason(exc))

    def _fail(self, plan: _Plan, origin: str, reason: str) -> None:
        plan.failed_origins.add(origin)
        plan.failed += 1
        plan.failures.append((origin, reason))

    def _get_loaders(self, max_bytes: int):
        if self._loaders is None:
            from ragkit.ingest.loaders.registry import default_loaders

            self._loaders = default_loaders(max_record_bytes=max_bytes, options=self.cfg.ingest.loaders)
        return self._loaders

    def _get_chunker(self):
        if self._chunker is None:
            self._chunker = self._chunker_factory()
        return self._chunker

    # ---- 3. write ------------------------------------------------------------------------------
    def _write(self, plan: _Plan, progress: Progress) -> int:
        if not plan.write:
            return 0
        assert plan.ahead is not None  # every planned document added its texts
        ahead = plan.ahead
        chunks = [c for d in plan.write for c in d.chunks]
        self._texts = plan.texts  # what each chunk is embedded and BM25-indexed by
        self._contexts: dict[str, str] = {}  # BM25 context passages of the documents in flight
        self._ensure_index(plan.write)
        self.manifest.begin_writes((d.doc.source, d.doc.content_hash, d.root) for d in plan.write)
        fault_point("after_journal")
        ahead.finish()
        remaining = {d.doc.source: len(d.chunks) for d in plan.write}
        by_source = {d.doc.source: d for d in plan.write}
        progress("total_chunks", sum(remaining.values()))
        size = max(1, self.cfg.ingest.batch_size)
        batches = [chunks[i : i + size] for i in range(0, len(chunks), size)]
        prepared: dict[int, tuple[list[str], list]] = {}
        nxt = 0
        for i, batch in enumerate(batches):
            # BM25-encode this batch, and the next ones while its dense vectors are still computed
            while nxt < len(batches) and (nxt <= i or (nxt <= i + self.write_lookahead
                                                       and not ahead.ready(prepared[i][0]))):
                prepared[nxt] = self._prepare(batches[nxt], by_source)
                nxt += 1
            texts, sparse = prepared.pop(i)
            t = time.perf_counter()
            dense = ahead.take(texts)
            self._clock("embed_wait", t)
            self._store_batch(batch, dense, sparse, remaining, by_source, progress)
        self.stage_seconds["embed"] = self.stage_seconds.get("embed", 0.0) + ahead.seconds
        return ahead.embedded

    def _prepare(self, batch: list[Chunk], by_source) -> tuple[list[str], list]:
        t = time.perf_counter()
        texts = [self._texts[c.chunk_id] for c in batch]
        contexts = self._batch_contexts(batch, by_source) if self.sparse.context_words else None
        sparse = self.sparse.encode_documents(texts, contexts)
        self._clock("sparse", t)
        return texts, sparse

    def _store_batch(self, batch: list[Chunk], dense: np.ndarray, sparse, remaining, by_source,
                     progress: Progress) -> None:
        t = time.perf_counter()
        self.store.upsert(batch, dense, sparse)
        t = self._clock("store", t)
        fault_point("after_upsert")
        progress("chunks", len(batch))
        done: list[_Doc] = []
        for c in batch:
            remaining[c.source] -= 1
            if remaining[c.source] == 0:
                done.append(by_source[c.source])
        for d in done:
            if d.update:  # the older version (and any orphan of a crashed run) goes now
                self.store.delete_where({"source": d.doc.source, "not": {"content_hash": d.doc.content_hash}})
                fault_point("after_delete_old")
        t = self._clock("store", t)
        if done:
            self.manifest.commit_docs(
                DocEntry(d.doc.source, d.root, d.origin, d.doc.content_hash, tuple(c.chunk_id for c in d.chunks))
                for d in done
            )
            fault_point("after_commit")
        self._clock("manifest", t)

    def _index_texts(self, chunks: Sequence[Chunk]) -> list[str]:
        """What each chunk is embedded and BM25-indexed by (`index_texts`): headed by its title
        where that still fits the embedder's window."""
        return index_texts(chunks, self.embedder.count_tokens, self.embedder.max_tokens)

    def _doc_contexts(self, d: _Doc) -> list[str]:
        """The BM25 context passage of each chunk of one document (`BM25Encoder.context_windows`)."""
        return context_texts(d.doc, d.chunks, self.sparse.context_windows([c.text for c in d.chunks]))

    def _batch_contexts(self, batch: list[Chunk], by_source) -> list[str]:
        """Context passages of a batch's chunks, worked out per document as its first chunk comes
        and dropped as each chunk is encoded (each chunk is written once a run)."""
        for c in batch:
            if c.chunk_id not in self._contexts:
                d = by_source[c.source]
                self._contexts.update(zip((x.chunk_id for x in d.chunks), self._doc_contexts(d)))
        return [self._contexts.pop(c.chunk_id) for c in batch]

    def _ensure_index(self, docs: Sequence[_Doc]) -> None:
        """Create the collection on first use (the store refuses a different embedder or dim), and fix
        BM25's average document (and context passage) length from this first batch of documents,
        kept with the index."""
        self.store.ensure_collection(self.embedder.dim, embedder=self.embedder.name)
        meta = self.store.meta()
        if meta.get("index_text") != INDEX_TEXT_SCHEME:
            if self.store.count() > 0:
                raise IngestError(
                    str(self.cfg.index_path),
                    f"this index was built with another indexing scheme ({meta.get('index_text') or 'chunk text only'};"
                    f" this ragkit embeds {INDEX_TEXT_SCHEME!r}): its vectors would not match new ones. Delete the"
                    " index folder and ingest again to rebuild it",
                )
            self.store.update_meta({"index_text": INDEX_TEXT_SCHEME})
        if "bm25" in meta and self.manifest.count() == 0 and self.store.count() == 0:
            # statistics fixed by a first write that never committed a document (killed): they
            # describe no stored chunk, so this corpus fixes them afresh
            self.sparse.reset(context_words=self.cfg.ingest.bm25_context_words)
            meta = {k: v for k, v in meta.items() if k != "bm25"}
        if "bm25" not in meta:  # fit fixes only what is not fixed yet; the generator runs only then
            contexts = (c for d in docs for c in self._doc_contexts(d)) if self.sparse.context_words else None
            self.sparse.fit(list(self._texts.values()), contexts)
            self.store.update_meta({"bm25": self.sparse.params()})

    # ---- 4. remove -----------------------------------------------------------------------------
    def _remove_missing(self, plan: _Plan) -> tuple[int, int]:
        if not self.cfg.ingest.delete_missing:
            return 0, 0
        def kept(e: DocEntry) -> bool:  # failed or unlisted: its previous version stays
            return e.origin in plan.failed_origins or any(
                f == "" or e.origin.startswith(f + "/") for f in plan.kept_folders
            )

        gone = [e for s, e in self.manifest.all(plan.root).items() if s not in plan.seen and not kept(e)]
        for e in gone:
            self.store.delete_where({"source": e.source})
            fault_point("after_remove")
        self.manifest.remove(e.source for e in gone)
        return len(gone), sum(len(e.chunk_ids) for e in gone)

