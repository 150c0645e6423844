"""Cold-start and embedding latency, torch engine (before) against ONNX engine (after), one run.

    .venv/bin/python bench/latency.py [--repeats 3] [--docs 128] [--queries 40]

Prints the CPU (model name; avx2 / avx512* / amx* / bf16 flags), then:
- `ragkit query` and `ragkit search` cold walls: each a new process over an index that exists (the
  bundled docs/ ingested into a temporary home), with the default config, with reranking off,
  and with reranker weights configured (the shared SciFact cross-encoder, when present: "torch"
  runs it with rerank.engine torch, "onnx" on its ONNX export, made beforehand). "torch" runs with no ONNX export in its cache (what every
  query did before the ONNX engine; auto falls back to torch), "onnx" with the export;
- where a cold query's time goes: its Answer.latency stages, and the heaviest imports
  (`python -X importtime`) of one cold query per engine;
- in this process: warm query-embedding time per engine, ingest-batch encode throughput per
  engine (documents of 256+ word pieces, truncated at the window), and the cosine between engines.
- warm, in this process: `RAG.ask` on the bundled docs (extractive, default config; the README's,
  docs/index.md's and the set-up script's questions and a few more, asked twice, the second round
  counted) p50 / p95 with the mean per stage; `RAG.search` (hybrid, top 10) on SciFact's 300 test
  queries p50 / p95 with its query-embedding and store shares (the index of bench/retrieval.py
  under .ragkit/bench/scifact, built here when absent; `--no-scifact` skips it).
Targets (issue 15, a 2-core AVX2-only CPU): cold query <= 2.5 s, cold search <= 2 s, warm ask
p50 <= 150 ms and p95 <= 400 ms, warm hybrid search p50 <= 15 ms.
Writes bench/results/latency-<date>[-<tag>].json (`--tag`: a second run of the day keeps the first).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

QUESTION = "What is the default RRF constant?"
TARGETS = {"query": 2.5, "search": 2.0}
WARM_TARGETS_MS = {"ask p50": 150.0, "ask p95": 400.0, "search p50": 15.0}
WARM_QUESTIONS = [QUESTION, "How do I scale out to a Qdrant server?", "How does ragkit skip unchanged files?",
                  "What does the reranker do?", "How are citations verified?", "What is the cost ledger?",
                  "How do I run the evaluation?", "Which chunking strategies are there?",
                  "What does ragkit do when the evidence is weak?", "Where are secrets read from?"]
RAGKIT = [sys.executable, "-m", "ragkit.cli"]


def cpu_line() -> tuple[str, list[str]]:
    from ragkit.models.precision import cpu_flags

    name = platform.processor() or platform.machine()
    try:
        for line in open("/proc/cpuinfo", encoding="utf-8"):
            if line.startswith("model name"):
                name = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    keep = sorted(f for f in cpu_flags() if f == "avx2" or f.startswith(("avx512", "amx")) or "bf16" in f)
    return f"{name} ({os.cpu_count()} logical CPUs, {platform.machine()})", keep


def homes(tmp: Path) -> dict[str, dict[str, str]]:
    """Environment per engine: the same XDG cache layout, with or without the ONNX export."""
    from ragkit.models.embedders import onnx_cache
    from ragkit.models.embedders.model_folder import resolve_model_path
    from ragkit.models.embedders.onnx_export import export

    real_root = onnx_cache.cache_root()
    model_file = export(resolve_model_path("all-MiniLM-L6-v2"), root=real_root)  # a no-op when set up
    envs = {}
    for engine in ("torch", "onnx"):
        xdg = tmp / f"xdg-{engine}"
        (xdg / "ragkit").mkdir(parents=True)
        if engine == "onnx":
            (xdg / "ragkit" / "onnx").symlink_to(real_root, target_is_directory=True)
        envs[engine] = {"XDG_CACHE_HOME": str(xdg), "RAGKIT_HOME": str(tmp / "home")}
    hf = os.environ.get("HF_HOME") or str(Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "huggingface")
    for env in envs.values():
        env["HF_HOME"] = hf  # both engines see the user's Hugging Face cache (the reranker looks there)
    print(f"ONNX export: {model_file}")
    return envs


def run(args: list[str], env: dict[str, str], cwd: Path) -> tuple[float, subprocess.CompletedProcess]:
    full = {k: v for k, v in os.environ.items() if not k.startswith("RAGKIT_")}
    full.update(env)
    t = time.perf_counter()
    out = subprocess.run(args, env=full, cwd=cwd, capture_output=True, text=True, timeout=600)
    wall = time.perf_counter() - t
    if out.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed ({out.returncode}):\n{out.stderr[-2000:]}")
    return wall, out


def cold_runs(envs, tmp: Path, repeats: int) -> dict:
    """Median and min wall per (command, config, engine); engines alternate run by run."""
    cases = {"query": RAGKIT + ["query", QUESTION, "--json"], "search": RAGKIT + ["search", QUESTION, "--json"]}
    configs: dict[str, dict] = {"defaults": {}, "rerank off": {"RAGKIT_RERANK__ENABLED": "false"}}
    ce = shared_cross_encoder()
    if ce is not None:  # weights configured: the reranker's own engine (exported beforehand for "onnx")
        from ragkit.models.cross_encoder_onnx import export

        export(ce)
        configs["reranker weights"] = {"RAGKIT_RERANK__MODEL": str(ce)}
    out: dict = {}
    for cfg_name, extra in configs.items():
        for cmd, args in cases.items():
            walls: dict[str, list[float]] = {"torch": [], "onnx": []}
            detail: dict[str, dict] = {}
            for i in range(repeats + 1):  # the first round warms the file cache, not counted
                for engine in ("torch", "onnx"):
                    pinned = {"RAGKIT_RERANK__ENGINE": "torch"} if engine == "torch" else {}
                    wall, proc = run(args, {**envs[engine], **extra, **pinned}, tmp)
                    fell_back = "runs on torch" in proc.stderr
                    if fell_back != (engine == "torch"):
                        raise SystemExit(f"{engine} run did not run {engine}: {proc.stderr[-500:]}")
                    if i:
                        walls[engine].append(wall)
                        data = json.loads(proc.stdout)
                        detail[engine] = data.get("latency") or data.get("timings_ms") or {}
            out[(cmd, cfg_name)] = {e: {"median": statistics.median(w), "min": min(w), "stages": detail[e]}
                                    for e, w in walls.items()}
    return out


def shared_cross_encoder() -> Path | None:
    from ragkit.evals.beir import shared_dir

    ce = shared_dir() / "models" / "scifact-minilm-ce"
    return ce if (ce / "config.json").is_file() else None


def heaviest_imports(env, tmp: Path, top: int = 8) -> list[tuple[str, float]]:
    """Top-level imports of one cold `ragkit query` (rerank off) by cumulative seconds."""
    _, proc = run([sys.executable, "-X", "importtime"] + RAGKIT[1:] + ["query", QUESTION, "--json"],
                  {**env, "RAGKIT_RERANK__ENABLED": "false"}, tmp)
    rows = []
    for line in proc.stderr.splitlines():
        m = re.match(r"import time:\s+(\d+) \|\s+(\d+) \| (\S.*)$", line)  # a top-level module: no indent
        if m and not m.group(3).startswith(" "):
            rows.append((m.group(3), int(m.group(2)) / 1e6))
    return sorted(rows, key=lambda r: -r[1])[:top]


def corpus_docs(n: int) -> list[str]:
    words = " ".join(p.read_text(encoding="utf-8") for p in sorted((REPO / "docs").rglob("*.md"))).split()
    return [" ".join(words[(i * 300) % max(1, len(words) - 300):][:300]) for i in range(n)]


def mixed_sentences(n: int = 42) -> list[str]:
    """Sentences of docs/ of spread lengths, like the context sentences a query's answer checks."""
    text = " ".join(p.read_text(encoding="utf-8") for p in sorted((REPO / "docs").rglob("*.md")))
    sents = sorted({s.strip() for s in re.split(r"(?<=[.!?])\s+|\n\n", text) if len(s.strip()) > 10}, key=len)
    return [sents[int(i * (len(sents) - 1) / (n - 1))] for i in range(n)]


