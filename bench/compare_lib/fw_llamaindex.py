"""LlamaIndex in the comparison, as its documentation sets it up.

Ingest: `VectorStoreIndex.from_documents` with `SentenceSplitter(chunk_size=512, chunk_overlap=50)`
(its default splitter; tokens counted with its default tiktoken encoding) and
`HuggingFaceEmbedding` on the same MiniLM weights (its default batch of 10). Its default
in-memory stores (SimpleVectorStore + SimpleDocumentStore) keep the per-document hashes, so
re-ingestion uses `index.refresh_ref_docs(documents)`, LlamaIndex's own incremental path.
Retrievers: `BM25Retriever` (llama-index-retrievers-bm25, bm25s + PyStemmer, its defaults), the
index's dense retriever, and `QueryFusionRetriever(mode="reciprocal_rerank", num_queries=1)` over
both. Reranker row: `SentenceTransformerRerank` with the shared cross-encoder (replaces the order).

Offline: the wheel ships tiktoken's cl100k/o200k files and NLTK's punkt_tab + stopwords under
llama_index/core/_static, and points TIKTOKEN_CACHE_DIR / nltk.data.path there itself; the BM25
retriever's stopwords come from bm25s. Nothing is fetched (checked with the network unshared).
Embedding calls are counted by a subclass of HuggingFaceEmbedding that adds the batch sizes it
is asked to embed.
"""

from __future__ import annotations

from pathlib import Path

from compare_lib.corpus import read_docs
from compare_lib.ids import dedupe

LABEL = "LlamaIndex"
# QueryFusionRetriever's rank-fusion modes (the documented hybrid recipe, reciprocal_rerank, first);
# "simple" (its default) keeps each node's best raw score across retrievers, not a fusion of ranks
FUSIONS = ("reciprocal_rerank", "relative_score", "dist_based_score", "simple")
CORE_MODULE = "llama_index.core"
# imported before any timing (import cost is measured on its own, in fresh interpreters)
PRELOAD = ("sentence_transformers", "llama_index.core", "llama_index.embeddings.huggingface",
           "llama_index.retrievers.bm25")


def _counting_embedding(model_path: str):
    from llama_index.embeddings.huggingface import HuggingFaceEmbedding

    class CountingHuggingFaceEmbedding(HuggingFaceEmbedding):
        embedded: int = 0  # texts sent to the model through the batch method

        def _get_text_embeddings(self, texts):
            self.embedded += len(texts)
            return super()._get_text_embeddings(texts)

    return CountingHuggingFaceEmbedding(model_name=model_path, device="cpu")


def _fusion(retrievers: list, k: int, mode: str):
    """LlamaIndex's hybrid recipe: QueryFusionRetriever over `retrievers`, no query rewriting."""
    from llama_index.core.llms import MockLLM
    from llama_index.core.retrievers import QueryFusionRetriever

    return QueryFusionRetriever(retrievers, similarity_top_k=k, num_queries=1, mode=mode, use_async=False, llm=MockLLM())


