"""Retrieval benchmark on SciFact (300 test queries, BEIR qrels): quality by mode, latency by
stage, and an optional scale run at 100k chunks.

    .venv/bin/python bench/retrieval.py                 # quality + latency at SciFact size
    .venv/bin/python bench/retrieval.py --scale 100000  # also the 100k-chunk scale run

The index is built with ragkit's own ingest, reused while the corpus and the index-shaping config
are unchanged (`drop_stale_home_index`). Chunk hits are collapsed to documents (a document ranks
where its best chunk ranks). Writes bench/results/retrieval-<date>.json.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import resource
import statistics
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from ragkit.evals.beir import load_qrels, load_queries, scifact_dir  # noqa: E402
from ragkit.evals.metrics import evaluate_run, percentiles  # noqa: E402
from ragkit.evals.workdir import drop_stale_home_index  # noqa: E402

DEPTH = 150  # chunks fetched per query: enough for 100 distinct documents
RERANK_CANDIDATES = 30


def collapse(hits) -> list[str]:
    """Chunk hits -> document ids in rank order (max-p)."""
    seen: dict[str, None] = {}
    for h in hits:
        seen.setdefault(h.chunk.source, None)
    return list(seen)


def run_mode(rag, qids, texts, mode: str, fusion: str | None = None) -> dict[str, list[str]]:
    """`fusion`: another fusion than the config's for this run (hybrid only)."""
    results = rag.retriever.search_batch(texts, mode=mode, top_k=DEPTH, rerank=False, fusion=fusion)
    return {qid: collapse(r.results) for qid, r in zip(qids, results)}


def run_reranked(rag, reranker, qids, texts) -> dict[str, dict[str, list[str]]]:
    """Cross-encoder scores of the hybrid top 30, computed once per query, combined with the
    first-stage ranking each way ragkit offers (the same maths as CrossEncoderReranker.rerank)."""
    from ragkit.retrieve.rerank import combine_scores

    results = rag.retriever.search_batch(texts, mode="hybrid", top_k=DEPTH, rerank=False)
    runs: dict[str, dict[str, list[str]]] = {"rrf": {}, "replace": {}}
    for qid, q, r in zip(qids, texts, results):
        head = r.results[:RERANK_CANDIDATES]
        ce = reranker.score(q, [h.chunk.text for h in head])
        first = np.array([h.score for h in head])
        for combine in runs:
            _, order = combine_scores(first, ce, combine, rrf_k=60)
            runs[combine][qid] = collapse([head[i] for i in order] + list(r.results[RERANK_CANDIDATES:]))
    return runs


def metrics(run, qrels) -> dict[str, float]:
    m = evaluate_run(run, qrels, ks=(10, 100))
    return {"ndcg@10": m["ndcg@10"], "recall@100": m["recall@100"], "mrr@10": m["mrr@10"]}


def latency(rag, reranker, texts) -> dict[str, dict[str, float]]:
    """Single-query calls, as an application makes them: stage times in ms."""
    stages: dict[str, list[float]] = {"query_embedding": [], "store_search": [], "hybrid_total": [], "rerank_30": []}
    rag.retriever.search("warm up", rerank=False)
    for q in texts:
        t = time.perf_counter()
        r = rag.retriever.search(q, top_k=10, rerank=False)
        stages["hybrid_total"].append(time.perf_counter() - t)
        stages["query_embedding"].append(r.timings["embed"])
        stages["store_search"].append(r.timings["search"])
    if reranker is not None:
        for q in texts[:60]:
            cands = rag.retriever.search(q, top_k=RERANK_CANDIDATES, rerank=False).results
            t = time.perf_counter()
            reranker.rerank(q, cands, 3)
            stages["rerank_30"].append(time.perf_counter() - t)
    return {
        k: {p: round(v * 1000, 2) for p, v in percentiles(vals, (50, 95)).items() if p.startswith("p")}
        for k, vals in stages.items() if vals
    }


def make_reranker(combine: str, model: Path):
    from ragkit.config.data import RerankConfig
    from ragkit.retrieve.rerank import CrossEncoderReranker

    # the SciFact cross-encoder was trained on pairs of at most 256 word pieces
    cfg = RerankConfig(model=str(model), combine=combine, required=True, max_length=256)
    return CrossEncoderReranker.from_config(cfg)


def filler_corpus(path: Path, n_docs: int, vocab_src: Path, seed: int = 7) -> None:
    """Synthetic passages: two sentences of words drawn from SciFact's vocabulary (deterministic).
    Short, so that embedding 90k of them takes minutes on 2 cores, not an hour: the scale run
    measures the store at 100k points, not the embedder."""
    rng = random.Random(seed)
    words: list[str] = []
    with open(vocab_src, encoding="utf-8") as f:
        for i, line in enumerate(f):
            if i >= 1500:
                break
            words.extend(w for w in json.loads(line)["text"].split() if w.isalpha())
    with open(path, "w", encoding="utf-8") as g:
        for i in range(n_docs):
            sents = [" ".join(rng.choices(words, k=rng.randint(8, 18))).capitalize() + "." for _ in range(2)]
            g.write(json.dumps({"_id": f"filler-{i}", "title": "", "text": " ".join(sents)}) + "\n")


