"""The facade: `RAG` wires concrete backends from config (this file and cli/ are the only places
that do). Everything is built lazily, on first use, so `RAG(cfg)` is cheap."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping, Sequence

from ragkit.config import RagkitConfig, load_config
from ragkit.types import IngestReport

if TYPE_CHECKING:  # numpy comes with the protocols: not needed to build a RAG
    from ragkit.protocols import Embedder, Generator, Reranker, SparseEncoder, VectorStore


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

    def __init__(self, config: RagkitConfig | Mapping[str, Any] | str | Path | None = None, *,
                 embedder: Embedder | None = None, store: VectorStore | None = None,
                 sparse: SparseEncoder | None = None, reranker: Reranker | None = None,
                 generators: Mapping[str, Generator] | None = None):
        """Backends given here are used as they are (anything satisfying its `ragkit.protocols`
        protocol); the others are built from config on first use. `generators` maps route names
        ("small", and "large" when routing) to `Generator`s."""
        self.cfg = _as_config(config)
        given = {"embedder": embedder, "store": store, "sparse": sparse, "reranker": reranker,
                 "generators": dict(generators) if generators is not None else None}
        self._parts: dict[str, Any] = {k: v for k, v in given.items() if v is not None}
        self._given = frozenset(self._parts)  # built by the caller: closed by the caller
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
        """Calls the API routes (retries, fallbacks, budgets, exact cache, ledger)."""
        from ragkit.answer.generators import api_routes
        from ragkit.orchestrate import build_gateway

        return self._part("gateway", lambda: build_gateway(self.cfg, routes=api_routes(self.cfg)))

    @property
    def generators(self):
        """One `Generator` per configured route: {"small": ..., "large": ...}."""
        from ragkit.answer.generators import build_generators

        return self._part("generators", lambda: build_generators(self.cfg, self.gateway))

    @property
    def semantic_cache(self):
        from ragkit.orchestrate.wiring import build_semantic_cache

        return self._part("semantic_cache", lambda: build_semantic_cache(self.cfg, self.embedder))

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
        """The `top_k` best chunks (default `retrieval.top_k`), reranked first when a reranker runs."""
        return self.retriever.search(question, filters=dict(filters) if filters else None,
                                     top_k=top_k or self.cfg.retrieval.top_k, mode=mode, rerank=rerank)

    def ask(self, question: str, *, filters: Mapping[str, Any] | None = None, top_k: int | None = None):
        """A grounded answer with verified citations, or "I don't have enough information."."""
        from ragkit.answer.ask import ask

        return ask(self._ask_deps(), question, filters=filters, top_k=top_k)

    def ask_stream(self, question: str, *, filters: Mapping[str, Any] | None = None, top_k: int | None = None):
        """`ask`, streamed: AnswerDelta pieces, CitationVerified, then AnswerFinal (or one AnswerError);
        see ragkit.answer.events. The final Answer equals what `ask` returns."""
        from ragkit.answer.ask import ask_stream

        return ask_stream(self._ask_deps(), question, filters=filters, top_k=top_k)

    def _ask_deps(self):
        from ragkit.answer.ask import AskDeps

        return AskDeps(
            retriever=self.retriever,
            generators=self.generators,
            gateway=self.gateway,
            answer_cfg=self.cfg.answer,
            routing=self.cfg.llm.routing,
            model_hint=self.cfg.llm.small.model,
            index_version=self.index_version,
            semantic_cache=self.semantic_cache,
            embed=self.support_embed,
        )

    # ---- conversations (ragkit/chat/) -------------------------------------------------------------
    @property
    def chat_sessions(self):
        """The session store: `<home>/chat/sessions.sqlite` (chat.path), pruned to chat.retention_days."""
        from ragkit.chat.sessions import SessionStore

        return self._part("chat_sessions", lambda: SessionStore(self.cfg.chat_path,
                                                                retention_days=self.cfg.chat.retention_days))

    @property
    def condenser(self):
        """The follow-up condenser: the LLM one (small route, ledger stage `condense`) when chat.condenser
        is llm, or auto with an API model on the small route; else the offline one."""
        def build():
            from ragkit.answer.generators import api_routes
            from ragkit.chat.condense import OfflineCondenser
            from ragkit.chat.llm import LLMCondenser

            mode = self.cfg.chat.condenser
            if mode == "llm" or (mode == "auto" and api_routes(self.cfg).get("small")):
                return LLMCondenser(self.gateway, fallback=OfflineCondenser())
            return OfflineCondenser()
        return self._part("condenser", build)

    def _chat_runner(self):
        from ragkit.chat.chat import ChatRunner

        return ChatRunner(self, self.chat_sessions, self.condenser, self.cfg.chat)

    def chat(self, session_id: str, message: str, *, filters: Mapping[str, Any] | None = None,
             top_k: int | None = None, tenant: str | None = None):
        """One turn of a conversation: the follow-up condensed into a standalone question, answered by
        `ask` (the generator given the history within chat.history_tokens), stored in the session.
        A `ChatAnswer`: an `Answer` plus `standalone_question`, `session_id`, `turn`."""
        from ragkit.answer.events import AnswerFinal

        for ev in self._chat_runner().run(session_id, message, filters=filters, top_k=top_k, tenant=tenant,
                                          stream=False):
            if isinstance(ev, AnswerFinal):
                return ev.answer
        raise AssertionError("the chat turn ended without an answer")  # pragma: no cover

    def chat_stream(self, session_id: str, message: str, *, filters: Mapping[str, Any] | None = None,
                    top_k: int | None = None, tenant: str | None = None):
        """`chat`, streamed: a `ragkit.chat.Condensation` (the standalone question) first, then the events
        of `ask_stream`; AnswerFinal's answer is the `ChatAnswer`, stored in the session."""
        return self._chat_runner().run(session_id, message, filters=filters, top_k=top_k, tenant=tenant,
                                       stream=True)

    def chat_list(self, tenant: str | None = None):
        return self.chat_sessions.sessions(tenant)

    def chat_show(self, session_id: str, tenant: str | None = None):
        return self.chat_sessions.turns(session_id, tenant)

    def chat_delete(self, session_id: str, tenant: str | None = None) -> int:
        return self.chat_sessions.delete(session_id, tenant)

    @property
    def support_embed(self):
        """The embed function citation verification uses: the embedder's, memoized by content hash
        (answer.support_cache_entries), so a context chunk's sentences are embedded once per process."""
        def build():
            from ragkit.models.embedders.memo import MemoEmbed

            n = self.cfg.answer.support_cache_entries
            return MemoEmbed(self.embedder.embed, n) if n else self.embedder.embed
        return self._part("support_embed", build)

    def close(self) -> None:
        """Close every part this RAG built (parts given to the constructor are the caller's)."""
        for name, part in reversed(list(self._parts.items())):
            if name in self._given or name in ("generators", "retriever", "support_embed", "condenser") or part is None:
                continue
            part.close()
        self._parts = {k: v for k, v in self._parts.items() if k in self._given}

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

    return LocalEmbedder(e.model, batch_size=e.batch_size, device=e.device, precision=e.precision, engine=e.engine)


def build_sparse(cfg: RagkitConfig, store):
    """The BM25 encoder, with the parameters the index was built with (they travel with the index,
    so a Qdrant server shared by several machines encodes alike everywhere)."""
    from ragkit.index.sparse import BM25Encoder

    params = store.meta().get("bm25") if store.exists() else None
    return BM25Encoder.from_params(params) if params else BM25Encoder(context_words=cfg.ingest.bm25_context_words)


def build_reranker(cfg: RagkitConfig):
    from ragkit.retrieve.rerank import CrossEncoderReranker

    return CrossEncoderReranker.from_config(cfg.rerank)