class LlamaIndexFramework:
    name = LABEL

    def __init__(self, workdir: Path, model_path: str, reranker_path: str | None, pool: int):
        self.model_path = model_path
        self.reranker_path = reranker_path
        self.pool = pool
        self.index = None
        self.embed = None
        self._bm25 = {}
        self._latency = {}  # retriever objects for single-query calls, built outside the timing
        self._reranker = {}

    @staticmethod
    def _documents(corpus: Path):
        from llama_index.core import Document

        return [Document(text=text, id_=doc_id) for doc_id, text in read_docs(corpus)]

    def ingest(self, corpus: Path) -> dict:
        from llama_index.core import VectorStoreIndex
        from llama_index.core.node_parser import SentenceSplitter

        self.embed = _counting_embedding(self.model_path)
        docs = self._documents(corpus)
        self.index = VectorStoreIndex.from_documents(
            docs, embed_model=self.embed,
            transformations=[SentenceSplitter(chunk_size=512, chunk_overlap=50)])
        n = len(self.index.docstore.docs)
        return {"chunks": n, "embedded": self.embed.embedded, "docs": len(docs), "points": n}

    def chunk_texts(self) -> list[str]:
        from llama_index.core.schema import MetadataMode

        return [n.get_content(metadata_mode=MetadataMode.EMBED) for n in self.index.docstore.docs.values()]

    def reingest(self, corpus: Path) -> dict:
        before = self.embed.embedded
        flags = self.index.refresh_ref_docs(self._documents(corpus))
        self._bm25.clear()  # the BM25 index is rebuilt from the docstore on next use
        self._latency.clear()
        return {"embedded": self.embed.embedded - before, "docs_changed": sum(flags),
                "unchanged": len(flags) - sum(flags), "points": len(self.index.docstore.docs)}

    # ---- retrievers ---------------------------------------------------------------------------
    def _bm25_retriever(self, k: int):
        if k not in self._bm25:
            from llama_index.retrievers.bm25 import BM25Retriever

            self._bm25[k] = BM25Retriever.from_defaults(
                docstore=self.index.docstore, similarity_top_k=min(k, len(self.index.docstore.docs)))
        return self._bm25[k]

    def _retriever(self, mode: str, k: int, pool: int, fusion: str | None = None):
        if mode == "bm25":
            return self._bm25_retriever(k)
        if mode == "dense":
            return self.index.as_retriever(similarity_top_k=k)
        return _fusion(self._branches(pool), k, fusion or FUSIONS[0])

    def _branches(self, pool: int) -> list:
        """The hybrid's two retrievers, dense first (QueryFusionRetriever's order)."""
        return [self.index.as_retriever(similarity_top_k=pool), self._bm25_retriever(pool)]

    def _rerank(self, top_n: int):
        if top_n not in self._reranker:
            from llama_index.core.postprocessor import SentenceTransformerRerank

            r = SentenceTransformerRerank(model=self.reranker_path, top_n=top_n, device="cpu")
            # the shared cross-encoder was trained on pairs of at most 256 word pieces (ragkit's row
            # uses 256 too); LlamaIndex's default of 512 only adds truncated-away cost
            r._model.max_seq_length = 256
            self._reranker[top_n] = r
        return self._reranker[top_n]

    def retrieve(self, mode: str, queries: list[str], depth: int, rerank_head: int = 0, fusion: str | None = None):
        from llama_index.core.schema import QueryBundle

        r = self._retriever(mode, depth, depth, fusion)
        plain, reranked = [], []
        for q in queries:
            hits = r.retrieve(q)
            plain.append(dedupe(h.node.ref_doc_id for h in hits))
            if rerank_head:
                head = self._rerank(rerank_head).postprocess_nodes(hits[:rerank_head], QueryBundle(q))
                reranked.append(dedupe(h.node.ref_doc_id for h in list(head) + list(hits[rerank_head:])))
        return plain, (reranked if rerank_head else None)

    def fusion_runs(self, queries: list[str], depth: int, modes: list[str]) -> dict[str, list[list[str]]]:
        """Per fusion mode, the runs `retrieve("fusion", ...)` gives, from one pass of the two
        branches: QueryFusionRetriever (its own fusion code) over retrievers that replay them."""
        from llama_index.core.retrievers import BaseRetriever
        from llama_index.core.schema import NodeWithScore

        class Replay(BaseRetriever):
            def __init__(self, hits: dict):
                super().__init__()
                self.hits = hits

            def _retrieve(self, query_bundle):  # fresh NodeWithScore objects: fusion rescores them
                return [NodeWithScore(node=h.node, score=h.score) for h in self.hits[query_bundle.query_str]]

        replays = [Replay({q: r.retrieve(q) for q in queries}) for r in self._branches(depth)]
        out = {}
        for mode in modes:
            fused = _fusion(replays, depth, mode)
            out[mode] = [dedupe(h.node.ref_doc_id for h in fused.retrieve(q)) for q in queries]
        return out

    def search_one(self, mode: str, query: str, top_k: int, rerank_head: int = 0) -> int:
        key = (mode, top_k, rerank_head)
        if key not in self._latency:
            self._latency[key] = self._retriever(mode, rerank_head or top_k, self.pool)
        hits = self._latency[key].retrieve(query)
        if rerank_head:
            from llama_index.core.schema import QueryBundle

            hits = self._rerank(top_k).postprocess_nodes(hits, QueryBundle(query))
        return len(hits)

    def close(self) -> None:
        self.index = None
        self._bm25.clear()
        self._latency.clear()
        self._reranker.clear()


FRAMEWORK = LlamaIndexFramework
