"""ragkit in the comparison: its default config (semantic chunker, Qdrant Edge, hybrid with DBSF
fusion, bf16 autocast where the CPU has it), the reranker row with the shared SciFact cross-encoder
at 256 word pieces, fused by RRF (ragkit's default combine), as bench/retrieval.py runs it."""

from __future__ import annotations

from pathlib import Path

from compare_lib.ids import dedupe

LABEL = "ragkit"
CORE_MODULE = "ragkit"
# imported before any timing (import cost is measured on its own, in fresh interpreters)
PRELOAD = ("sentence_transformers", "ragkit.rag", "ragkit.ingest.pipeline", "ragkit.index.edge_store")
MODES = {"bm25": "sparse", "dense": "dense", "fusion": "hybrid"}
FUSIONS = ("dbsf", "rrf")  # the config's `retrieval.fusion` values compared (the default first)


class RagkitFramework:
    name = LABEL

    def __init__(self, workdir: Path, model_path: str, reranker_path: str | None, pool: int):
        self.home = workdir / "ragkit-home"
        self.reranker_path = reranker_path
        self.pool = pool
        self._rag = None
        self._reranker = None

    def _build(self):
        from ragkit.rag import RAG

        return RAG({"home": str(self.home), "rerank": {"enabled": False},
                    "retrieval": {"candidates": self.pool}})

    def ingest(self, corpus: Path) -> dict:
        self._rag = self._build()
        rep = self._rag.ingest([corpus])
        return {"chunks": rep.chunks_added, "embedded": rep.embedded, "docs": rep.added + rep.updated,
                "failed": rep.failed, "points": self._rag.store.count()}

    def chunk_texts(self) -> list[str]:
        """What ragkit embedded: each chunk's index text (its title in front where it fits)."""
        from ragkit.ingest.chunking.document import index_texts

        emb = self._rag.embedder
        return index_texts(self._rag.store.chunks_where(None), emb.count_tokens, emb.max_tokens)

    def reingest(self, corpus: Path) -> dict:
        rep = self._rag.ingest([corpus])
        return {"embedded": rep.embedded, "docs_changed": rep.added + rep.updated, "unchanged": rep.unchanged,
                "points": self._rag.store.count()}

    def _rerank(self):
        if self._reranker is None:
            from ragkit.config.data import RerankConfig
            from ragkit.retrieve.rerank import CrossEncoderReranker

            self._reranker = CrossEncoderReranker.from_config(
                RerankConfig(model=self.reranker_path, combine="rrf", required=True, max_length=256))
        return self._reranker

    def retrieve(self, mode: str, queries: list[str], depth: int, rerank_head: int = 0, fusion: str | None = None):
        """Per query: BEIR doc ids in rank order (chunk hits collapsed, best chunk first); and, when
        rerank_head > 0, the same lists with their first rerank_head chunks reranked. `fusion`:
        another of FUSIONS than the default, for this call."""
        results = self._rag.retriever.search_batch(queries, mode=MODES[mode], top_k=depth, rerank=False,
                                                   fusion=fusion)
        plain, reranked = [], []
        for q, r in zip(queries, results):
            hits = list(r.results)
            plain.append(dedupe(h.chunk.source for h in hits))
            if rerank_head:
                head = self._rerank().rerank(q, hits[:rerank_head], rerank_head)
                reranked.append(dedupe(h.chunk.source for h in list(head) + hits[rerank_head:]))
        return plain, (reranked if rerank_head else None)

    def fusion_runs(self, queries: list[str], depth: int, modes: list[str]) -> dict[str, list[list[str]]]:
        """Per fusion mode, the runs `retrieve("fusion", ...)` gives (the store fuses: one call each)."""
        return {m: self.retrieve("fusion", queries, depth, fusion=m)[0] for m in modes}

    def search_one(self, mode: str, query: str, top_k: int, rerank_head: int = 0) -> int:
        """One query as an application calls it; returns the number of hits (to keep the work honest)."""
        if rerank_head:
            r = self._rag.retriever.search(query, mode=MODES[mode], top_k=rerank_head, rerank=False)
            return len(self._rerank().rerank(query, r.results, top_k))
        r = self._rag.retriever.search(query, mode=MODES[mode], top_k=top_k, rerank=False)
        return len(r.results)

    def close(self) -> None:
        if self._rag is not None:
            self._rag.close()
        if self._reranker is not None:
            self._reranker.close()


FRAMEWORK = RagkitFramework