def du(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def drop_stale(cfg: dict, corpus: Path) -> None:
    """Rebuild, not reuse, an index under cfg["home"] built with other index-shaping settings."""
    if drop_stale_home_index(cfg, [corpus]):
        print(f"dropped {Path(cfg['home']) / 'index'}: built with other chunking, embedder or BM25 settings")


def scale_run(base_cfg: dict, home: Path, target: int, corpus: Path, texts) -> dict:
    from ragkit.rag import RAG

    cfg = {**base_cfg, "home": str(home)}
    drop_stale(cfg, corpus)
    with RAG(cfg) as rag:
        t = time.perf_counter()
        rep1 = rag.ingest([corpus])
        have = rag.store.count()
        filler = home / "filler.jsonl"
        if not filler.exists():
            filler_corpus(filler, max(0, target - have), corpus)
        rep2 = rag.ingest([filler])
        wall = time.perf_counter() - t
        chunks = rep1.chunks_added + rep2.chunks_added
        points = rag.store.count()
        lat = latency(rag, None, texts)
    return {
        "points": points,
        "ingested_chunks_this_run": chunks,
        "ingest_chunks_per_s": round(chunks / wall, 1) if chunks else None,
        "index_bytes_on_disk": du(home / "index"),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "latency_ms": lat,
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", type=Path, default=scifact_dir())
    ap.add_argument("--home", type=Path, default=REPO / ".ragkit" / "bench" / "scifact")
    ap.add_argument("--model", type=Path, default=scifact_dir().parents[1] / "models" / "scifact-minilm-ce")
    ap.add_argument("--scale", type=int, default=0, help="also run the scale test at this many chunks")
    args = ap.parse_args()

    from ragkit.rag import RAG

    queries = load_queries(args.data / "queries.jsonl")
    qrels = load_qrels(args.data / "qrels" / "test.tsv")
    qids = [q for q in qrels if q in queries]
    texts = [queries[q] for q in qids]
    base_cfg = {"rerank": {"enabled": False}}
    out: dict = {"date": dt.date.today().isoformat(), "queries": len(qids), "cpu_count": os.cpu_count()}
    cfg = {**base_cfg, "home": str(args.home)}
    drop_stale(cfg, args.data / "corpus.jsonl")
    with RAG(cfg) as rag:
        t = time.perf_counter()
        rep = rag.ingest([args.data / "corpus.jsonl"])
        out["ingest"] = {"seconds": round(time.perf_counter() - t, 1), "added": rep.added,
                         "unchanged": rep.unchanged, "points": rag.store.count()}
        quality: dict[str, dict[str, float]] = {}
        for mode in ("sparse", "dense", "hybrid"):
            quality[mode] = metrics(run_mode(rag, qids, texts, mode), qrels)
        out["fusion"] = rag.retriever.cfg.fusion
        for other in sorted({"rrf", "dbsf"} - {out["fusion"]}):
            quality[f"hybrid ({other} fusion)"] = metrics(run_mode(rag, qids, texts, "hybrid", other), qrels)
        fused = None
        if args.model.is_dir():
            fused = make_reranker("rrf", args.model)
            runs = run_reranked(rag, fused, qids, texts)
            quality["hybrid+rerank (fused rrf)"] = metrics(runs["rrf"], qrels)
            quality["hybrid+rerank (replace)"] = metrics(runs["replace"], qrels)
        else:
            print(f"note: no cross-encoder at {args.model}; reranked rows skipped")
        out["quality"] = {m: {k: round(v, 4) for k, v in row.items()} for m, row in quality.items()}
        out["latency_ms"] = latency(rag, fused, texts)
    if args.scale:
        out["scale"] = scale_run(base_cfg, args.home.parent / f"scale-{args.scale}", args.scale,
                                 args.data / "corpus.jsonl", texts)

    print(f"\nSciFact test, {len(qids)} queries ({out['ingest']['points']} chunks), hybrid = {out['fusion']} fusion")
    print(f"{'mode':<28}{'nDCG@10':>9}{'R@100':>9}{'MRR@10':>9}")
    for mode, row in out["quality"].items():
        print(f"{mode:<28}{row['ndcg@10']:>9.4f}{row['recall@100']:>9.4f}{row['mrr@10']:>9.4f}")
    print("\nlatency per query (ms):")
    for stage, p in out["latency_ms"].items():
        print(f"  {stage:<18} p50 {p['p50']:>8.2f}   p95 {p['p95']:>8.2f}")
    if "scale" in out:
        s = out["scale"]
        print(f"\nscale: {s['points']} points, ingest {s['ingest_chunks_per_s']} chunks/s, "
              f"index {s['index_bytes_on_disk'] / 1e6:.0f} MB, peak RSS {s['peak_rss_mb']} MB")
        for stage, p in s["latency_ms"].items():
            print(f"  {stage:<18} p50 {p['p50']:>8.2f}   p95 {p['p95']:>8.2f}")
    res_dir = REPO / "bench" / "results"
    res_dir.mkdir(parents=True, exist_ok=True)
    (res_dir / f"retrieval-{out['date']}.json").write_text(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
