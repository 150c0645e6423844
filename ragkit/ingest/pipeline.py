"""Incremental, idempotent, crash-safe ingest: files -> documents -> chunks -> vectors -> store.

Per run, under the index's write lock:
  1. recover: documents journalled as pending by a crashed run are rolled back to their last
     committed version (their partial new chunks are deleted), so the run starts from a state a
     clean run could have left;
  2. plan: walk each root, hash every file (unchanged ones are skipped without parsing), load and
     chunk the new and changed ones; sources gone from the root are marked for removal;
  3. write: journal the documents about to change, then embed + BM25-encode + upsert their chunks
     in batches; when all chunks of a document are in, its older version is deleted and the new
     hash committed to the manifest in one transaction;
  4. remove what disappeared, bump the index generation if anything changed.
A crash at any point leaves every document's previous version searchable; the next run
converges to the index a clean run would build (chunk ids are deterministic, deletes are by
source and hash, so nothing is duplicated).
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import signal
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from ragkit.errors import IngestError, LoaderError, RagkitError
from ragkit.ingest.chunking.document import INDEX_TEXT_SCHEME, context_texts, index_texts
from ragkit.ingest.loaders.base import loader_fingerprint, loader_for, with_settings
from ragkit.ingest.manifest import DocEntry, Manifest
from ragkit.ingest.sources import entry_file, unique_source
from ragkit.ingest.walker import Unlisted, walk
from ragkit.protocols import Embedder, SparseEncoder, VectorStore
from ragkit.types import Chunk, Document, IngestReport

Progress = Callable[[str, int], None]  # (event, amount): "files", "chunks", "total_chunks"


@dataclass
class _Doc:
    doc: Document
    root: str
    origin: str
    chunks: list[Chunk]
    update: bool  # an older version is in the index
    old_chunks: int = 0  # how many points the older version had


@dataclass
class _Plan:
    root: str
    write: list[_Doc] = field(default_factory=list)
    unchanged: int = 0
    seen: set[str] = field(default_factory=set)  # sources found in this run (kept from removal)
    failed_origins: set[str] = field(default_factory=set)  # files whose documents are all kept
    kept_folders: list[str] = field(default_factory=list)  # folders that could not be listed
    failures: list[tuple[str, str]] = field(default_factory=list)
    failed: int = 0  # files and corpus lines that failed
    claimed: dict[str, str] = field(default_factory=dict)  # source -> file, planned in this run
    renamed: list[tuple[str, str]] = field(default_factory=list)  # (file, source it is stored as)


def fault_point(name: str) -> None:
    """Fault injection for the crash tests: RAGKIT_FAULT=name[:n] SIGKILLs this process the n-th
    time (default 1st) execution reaches the named point. Unset, it costs one dict lookup."""
    spec = os.environ.get("RAGKIT_FAULT")
    if not spec:
        return
    target, _, nth = spec.partition(":")
    if target != name:
        return
    seen = int(os.environ.get("RAGKIT_FAULT_SEEN", "0")) + 1
    os.environ["RAGKIT_FAULT_SEEN"] = str(seen)
    if seen >= int(nth or 1):
        os.kill(os.getpid(), signal.SIGKILL)


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


class Ingestor:
    """Wires loader, chunker, embedder, sparse encoder, store and manifest. Built by `rag.py`."""

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
        self.stage_seconds: dict[str, float] = {}  # load, chunk, embed, sparse, store, manifest

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
            embedded = self._write(plan, progress)
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
            except LoaderError as exc:
                self._fail(plan, origin, exc.reason)
            except IngestError as exc:
                self._fail(plan, origin, exc.reason)
            except (OSError, ValueError, RagkitError) as exc:
                self._fail(plan, origin, f"{type(exc).__name__}: {exc}")
        return plan

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
        t = time.perf_counter()
        chunks = self._chunk_document(doc, self._get_chunker())
        self._clock("chunk", t)
        if not chunks:
            self._fail(plan, origin, "no text to index after loading")
            return
        old = len(entry.chunk_ids) if entry is not None else 0
        plan.write.append(_Doc(doc, plan.root, origin, chunks, update=entry is not None, old_chunks=old))

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
        chunks = [c for d in plan.write for c in d.chunks]
        # what each chunk is embedded and BM25-indexed by, worked out once for the whole run
        self._texts = dict(zip((c.chunk_id for c in chunks), self._index_texts(chunks)))
        self._contexts: dict[str, str] = {}  # BM25 context passages of the documents in flight
        self._ensure_index(plan.write)
        self.manifest.begin_writes((d.doc.source, d.doc.content_hash, d.root) for d in plan.write)
        fault_point("after_journal")
        remaining = {d.doc.source: len(d.chunks) for d in plan.write}
        by_source = {d.doc.source: d for d in plan.write}
        progress("total_chunks", sum(remaining.values()))
        # vectors of texts that occur more than once in this run, kept across batches
        self._shared_vectors: dict[str, np.ndarray] = {}
        self._repeated = {t for t, n in Counter(self._texts.values()).items() if n > 1}
        embedded = 0
        batch: list[Chunk] = []
        batch_size = max(1, self.cfg.ingest.batch_size)
        for d in plan.write:
            for chunk in d.chunks:
                batch.append(chunk)
                if len(batch) >= batch_size:
                    embedded += self._flush_batch(batch, remaining, by_source, progress)
                    batch = []
        if batch:
            embedded += self._flush_batch(batch, remaining, by_source, progress)
        return embedded

    def _flush_batch(self, batch: list[Chunk], remaining, by_source, progress: Progress) -> int:
        t = time.perf_counter()
        texts = [self._texts[c.chunk_id] for c in batch]
        dense, n_embedded = self._embed_unique(texts)
        t = self._clock("embed", t)
        contexts = self._batch_contexts(batch, by_source) if self.sparse.context_words else None
        sparse = self.sparse.encode_documents(texts, contexts)
        t = self._clock("sparse", t)
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
        return n_embedded

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

    def _embed_unique(self, texts: list[str]) -> tuple[np.ndarray, int]:
        """Embed each distinct text once per run (identical content under two paths costs one
        embedding, even when the copies fall in different batches)."""
        shared = self._shared_vectors
        index: dict[str, int] = {}
        for t in texts:
            if t not in shared:
                index.setdefault(t, len(index))
        todo = list(index)
        vecs = self.embedder.embed(todo) if todo else np.zeros((0, self.embedder.dim), dtype=np.float32)
        for t, i in index.items():
            if t in self._repeated:
                shared[t] = vecs[i]
        out = np.stack([shared[t] if t in shared else vecs[index[t]] for t in texts])
        return out.astype(np.float32, copy=False), len(todo)

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

