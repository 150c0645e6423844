"""The stores a `StoreConformance` test works on: made by the subclass's `make_store`, cleaned up after.

Plain xunit-style setup and teardown (pytest calls them), so nothing here imports pytest. A
subclass that defines its own `setup_class` / `teardown_class` calls the inherited one too.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

from ragkit.protocols import Embedder, SparseEncoder, VectorStore
from ragkit.testing.corpus import Corpus, make_corpus
from ragkit.testing.scratch import Scratch

EMBEDDER_NAME = "corpus-embedder"  # the embedder name the conformance stores are created with


class StoreFixtures(Scratch):
    reopenable = False  # True: the data survives close() and a new store object at the same path
    _corpus: Corpus | None = None
    _shared: tuple[Any, str] | None = None

    # ---- what a backend's test class provides --------------------------------------------------
    def make_store(self, path: Path) -> VectorStore:
        """A new, unopened store whose data lives under `path` (a fresh folder), or in memory."""
        raise NotImplementedError("a StoreConformance subclass defines make_store(self, path)")

    def make_embedder(self) -> Embedder:
        """Embeds the corpus and the queries (default: ragkit's local MiniLM)."""
        from ragkit.models.embedders.local import LocalEmbedder

        return LocalEmbedder()

    def make_encoder(self) -> SparseEncoder:
        """Encodes the corpus and the queries (default: ragkit's BM25)."""
        from ragkit.index.sparse import BM25Encoder

        return BM25Encoder()

    # ---- per class: the corpus and one store holding it, for the tests that only read -----------
    @classmethod
    def setup_class(cls) -> None:
        cls._corpus = None
        cls._shared = None

    @classmethod
    def teardown_class(cls) -> None:
        if cls._shared is not None:
            store, folder = cls._shared
            cls._shared = None
            store.close()
            shutil.rmtree(folder, ignore_errors=True)
        cls._corpus = None

    @property
    def corpus(self) -> Corpus:
        cls = type(self)
        if cls._corpus is None:
            cls._corpus = make_corpus(self.make_embedder(), self.make_encoder())
        return cls._corpus

    def loaded(self) -> VectorStore:
        """The class's store holding the corpus. Tests that use it must not write."""
        cls = type(self)
        if cls._shared is None:
            folder = tempfile.mkdtemp(prefix="ragkit-conformance-")
            store = self.make_store(Path(folder))
            self._fill(store)
            cls._shared = (store, folder)
        return cls._shared[0]

    # ---- per test: fresh stores, closed and removed afterwards ----------------------------------
    def fresh(self, folder: Path | None = None) -> VectorStore:
        """A new store (no collection yet) in `folder` or a fresh one; closed after the test."""
        return self.closed_after(self.make_store(folder if folder is not None else self.folder()))

    def empty(self) -> VectorStore:
        """A fresh store with the corpus's collection and no points."""
        store = self.fresh()
        store.ensure_collection(self.corpus.dim, embedder=EMBEDDER_NAME)
        return store

    def filled(self) -> VectorStore:
        """A fresh store holding the corpus, for tests that write."""
        return self._fill(self.fresh())

    def _fill(self, store: VectorStore) -> VectorStore:
        c = self.corpus
        store.ensure_collection(c.dim, embedder=EMBEDDER_NAME)
        store.upsert(c.chunks, c.dense, c.sparse)
        return store