def in_process(n_docs: int, n_queries: int) -> dict:
    import numpy as np

    from ragkit.models.embedders.local import LocalEmbedder
    from ragkit.models.precision import native_bf16_cpu

    docs = corpus_docs(n_docs)
    mixed = mixed_sentences()
    queries = [f"{q} ({i})" for i, q in enumerate(
        ["What is the default RRF constant?", "How do I scale out to a Qdrant server?", "Which fusion is default?",
         "How are chunks capped at the window?", "Where does the ledger live?"] * (n_queries // 5 + 1))][:n_queries]
    engines = {"onnx": LocalEmbedder(engine="onnx"), "torch fp32": LocalEmbedder(engine="torch", precision="float32"),
               "torch bf16": LocalEmbedder(engine="torch", precision="bfloat16")}
    auto = LocalEmbedder()
    counts = engines["onnx"].count_tokens(docs)
    res: dict = {"docs": len(docs), "min word pieces": min(counts), "native bf16": native_bf16_cpu(),
                 "auto engines (queries, bulk)": list(auto.engines), "throughput": {}, "query ms": {}, "vectors": {},
                 "mixed": {"texts": len(mixed), "word pieces": sorted(engines["onnx"].count_tokens(mixed))}, "mixed s": {}}
    for name, e in engines.items():
        e.embed(docs[:16])
        best = min(timed(lambda e=e: e.embed(docs)) for _ in range(2))
        res["throughput"][name] = len(docs) / best
        res["mixed s"][name] = min(timed(lambda e=e: e.embed(mixed)) for _ in range(2))
        per = [timed(lambda q=q, e=e: e.embed([q])) * 1000 for q in queries]
        res["query ms"][name] = {"p50": statistics.median(per), "p95": float(np.percentile(per, 95))}
        res["vectors"][name] = (e.embed(docs), np.vstack([e.embed([q]) for q in queries]))
    cos = {}
    for other in ("torch fp32", "torch bf16"):
        d = (res["vectors"]["onnx"][0] * res["vectors"][other][0]).sum(1)
        q = (res["vectors"]["onnx"][1] * res["vectors"][other][1]).sum(1)
        cos[f"onnx vs {other}"] = {"docs min": float(d.min()), "docs mean": float(d.mean()), "queries min": float(q.min())}
    res["cosine"] = cos
    del res["vectors"]
    return res


def _pcts(ms: list[float]) -> dict[str, float]:
    import numpy as np

    return {"p50": round(statistics.median(ms), 2), "p95": round(float(np.percentile(ms, 95)), 2), "n": len(ms)}


def warm_ask(home: Path) -> dict:
    """Warm `RAG.ask` over the docs index in `home`, per stage: the first round (models loaded by one
    unrelated question, so each question's chunks are new to the per-chunk caches: what a user's
    next new question costs) and the second round (the same questions again: chunk caches filled)."""
    from ragkit.rag import RAG

    def one_round(rag) -> dict:
        total, stages = [], {}
        for q in WARM_QUESTIONS:
            t = time.perf_counter()
            ans = rag.ask(q)
            total.append((time.perf_counter() - t) * 1000)
            for k, v in ans.latency.items():
                stages.setdefault(k, []).append(v * 1000)
        return {"total ms": _pcts(total), "stage mean ms": {k: round(statistics.mean(v), 2) for k, v in stages.items()}}

    with RAG({"home": str(home)}) as rag:
        rag.ask("Which file formats can be loaded?")  # loads the models; not one of the questions
        first = one_round(rag)
        second = one_round(rag)
    return {**second, "first round": first}


def warm_search_scifact(home: Path) -> dict | None:
    """Warm hybrid `RAG.search` (top 10) on SciFact's test queries; builds the index when absent."""
    sys.path.insert(0, str(REPO / "bench"))
    from retrieval import drop_stale, load_qrels, load_queries, scifact_dir

    from ragkit.rag import RAG

    data = scifact_dir()
    if not (data / "corpus.jsonl").is_file():
        return None
    queries, qrels = load_queries(data / "queries.jsonl"), load_qrels(data / "qrels" / "test.tsv")
    texts = [queries[q] for q in qrels if q in queries]
    cfg = {"rerank": {"enabled": False}, "home": str(home)}
    drop_stale(cfg, data / "corpus.jsonl")
    with RAG(cfg) as rag:
        t = time.perf_counter()
        rep = rag.ingest([data / "corpus.jsonl"])
        built = time.perf_counter() - t
        rag.search("warm up", top_k=10)
        total, emb, store = [], [], []
        for q in texts:
            t = time.perf_counter()
            res = rag.retriever.search(q, top_k=10)
            total.append((time.perf_counter() - t) * 1000)
            emb.append(res.timings["embed"] * 1000)
            store.append(res.timings["search"] * 1000)
    return {"queries": len(texts), "ingest s (0 when the index existed)": round(built, 1) if rep.added else 0.0,
            "total ms": _pcts(total), "query embedding ms": _pcts(emb), "store search ms": _pcts(store)}


def timed(fn) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=3, help="cold runs per engine and case (after one warm-up)")
    ap.add_argument("--docs", type=int, default=128, help="documents for the encode throughput")
    ap.add_argument("--queries", type=int, default=40)
    ap.add_argument("--no-scifact", action="store_true", help="skip the warm SciFact search figures")
    ap.add_argument("--no-write", action="store_true", help="print only (CI prints its machine's figures)")
    ap.add_argument("--tag", help="results file suffix: latency-<date>-<tag>.json")
    ap.add_argument("--scifact-home", type=Path, default=REPO / ".ragkit" / "bench" / "scifact")
    args = ap.parse_args()

    cpu, flags = cpu_line()
    print(f"CPU: {cpu}\nflags: {' '.join(flags) or '(none of avx2/avx512*/amx*/bf16)'}")
    import onnxruntime
    import torch

    print(f"python {platform.python_version()}, onnxruntime {onnxruntime.__version__}, torch {torch.__version__}, "
          f"load average {os.getloadavg()[0]:.2f}")
    tmp = Path(tempfile.mkdtemp(prefix="ragkit-bench-latency-"))
    try:
        envs = homes(tmp)
        t_ingest, _ = run(RAGKIT + ["ingest", str(REPO / "docs")], envs["onnx"], tmp)
        print(f"ragkit ingest docs/ (engine auto, ONNX export present): {t_ingest:.1f} s\n")
        cold = cold_runs(envs, tmp, args.repeats)
        imports = {e: heaviest_imports(envs[e], tmp) for e in ("torch", "onnx")}
        warm = {"ask (docs)": warm_ask(tmp / "home")}
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    print(f"cold wall, new process, index exists (median / min of {args.repeats}):")
    print(f"  {'case':<34}{'torch (before)':>16}{'onnx (after)':>16}{'ratio':>8}{'target':>9}")
    for (cmd, cfg_name), r in cold.items():
        t, o = r["torch"]["median"], r["onnx"]["median"]
        mark = "ok" if o <= TARGETS[cmd] else "over"
        print(f"  ragkit {cmd:<7}({cfg_name:<16})  {t:6.2f} / {r['torch']['min']:5.2f}  {o:6.2f} / {r['onnx']['min']:5.2f}"
              f"{t / o:7.1f}x  <= {TARGETS[cmd]} {mark}")
    print("\nwhere a cold query's time goes (rerank off; stages from Answer.latency, ms):")
    for engine in ("torch", "onnx"):
        r = cold[("query", "rerank off")][engine]
        stages = ", ".join(f"{k} {float(v) * 1000:.0f}" for k, v in r["stages"].items())
        print(f"  {engine:<6} wall {r['median'] * 1000:.0f}; in ask: {stages}; "
              f"outside ask (start, imports, config, print): {(r['median'] - float(r['stages'].get('total', 0))) * 1000:.0f}")
    for engine, rows in imports.items():
        print(f"  heaviest imports, {engine}: " + ", ".join(f"{n} {s:.2f} s" for n, s in rows))

    if not args.no_scifact:
        warm["search (SciFact)"] = warm_search_scifact(args.scifact_home)
    a = warm["ask (docs)"]
    print(f"\nwarm RAG.ask, bundled docs, {a['total ms']['n']} questions (second round): "
          f"p50 {a['total ms']['p50']:.0f} ms (target <= {WARM_TARGETS_MS['ask p50']:.0f}"
          f" {'ok' if a['total ms']['p50'] <= WARM_TARGETS_MS['ask p50'] else 'over'}), "
          f"p95 {a['total ms']['p95']:.0f} ms (target <= {WARM_TARGETS_MS['ask p95']:.0f}"
          f" {'ok' if a['total ms']['p95'] <= WARM_TARGETS_MS['ask p95'] else 'over'})")
    print("  mean per stage: " + ", ".join(f"{k} {v:.1f} ms" for k, v in a["stage mean ms"].items()))
    f_ = a["first round"]
    print(f"  first round (models loaded, each question's chunks new to the caches): p50 {f_['total ms']['p50']:.0f} ms, "
          f"p95 {f_['total ms']['p95']:.0f} ms; mean per stage: "
          + ", ".join(f"{k} {v:.1f} ms" for k, v in f_["stage mean ms"].items()))
    s_ = warm.get("search (SciFact)")
    if s_:
        print(f"warm RAG.search hybrid top 10, SciFact, {s_['queries']} queries: p50 {s_['total ms']['p50']:.1f} ms "
              f"(target <= {WARM_TARGETS_MS['search p50']:.0f}"
              f" {'ok' if s_['total ms']['p50'] <= WARM_TARGETS_MS['search p50'] else 'over'}), "
              f"p95 {s_['total ms']['p95']:.1f} ms; query embedding p50 {s_['query embedding ms']['p50']:.1f} ms, "
              f"store p50 {s_['store search ms']['p50']:.1f} ms")
    elif not args.no_scifact:
        print("warm SciFact search: skipped (no SciFact data found)")

    res = in_process(args.docs, args.queries)
    print(f"\nin process ({res['docs']} docs of >= {res['min word pieces']} word pieces, truncated at 256; "
          f"native bf16: {res['native bf16']}; auto runs {res['auto engines (queries, bulk)'][0]} for queries, "
          f"{res['auto engines (queries, bulk)'][1]} for bulk batches):")
    tp, qm = res["throughput"], res["query ms"]
    base = "torch bf16" if res["native bf16"] else "torch fp32"  # what torch's precision auto runs here
    for name in tp:
        label = name + (" (emulated)" if name == "torch bf16" and not res["native bf16"] else "")
        print(f"  {label:<11} encode {tp[name]:6.1f} docs/s ({tp[name] / tp[base]:4.2f}x {base}); "
              f"warm query {qm[name]['p50']:5.1f} ms p50, {qm[name]['p95']:5.1f} ms p95 "
              f"({qm[base]['p50'] / qm[name]['p50']:4.2f}x faster than {base})")
    pieces = res["mixed"]["word pieces"]
    print(f"  {res['mixed']['texts']} mixed sentences ({pieces[0]}-{pieces[-1]} word pieces, a query's context): "
          + ", ".join(f"{k} {v * 1000:.0f} ms" for k, v in res["mixed s"].items()))
    for pair, c in res["cosine"].items():
        print(f"  cosine {pair}: docs min {c['docs min']:.8f}, mean {c['docs mean']:.8f}; queries min {c['queries min']:.8f}")

    if args.no_write:
        return
    out = REPO / "bench" / "results" / f"latency-{dt.date.today().isoformat()}{'-' + args.tag if args.tag else ''}.json"
    out.write_text(json.dumps({"cpu": cpu, "flags": flags, "ingest_s": t_ingest,
                               "cold": {f"{c} ({k})": v for (c, k), v in cold.items()},
                               "imports": imports, "warm": warm, "in_process": res}, indent=2, default=str) + "\n")
    print(f"\nwrote {out.relative_to(REPO)}")


if __name__ == "__main__":
    main()
