"""Congruence: the same SciFact data and queries give the same top-10 on Edge and qdrant-client.

A few hundred SciFact documents (those relevant to the first test queries, then the corpus in
order), real MiniLM embeddings computed once, BM25 vectors from `BM25Encoder`. Ties may order
differently on the two engines (float32 vs float64 arithmetic), so two top-10 lists agree when
their scores agree rank by rank and they hold the same ids above the 10th score.
"""

from __future__ import annotations

import uuid

import numpy as np
import pytest

from ragkit.evals.beir import iter_corpus, load_qrels, load_queries
from ragkit.index.edge_store import EdgeStore
from ragkit.index.qdrant_store import QdrantStore
from ragkit.index.sparse import BM25Encoder
from ragkit.types import Chunk

pytestmark = pytest.mark.integration

N_DOCS = 240
N_QUERIES = 40


@pytest.fixture(scope="module")
def scifact_small(shared, embedder_warm):
    base = shared / "data" / "scifact"
    if not (base / "corpus.jsonl").is_file():
        pytest.skip(f"SciFact not found under {base}")
    qrels = load_qrels(base / "qrels" / "test.tsv")
    qids = sorted(qrels, key=int)[:N_QUERIES]
    queries = load_queries(base / "queries.jsonl", set(qids))
    wanted = {d for q in qids for d in qrels[q]}
    docs, rest = [], []
    for did, title, text in iter_corpus(base / "corpus.jsonl"):
        (docs if did in wanted else rest).append((did, title, text))
    docs = (docs + rest)[:N_DOCS]
    texts = [f"{t}. {x}"[:700] for _, t, x in docs]
    chunks = [Chunk(str(uuid.uuid5(uuid.NAMESPACE_URL, d)), d, tx, 0, len(tx), 0, d) for (d, _, _), tx in zip(docs, texts)]
    enc = BM25Encoder()
    sparse = enc.encode_documents(texts)
    dense = embedder_warm.embed(texts)
    qtexts = [queries[q] for q in qids]
    return chunks, dense, sparse, embedder_warm.embed(qtexts), [enc.encode_query(t) for t in qtexts]


@pytest.fixture(scope="module")
def stores(tmp_path_factory, scifact_small):
    chunks, dense, sparse, _, _ = scifact_small
    out = [EdgeStore(tmp_path_factory.mktemp("edge")), QdrantStore(":memory:", "scifact")]
    for s in out:
        s.ensure_collection(dense.shape[1])
        s.upsert(chunks, dense, sparse)
    yield out
    for s in out:
        s.close()


def _agree(a, b, tol: float) -> None:
    sa = np.array([h.score for h in a])
    sb = np.array([h.score for h in b])
    assert len(a) == len(b)
    np.testing.assert_allclose(sa, sb, rtol=tol, atol=tol)
    if not len(a):
        return
    cut = min(sa[-1], sb[-1]) + tol  # ids scoring clearly above the last place must be the same
    assert {h.chunk.chunk_id for h in a if h.score > cut} == {h.chunk.chunk_id for h in b if h.score > cut}


@pytest.mark.parametrize("mode", ["dense", "sparse", "hybrid", "dbsf", "weighted"])
def test_same_top10_on_both_backends(stores, scifact_small, mode):
    _, _, _, qdense, qsparse = scifact_small
    edge, client = stores
    d = None if mode == "sparse" else qdense
    s = None if mode == "dense" else qsparse
    kw = {"fusion": mode} if mode in ("dbsf", "weighted") else {}
    if mode == "weighted":
        kw["dense_weight"] = 0.7
    a = edge.search_batch(d, s, top_k=10, candidates=50, **kw)
    b = client.search_batch(d, s, top_k=10, candidates=50, **kw)
    same_order = 0
    for ra, rb in zip(a, b):
        _agree(ra, rb, tol=1e-4)
        same_order += [h.chunk.chunk_id for h in ra] == [h.chunk.chunk_id for h in rb]
    assert same_order >= 0.8 * len(a)  # ties aside, the very same lists
    assert sum(len(r) for r in a) > 0.9 * 10 * len(a)


def test_same_filtered_results_on_both_backends(stores, scifact_small):
    _, _, _, qdense, qsparse = scifact_small
    edge, client = stores
    sources = sorted(edge.sources())[:60]
    spec = {"or": [{"source": sources[:30]}, {"source": {"glob": "1*"}}]}
    assert edge.count(spec) == client.count(spec) > 30
    a = edge.search_batch(qdense[:10], qsparse[:10], top_k=10, candidates=50, filters=spec)
    b = client.search_batch(qdense[:10], qsparse[:10], top_k=10, candidates=50, filters=spec)
    for ra, rb in zip(a, b):
        _agree(ra, rb, tol=1e-4)
