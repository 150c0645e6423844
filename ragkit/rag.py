"""The facade: `RAG` wires concrete backends from config (this file and cli/ are the only places
that do). Everything is built lazily, on first use, so `RAG(cfg)` is cheap."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping, Sequence

from ragkit.config import RagkitConfig, load_config
from ragkit.types import IngestReport


def _as_config(config: RagkitConfig | Mapping[str, Any] | str | Path | None) -> RagkitConfig:
    if isinstance(config, RagkitConfig):
        return config
    if config is None:
        return load_config()
    if isinstance(config, (str, Path)):
        return load_config(config)
    return load_config(overrides=dict(config))


class RAG:
    """`rag.ingest(paths)`, `rag.search(question)`, `rag.ask(question)`, `rag.close()`."""

    def __init__(self, config: RagkitConfig | Mapping[str, Any] | str | Path | None = None):
        self.cfg = _as_config(config)
        self._parts: dict[str, Any] = {}
        self.last_stage_seconds: dict[str, float] = {}  # of the last ingest: load, chunk, embed, ...

    # ---- lazily built parts ---------------------------------------------------------------------
    def _part(self, name: str, build):
        if name not in self._parts:
            self._parts[name] = build()
        return self._parts[name]

    @property
    def embedder(self):
        return self._part("embedder", lambda: build_embedder(self.cfg))

    @property
    def manifest(self):
        from ragkit.ingest.manifest import Manifest

        return self._part("manifest", lambda: Manifest(self.cfg.index_path / "manifest.sqlite"))

    @property
    def store(self):
        from ragkit.index.factory import build_store

        return self._part("store", lambda: build_store(self.cfg))

    @property
    def sparse(self):
        return self._part("sparse", lambda: build_sparse(self.cfg, self.store))

    @property
    def reranker(self):
        return self._part("reranker", lambda: build_reranker(self.cfg))

    @property
    def retriever(self):
        from ragkit.retrieve.retriever import Retriever

        def build():
            reranker = self.reranker if self.cfg.rerank.enabled else None
            return Retriever(self.store, self.embedder, self.sparse, self.cfg.retrieval, reranker, self.cfg.rerank)

        return self._part("retriever", build)

    @property
    def gateway(self):
        from ragkit.orchestrate import build_gateway

        def build():
            from ragkit.answer.extractive import extractive_answer

            n = self.cfg.answer.max_sentences
            embedder = self.embedder if self.cfg.cache.semantic else None
            return build_gateway(self.cfg, extractive_answer=lambda q, chunks: extractive_answer(q, chunks, n),
                                 embedder=embedder)

        return self._part("gateway", build)

    def index_version(self) -> str:
        """Changes whenever an ingest changes the index; caches compare it."""
        return f"{self.cfg.index_path}:{self.manifest.generation}"

    # ---- API -----------------------------------------------------------------------------------
    def ingest(self, paths: Sequence[str | Path] | str | Path, progress=None) -> IngestReport:
        from ragkit.ingest.chunking import build_chunker, chunk_document
        from ragkit.ingest.loaders import load_path
        from ragkit.ingest.lock import IndexLock
        from ragkit.ingest.pipeline import Ingestor

        if isinstance(paths, (str, Path)):
            paths = [paths]
        lock = IndexLock(self.cfg.index_path / "ingest.lock", self.cfg.ingest.lock_timeout_s)
        with lock:
            ingestor = Ingestor(
                self.cfg,
                self.store,
                self.embedder,
                self.sparse,
                self.manifest,
                chunker_factory=lambda: build_chunker(
                    self.cfg.chunking, self.embedder.count_tokens, self.embedder.max_tokens
                ),
                load_path=load_path,
                chunk_document=chunk_document,
            )
            try:
                return ingestor.ingest(list(paths), progress=progress)
            finally:
                self.last_stage_seconds = dict(ingestor.stage_seconds)

    def search(self, question: str, *, filters: Mapping[str, Any] | None = None, top_k: int | None = None,
               mode: str | None = None, rerank: bool | None = None):
        return self.retriever.search(question, filters=dict(filters) if filters else None, top_k=top_k,
                                     mode=mode, rerank=rerank)

    def ask(self, question: str, *, filters: Mapping[str, Any] | None = None, top_k: int | None = None):
        """A grounded answer with verified citations, or "I don't have enough information."."""
        from ragkit.answer.ask import AskDeps, ask

        deps = AskDeps(
            retriever=self.retriever,
            gateway=self.gateway,
            answer_cfg=self.cfg.answer,
            model_hint=self.cfg.llm.small.model,
            index_version=self.index_version,
            embed=self.embedder.embed,
        )
        return ask(deps, question, filters=filters, top_k=top_k)

    def close(self) -> None:
        for part in reversed(list(self._parts.values())):
            close = getattr(part, "close", None)
            if callable(close):
                close()
        self._parts.clear()

    def __enter__(self) -> "RAG":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


# ---- builders: config -> backend ---------------------------------------------------------------
def build_embedder(cfg: RagkitConfig):
    e = cfg.embedder
    if e.provider == "openai":
        from ragkit.models.embedders.openai import OpenAIEmbedder

        return OpenAIEmbedder.from_config(e)
    from ragkit.models.embedders.local import LocalEmbedder

    return LocalEmbedder(e.model, batch_size=e.batch_size, device=e.device, precision=e.precision)


def build_sparse(cfg: RagkitConfig, store):
    """The BM25 encoder, with the parameters the index was built with (they travel with the index,
    so a Qdrant server shared by several machines encodes alike everywhere)."""
    from ragkit.index.sparse import BM25Encoder

    params = store.meta().get("bm25") if store.exists() else None
    return BM25Encoder.from_params(params) if params else BM25Encoder(context_words=cfg.ingest.bm25_context_words)


def build_reranker(cfg: RagkitConfig):
    from ragkit.retrieve.rerank import CrossEncoderReranker

    return CrossEncoderReranker.from_config(cfg.rerank)
