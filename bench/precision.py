"""float32 against bfloat16 autocast for the local models, on this machine, in one process.

    .venv/bin/python bench/precision.py [--docs 600] [--queries 20]

Embedder: SciFact abstracts (title + text) per second at each precision, and the cosine between
the two vectors of each abstract. Cross-encoder (when ../shared/models/scifact-minilm-ce exists):
seconds per query for 30 candidates, the largest score difference, and how often the top 3 agree.
Also says whether `precision: auto` picks bf16 here. Prints a table; writes nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")


def timed(fn):
    t = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--docs", type=int, default=600)
    ap.add_argument("--queries", type=int, default=20)
    args = ap.parse_args()
    import numpy as np

    from ragkit.models.embedders.local import LocalEmbedder
    from ragkit.models.precision import native_bf16_cpu, resolve_precision
    from ragkit.evals.beir import scifact_dir, shared_dir
    from ragkit.retrieve.rerank import CrossEncoderReranker

    data = scifact_dir()
    docs = []
    with open(data / "corpus.jsonl", encoding="utf-8") as f:
        for line in f:
            d = json.loads(line)
            docs.append(f"{d['title']}\n{d['text']}")
            if len(docs) >= args.docs:
                break
    rows = [("native bf16 on this CPU", native_bf16_cpu()), ("auto resolves to", resolve_precision("auto", "cpu"))]

    emb = {p: LocalEmbedder(precision=p) for p in ("float32", "bfloat16")}
    vecs, secs = {}, {}
    for p, e in emb.items():
        e.embed(docs[:32])  # load and warm up
    for p, e in emb.items():
        vecs[p], secs[p] = timed(lambda e=e: e.embed(docs))
    cos = (vecs["float32"] * vecs["bfloat16"]).sum(1)
    rows += [
        ("embed float32 (abstracts/s)", round(len(docs) / secs["float32"], 1)),
        ("embed bfloat16 (abstracts/s)", round(len(docs) / secs["bfloat16"], 1)),
        ("embed speed-up bf16 / fp32", round(secs["float32"] / secs["bfloat16"], 2)),
        ("cosine fp32 vs bf16: min", round(float(cos.min()), 6)),
        ("cosine fp32 vs bf16: mean", round(float(cos.mean()), 6)),
    ]

    ce_dir = shared_dir() / "models/scifact-minilm-ce"
    if ce_dir.is_dir():
        queries = []
        with open(data / "queries.jsonl", encoding="utf-8") as f:
            queries = [json.loads(line)["text"] for line in f][: args.queries]
        ces = {p: CrossEncoderReranker(str(ce_dir), max_length=256, precision=p) for p in ("float32", "bfloat16")}
        scores = {p: [] for p in ces}
        t = {p: 0.0 for p in ces}
        for p, ce in ces.items():
            ce.score(queries[0], docs[:30])
        for i, q in enumerate(queries):  # alternate precisions query by query
            cands = docs[(i * 30) % len(docs):][:30]
            for p, ce in ces.items():
                s, dt_ = timed(lambda ce=ce, q=q, c=cands: ce.score(q, c))
                scores[p].append(s)
                t[p] += dt_
        diff = max(float(np.abs(a - b).max()) for a, b in zip(scores["float32"], scores["bfloat16"]))
        top3 = np.mean([set(np.argsort(-a)[:3]) == set(np.argsort(-b)[:3]) for a, b in zip(scores["float32"], scores["bfloat16"])])
        rows += [
            ("rerank 30 float32 (s/query)", round(t["float32"] / len(queries), 3)),
            ("rerank 30 bfloat16 (s/query)", round(t["bfloat16"] / len(queries), 3)),
            ("rerank speed-up bf16 / fp32", round(t["float32"] / t["bfloat16"], 2)),
            ("rerank max score difference", round(diff, 4)),
            ("rerank same top-3 set", round(float(top3), 3)),
        ]
    width = max(len(k) for k, _ in rows)
    for k, v in rows:
        print(f"{k:<{width}}  {v}")


if __name__ == "__main__":
    main()
