"""BM25 in the store agrees with rank-bm25 (`BM25Okapi`) on SciFact (issue 3, acceptance 3).

The whole SciFact corpus goes into an Edge store as sparse vectors (the dense vector is a
constant 1-d placeholder: this test is about BM25 only). Each SciFact test query is searched
sparse-only; the oracle scores every document with `BM25Okapi` over the very same analysis
(`BM25Encoder.analyze`: lowercase, stopwords, Snowball stems) and the query's unique terms
(the store's query vector has each term once). The two IDFs differ by design: Qdrant uses
ln(1 + (N - n + 0.5) / (n + 0.5)), rank-bm25 ln((N - n + 0.5) / (n + 0.5)) floored for common
terms, so the comparison is restricted to queries with no term in more than half the corpus.
"""

from __future__ import annotations

import uuid

import numpy as np
import pytest

from ragkit.evals.beir import iter_corpus, load_qrels, load_queries
from ragkit.index.edge_store import EdgeStore
from ragkit.index.sparse import BM25Encoder
from ragkit.types import Chunk

pytestmark = pytest.mark.integration


def test_sparse_top10_agrees_with_rank_bm25(shared, tmp_path):
    rank_bm25 = pytest.importorskip("rank_bm25")
    base = shared / "data" / "scifact"
    if not (base / "corpus.jsonl").is_file():
        pytest.skip(f"SciFact not found under {base}")
    docs = list(iter_corpus(base / "corpus.jsonl"))
    texts = [f"{title} {text}" for _, title, text in docs]
    qids = set(load_qrels(base / "qrels" / "test.tsv"))
    queries = load_queries(base / "queries.jsonl", qids)
    assert len(queries) == 300

    enc = BM25Encoder(k1=1.2, b=0.75)
    enc.fit(texts)
    sparse = enc.encode_documents(texts)
    ids = [str(uuid.uuid5(uuid.NAMESPACE_URL, d)) for d, _, _ in docs]
    chunks = [Chunk(i, d, "", 0, 0, 0, d) for i, (d, _, _) in zip(ids, docs)]
    store = EdgeStore(tmp_path / "edge")
    store.ensure_collection(1)
    store.upsert(chunks, np.ones((len(chunks), 1), np.float32), sparse)

    analyzed = [enc.analyze(t) for t in texts]
    oracle = rank_bm25.BM25Okapi(analyzed, k1=1.2, b=0.75)
    assert oracle.avgdl == pytest.approx(enc.avgdl)  # same lengths, same avgdl
    df: dict[str, int] = {}
    for terms in analyzed:
        for t in set(terms):
            df[t] = df.get(t, 0) + 1

    qorder = sorted(queries)
    qterms = [list(dict.fromkeys(enc.analyze(queries[q]))) for q in qorder]
    keep = [i for i, terms in enumerate(qterms) if terms and all(df.get(t, 0) <= len(docs) / 2 for t in terms)]
    assert len(keep) >= 250
    results = store.search_batch(None, [enc.encode_query(queries[qorder[i]]) for i in keep], top_k=10, candidates=10)
    overlaps = []
    for i, hits in zip(keep, results):
        scores = oracle.get_scores(qterms[i])
        top = np.argsort(-scores, kind="stable")[:10]
        want = {ids[j] for j in top if scores[j] > 0}
        got = {h.chunk.chunk_id for h in hits}
        overlaps.append(len(want & got) / max(len(want), 1))
    store.close()
    mean = float(np.mean(overlaps))
    print(f"BM25 oracle: mean top-10 overlap {mean:.3f} over {len(keep)} queries")
    assert mean >= 0.8
