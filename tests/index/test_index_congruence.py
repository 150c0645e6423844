"""Congruence: the same SciFact data and queries give the same top-10 on Edge and qdrant-client.

Two hundred SciFact documents (those relevant to the first test queries, then the corpus in
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

N_DOCS = 200
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
    texts = [f"{t}. {x}" for _, t, x in docs]
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


def _ids(hits) -> list[str]:
    return [h.chunk.chunk_id for h in hits]


@pytest.mark.parametrize("mode", ["dense", "sparse"])
def test_same_top10_on_both_backends_single_branch(stores, scifact_small, mode):
    _, _, _, qdense, qsparse = scifact_small
    d, s = (qdense, None) if mode == "dense" else (None, qsparse)
    a, b = (st.search_batch(d, s, top_k=10, candidates=10) for st in stores)
    for ra, rb in zip(a, b):
        _agree(ra, rb, tol=1e-4)
    assert sum(_ids(ra) == _ids(rb) for ra, rb in zip(a, b)) >= 0.8 * len(a)  # ties aside, the same lists
    assert sum(len(r) for r in a) > 0.9 * 10 * len(a)


@pytest.mark.parametrize("fusion", ["rrf", "dbsf", "weighted"])
def test_same_fused_top10_on_both_backends(stores, scifact_small, fusion):
    """Same branch lists -> the very same fused list. Branch lists may differ only inside exact
    score ties (the engines break ties differently), which moves tied documents' fused scores."""
    _, _, _, qdense, qsparse = scifact_small
    kw = {"fusion": fusion, "dense_weight": 0.7}
    cand = 50
    fused = [st.search_batch(qdense, qsparse, top_k=10, candidates=cand, **kw) for st in stores]
    dense = [st.search_batch(qdense, None, top_k=cand, candidates=cand) for st in stores]
    sparse = [st.search_batch(None, qsparse, top_k=cand, candidates=cand) for st in stores]
    exact = 0
    overlaps = []
    for i in range(len(qsparse)):
        _agree(dense[0][i], dense[1][i], tol=1e-4)
        _agree(sparse[0][i], sparse[1][i], tol=1e-4)
        a, b = fused[0][i], fused[1][i]
        overlaps.append(len(set(_ids(a)) & set(_ids(b))) / 10)
        if _ids(dense[0][i]) == _ids(dense[1][i]) and _ids(sparse[0][i]) == _ids(sparse[1][i]):
            _agree(a, b, tol=1e-4)
            exact += 1
    assert exact >= 0.6 * len(qsparse)
    assert np.mean(overlaps) >= 0.95 and min(overlaps) >= 0.7


def test_same_filtered_results_on_both_backends(stores, scifact_small):
    _, _, _, qdense, qsparse = scifact_small
    edge, client = stores
    sources = sorted(edge.sources())[:60]
    spec = {"or": [{"source": sources[:30]}, {"source": {"glob": "1*"}}]}
    assert edge.count(spec) == client.count(spec) > 30
    assert sorted(edge.ids_where(spec)) == sorted(client.ids_where(spec))
    a = edge.search_batch(qdense[:10], None, top_k=10, candidates=50, filters=spec)
    b = client.search_batch(qdense[:10], None, top_k=10, candidates=50, filters=spec)
    for ra, rb in zip(a, b):
        _agree(ra, rb, tol=1e-4)
        assert all(h.chunk.source in sources[:30] or h.chunk.source.startswith("1") for h in ra)


def test_repeated_queries_give_identical_lists(stores, scifact_small):
    """Equal scores are ordered by id, so a query's result never changes between calls."""
    _, _, _, qdense, qsparse = scifact_small
    for st in stores:
        first = [_ids(r) for r in st.search_batch(qdense, qsparse, top_k=10, candidates=20)]
        for _ in range(3):
            assert [_ids(r) for r in st.search_batch(qdense, qsparse, top_k=10, candidates=20)] == first
        assert [_ids(st.search(qdense[i], qsparse[i], top_k=10, candidates=20)) for i in range(len(qsparse))] == first
