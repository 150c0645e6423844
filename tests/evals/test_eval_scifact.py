"""SciFact through the eval harness reports the retrieval benchmark's nDCG@10 for the same
pipeline: the benchmark's own functions (bench/retrieval.py) recompute it on the eval's index.

Slow: ingests SciFact (5,183 abstracts, about 8 minutes on 2 idle cores) into a temporary work
dir. The whole corpus is indexed, but only a seeded sample of 60 of the 300 test claims is
searched and reranked (each rerank of 30 candidates is about 1.3 s here, and the test reranks
twice): the equality holds query by query, so a sample checks the same path. The full 300-query
figure is bench/retrieval.py's, and `ragkit eval evals/scifact.yaml` reports it.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from ragkit.evals.runner import RunOptions, run_suite
from ragkit.evals.suite import load_suite

pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parents[2]


def _bench():
    spec = importlib.util.spec_from_file_location("bench_retrieval", REPO / "bench" / "retrieval.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.mark.timeout(3600)  # minutes on an idle 2-core machine; far longer when it is shared
def test_scifact_ndcg_equals_the_benchmark(shared, tmp_path):
    from ragkit.evals.beir import load_qrels, load_queries
    from ragkit.evals.workdir import base_config, corpus_paths, eval_config, work_dir
    from ragkit.rag import RAG

    data, model = shared / "data" / "scifact", shared / "models" / "scifact-minilm-ce"
    if not (data / "corpus.jsonl").is_file() or not model.is_dir():
        pytest.skip(f"SciFact or its cross-encoder not found under {shared} (set RAGKIT_SHARED_DIR)")
    if not (REPO / "bench" / "retrieval.py").is_file():
        pytest.skip("bench/retrieval.py is not in this checkout")
    suite = load_suite(REPO / "evals" / "scifact.yaml")
    suite.checks = ["retrieval", "rerank"]
    suite.sample.size, suite.sample.ask = 60, 0
    report = run_suite(suite, RunOptions(work_root=tmp_path))
    sampled = {it["id"] for it in report["items"]}
    assert len(sampled) == 60

    bench = _bench()
    queries, qrels = load_queries(data / "queries.jsonl"), load_qrels(data / "qrels" / "test.tsv")
    qids = [q for q in qrels if q in queries and q in sampled]
    qrels = {q: qrels[q] for q in qids}
    texts = [queries[q] for q in qids]
    home = work_dir(suite, tmp_path)
    cfg, rebuilt = eval_config(base_config(suite), home, corpus_paths(suite, home))
    assert not rebuilt
    with RAG(cfg) as rag:
        hybrid = bench.metrics(bench.run_mode(rag, qids, texts, "hybrid"), qrels)
        fused = bench.metrics(bench.run_reranked(rag, bench.make_reranker("rrf", model), qids, texts)["rrf"], qrels)
    m = report["metrics"]
    assert m["retrieval.ndcg@10"] == pytest.approx(fused["ndcg@10"], abs=1e-9)
    assert m["retrieval.mrr@10"] == pytest.approx(fused["mrr@10"], abs=1e-9)
    assert m["rerank.ndcg@10_without"] == pytest.approx(hybrid["ndcg@10"], abs=1e-9)
    print(f"\nSciFact nDCG@10: eval {m['retrieval.ndcg@10']:.4f}, bench fused {fused['ndcg@10']:.4f}, "
          f"hybrid {hybrid['ndcg@10']:.4f}")
