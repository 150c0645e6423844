"""SciFact through the eval harness reports the retrieval benchmark's nDCG@10 for the same
pipeline: the benchmark's own functions (bench/retrieval.py) recompute it on the eval's index.

The equality holds query by query and for any corpus, so the test runs the shipped suite's
pipeline (evals/scifact.yaml's config) on a seeded part of SciFact written to a temporary folder:
30 of the 300 test claims, their relevant abstracts and 600 other abstracts (about 640 of the
5,183; ingesting all of them took about 8 minutes on 2 idle cores, 405 s of a 13-minute suite
run). Each claim is searched and reranked twice (eval, then bench). The full-corpus,
300-query figure is bench/retrieval.py's, and `ragkit eval evals/scifact.yaml` reports it.
"""

from __future__ import annotations

import importlib.util
import json
import random
from pathlib import Path

import pytest

from ragkit.evals.runner import RunOptions, run_suite
from ragkit.evals.suite import load_suite

pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parents[2]
CLAIMS, OTHER_DOCS, SEED = 30, 600, 0


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
    part = _part_of_scifact(data, tmp_path / "part", load_queries, load_qrels)
    suite = load_suite(REPO / "evals" / "scifact.yaml", allow_paths=[part])
    suite.corpus.beir = str(part / "corpus.jsonl")
    suite.queries.beir.queries, suite.queries.beir.qrels = str(part / "queries.jsonl"), str(part / "qrels.tsv")
    suite.checks = ["retrieval", "rerank"]
    suite.sample.size, suite.sample.ask = None, 0
    report = run_suite(suite, RunOptions(work_root=tmp_path))
    sampled = {it["id"] for it in report["items"]}
    assert len(sampled) == CLAIMS

    bench = _bench()
    queries, qrels = load_queries(part / "queries.jsonl"), load_qrels(part / "qrels.tsv")
    n_docs = sum(1 for _ in open(part / "corpus.jsonl", encoding="utf-8"))
    assert report["corpus"]["ingest"]["added"] == n_docs, report["corpus"]["ingest"]
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
    print(f"\nphases (s): {report['run']['phases_s']}")
    print(f"\nSciFact nDCG@10: eval {m['retrieval.ndcg@10']:.4f}, bench fused {fused['ndcg@10']:.4f}, "
          f"hybrid {hybrid['ndcg@10']:.4f}")


def _part_of_scifact(data: Path, out: Path, load_queries, load_qrels) -> Path:
    """CLAIMS seeded test claims, their qrels, their relevant abstracts and OTHER_DOCS more, as a
    BEIR folder under `out` (a temporary folder: the data is never copied into the repo)."""
    queries, qrels = load_queries(data / "queries.jsonl"), load_qrels(data / "qrels" / "test.tsv")
    rng = random.Random(SEED)
    qids = rng.sample(sorted(q for q in qrels if q in queries), CLAIMS)
    relevant = {d for q in qids for d in qrels[q]}
    lines = (data / "corpus.jsonl").read_text(encoding="utf-8").splitlines()
    others = [ln for ln in lines if ln.strip() and json.loads(ln)["_id"] not in relevant]
    keep = {json.loads(ln)["_id"] for ln in rng.sample(others, OTHER_DOCS)} | relevant
    out.mkdir(parents=True)
    (out / "corpus.jsonl").write_text(
        "".join(ln + "\n" for ln in lines if ln.strip() and json.loads(ln)["_id"] in keep), encoding="utf-8")
    (out / "queries.jsonl").write_text(
        "".join(json.dumps({"_id": q, "text": queries[q]}) + "\n" for q in qids), encoding="utf-8")
    rows = [f"{q}\t{d}\t{r}" for q in qids for d, r in qrels[q].items()]
    (out / "qrels.tsv").write_text("query-id\tcorpus-id\tscore\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return out
