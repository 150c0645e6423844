"""Store search latency: Edge (plain and HNSW) and qdrant-client local mode, SciFact and 100k points.

    python bench/index_search.py [--emb CORPUS.npy --qemb QUERIES.npy] [--scale 100000] [--threads 2]

Dense vectors: precomputed MiniLM embeddings of the SciFact corpus and queries when given
(`--emb`, `--qemb`, rows in corpus/query file order), else computed here with LocalEmbedder.
The 100k run grows the corpus with filler points: each a SciFact embedding plus noise
(renormalised) and a text of words drawn from the corpus vocabulary. Prints p50/p95 per query
of the store call alone (no query embedding), for dense, sparse and hybrid top-10 with 100
candidates per branch, and ratios against Edge's plain dense search measured in the same run.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
import uuid
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from ragkit.index.edge_store import EdgeStore  # noqa: E402
from ragkit.index.sparse import BM25Encoder  # noqa: E402
from ragkit.types import Chunk  # noqa: E402


def shared_dir() -> Path:
    return Path(os.environ.get("RAGKIT_SHARED_DIR", REPO.parent / "shared")).resolve()


def load_scifact(base: Path):
    docs = [json.loads(line) for line in (base / "corpus.jsonl").open()]
    queries = {q["_id"]: q["text"] for q in map(json.loads, (base / "queries.jsonl").open())}
    test_ids = sorted({line.split("\t")[0] for line in (base / "qrels" / "test.tsv").open() if line[0].isdigit()}, key=int)
    return docs, queries, test_ids


class Rows(list):
    """Result lines, printed as they come (a run cut short still shows what it measured)."""

    def append(self, line: str) -> None:
        print(line, flush=True)
        super().append(line)


def pct(xs, p):
    return float(np.percentile(np.asarray(xs) * 1000, p))


def timed(fn, queries, warm=20):
    for q in queries[:warm]:
        fn(q)
    out = []
    for q in queries:
        t = time.perf_counter()
        fn(q)
        out.append(time.perf_counter() - t)
    return out


def measure(store, qd, qs, label, rows, base_ms=None, exact=None):
    idx = list(range(len(qs)))
    res = {}
    for mode in ("dense", "sparse", "hybrid"):
        def run(i, mode=mode):
            store.search(qd[i] if mode != "sparse" else None, qs[i] if mode != "dense" else None,
                         top_k=10, candidates=100, exact=exact)
        t = timed(run, idx)
        res[mode] = (pct(t, 50), pct(t, 95))
    t0 = time.perf_counter()
    store.search_batch(qd, qs, top_k=10, candidates=100, exact=exact)
    batch_ms = (time.perf_counter() - t0) * 1000 / len(qs)
    base = base_ms or res["dense"][0]
    for mode, (p50, p95) in res.items():
        rows.append(f"{label:<34} {mode:<7} p50 {p50:7.2f} ms  p95 {p95:7.2f} ms  x{p50 / base:6.2f} vs edge-plain dense")
    rows.append(f"{label:<34} hybrid batched: {batch_ms:.2f} ms per query")
    return res


def filler(docs_texts, emb, n, rng):
    vocab = np.array(" ".join(docs_texts[:2000]).split())
    lens = rng.integers(60, 260, size=n)
    words = vocab[rng.integers(0, len(vocab), size=int(lens.sum()))]
    ends = np.cumsum(lens)
    texts = [" ".join(words[e - k:e]) for e, k in zip(ends, lens)]
    src = rng.integers(0, emb.shape[0], size=n)
    vec = emb[src] + rng.normal(scale=0.05, size=(n, emb.shape[1])).astype(np.float32)
    vec /= np.linalg.norm(vec, axis=1, keepdims=True)
    return texts, vec.astype(np.float32)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--emb")
    ap.add_argument("--qemb")
    ap.add_argument("--data", default=str(shared_dir() / "data" / "scifact"))
    ap.add_argument("--scale", type=int, default=100_000)
    ap.add_argument("--threads", type=int, default=None, help="Edge search threads (default: the engine's)")
    ap.add_argument("--qdrant-local", action="store_true", help="also time qdrant-client's :memory: mode")
    args = ap.parse_args()

    docs, queries, test_ids = load_scifact(Path(args.data))
    texts = [f"{d['title']} {d['text']}" for d in docs]
    qtexts = [queries[q] for q in test_ids]
    if args.emb:
        emb = np.load(args.emb).astype(np.float32)
        all_q = list(queries)
        qemb = np.load(args.qemb).astype(np.float32)[[all_q.index(q) for q in test_ids]]
    else:
        from ragkit.models.embedders.local import LocalEmbedder

        e = LocalEmbedder()
        emb, qemb = e.embed(texts), e.embed(qtexts)
    rows = Rows()
    rows.append(f"cpus visible: {len(os.sched_getaffinity(0))}; {len(docs)} SciFact docs, {len(qtexts)} queries")
    enc = BM25Encoder()
    t = time.perf_counter()
    sparse = enc.encode_documents(texts)
    rows.append(f"BM25 encode: {len(texts) / (time.perf_counter() - t):.0f} docs/s")
    qs = enc.encode_queries(qtexts)
    chunks = [Chunk(str(uuid.uuid5(uuid.NAMESPACE_URL, d["_id"])), d["_id"], tx, 0, len(tx), 0, d["_id"]) for d, tx in zip(docs, texts)]

    tmp = Path(tempfile.mkdtemp(prefix="ragkit-bench-"))
    try:
        store = EdgeStore(tmp / "scifact", search_threads=args.threads)
        store.ensure_collection(emb.shape[1])
        t = time.perf_counter()
        store.upsert(chunks, emb, sparse)
        rows.append(f"edge upsert {len(chunks)} points: {time.perf_counter() - t:.2f} s")
        base = measure(store, qemb, qs, f"edge plain {len(chunks)}", rows)["dense"][0]
        measure(store, qemb, qs, f"edge plain {len(chunks)} exact", rows, base, exact=True)
        t = time.perf_counter()
        store.optimize()
        rows.append(f"edge optimize {len(chunks)}: {time.perf_counter() - t:.2f} s, segments {store._shard.info().segments_count}")
        measure(store, qemb, qs, f"edge optimized {len(chunks)}", rows, base)
        store.close()

        if args.qdrant_local:
            from ragkit.index.qdrant_store import QdrantStore

            q = QdrantStore(":memory:", "bench")
            q.ensure_collection(emb.shape[1])
            t = time.perf_counter()
            q.upsert(chunks, emb, sparse)
            rows.append(f"qdrant-client :memory: upsert {len(chunks)}: {time.perf_counter() - t:.2f} s")
            few = 60
            measure(q, qemb[:few], qs[:few], f"qdrant :memory: {len(chunks)}", rows, base)
            q.close()

        if args.scale > len(chunks):
            rng = np.random.default_rng(0)
            n = args.scale - len(chunks)
            ftexts, fvec = filler(texts, emb, n, rng)
            fsparse = enc.encode_documents(ftexts)
            fchunks = [Chunk(str(uuid.uuid4()), f"filler/{i // 10}.txt", tx, 0, len(tx), i % 10, f"f{i // 10}") for i, tx in enumerate(ftexts)]
            big = EdgeStore(tmp / "big", search_threads=args.threads)
            big.ensure_collection(emb.shape[1])
            t = time.perf_counter()
            big.upsert(chunks + fchunks, np.vstack([emb, fvec]), sparse + fsparse)
            up = time.perf_counter() - t
            big.flush()
            size = sum(f.stat().st_blocks * 512 for f in (tmp / "big").rglob("*") if f.is_file()) / 2**20
            rows.append(f"edge upsert {args.scale} points: {up:.1f} s ({args.scale / up:.0f} points/s), {size:.0f} MiB on disk, "
                        f"segments {big._shard.info().segments_count}")
            measure(big, qemb, qs, f"edge plain {args.scale}", rows, base)
            big.close()
            t = time.perf_counter()
            big.count()  # reopen: WAL replay + segment load
            rows.append(f"edge reopen {args.scale}: {(time.perf_counter() - t) * 1000:.0f} ms")
            t = time.perf_counter()
            big.optimize()
            rows.append(f"edge optimize {args.scale}: {time.perf_counter() - t:.1f} s, segments {big._shard.info().segments_count}")
            measure(big, qemb, qs, f"edge optimized (HNSW) {args.scale}", rows, base)
            measure(big, qemb, qs, f"edge optimized {args.scale} exact", rows, base, exact=True)
            # recall of the HNSW dense top-10 against exact search
            a = big.search_batch(qemb, None, top_k=10, candidates=10)
            b = big.search_batch(qemb, None, top_k=10, candidates=10, exact=True)
            rec = np.mean([len({h.chunk.chunk_id for h in x} & {h.chunk.chunk_id for h in y}) / 10 for x, y in zip(a, b)])
            rows.append(f"HNSW dense recall@10 vs exact at {args.scale}: {rec:.3f}")
            big.close()
            t = time.perf_counter()
            big.count()
            rows.append(f"edge reopen optimized {args.scale}: {(time.perf_counter() - t) * 1000:.0f} ms")
            big.delete_where({"source": {"glob": "filler/1*"}})
            t = time.perf_counter()
            big.optimize()
            rows.append(f"edge optimize after deleting {args.scale - big.count()} points: {time.perf_counter() - t:.1f} s")
            big.close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
