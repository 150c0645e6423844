"""Issue 15: abstain on questions whose topic is in the corpus but whose answer is not.

    python bench/answerability.py [--n 1500] [--seed 0] [--target 0.08] [--margin 0.015] [--tag T]

Protocol: bench/calibrate_abstention.py's (SQuAD 2.0 dev, the EVEN articles ingested, no
reranker, the calibration / evaluation halves by a hash of the question id). On the CALIBRATION
half: a seeded sample of answerable and of in-corpus unanswerable questions, each retrieved as
`RAG.ask` retrieves it; features are `evidence_features` plus
`ragkit.answer.answerability.answerability_features`; a logistic model (L2, standardised features,
Newton steps, numpy) of "answerable" is fitted, and its threshold is the highest probability that
keeps the answerable questions abstained on (by the existing gate or the new check) at most
target - margin. On the EVALUATION half (never used to fit): the same-size samples plus the
out-of-corpus questions, and the three rates with the existing gate alone and with the new check:
in-corpus unanswerable abstained (target >= 0.40), answerable wrongly abstained (<= 0.08),
out-of-corpus abstained (kept). Feature level, no generator: bench/squad_qa.py measures the whole
`ask`. Prints the AnswerConfig lines and writes bench/results/answerability-<date>[-<tag>].json.
"""

from __future__ import annotations

import argparse
from dataclasses import replace
import datetime as dt
import json
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from calibrate_abstention import GROUPS, features_for, half_items, open_rag, rag_config, squad_articles  # noqa: E402

from ragkit.answer.answerability import answerability  # noqa: E402
from ragkit.config.abstention import ANSWERABILITY_FEATURES  # noqa: E402
from ragkit.answer.evidence_gate import AbstentionThresholds, abstain_reason  # noqa: E402
from ragkit.config.app import AnswerConfig  # noqa: E402

EVIDENCE = ("window_overlap", "dense_top", "fused_top", "overlap_top1", "overlap_top3", "sentence_overlap", "name_overlap",
            "score_margin")


def matrix(feats: list[dict[str, float]], keys: list[str]) -> np.ndarray:
    return np.array([[f.get(k, 0.0) for k in keys] for f in feats], dtype=np.float64)


def fit_logistic(x: np.ndarray, y: np.ndarray, l2: float = 1.0, steps: int = 30) -> tuple[np.ndarray, float, np.ndarray, np.ndarray]:
    """Weights and intercept in the ORIGINAL feature units (fitted on standardised ones)."""
    mu, sd = x.mean(0), x.std(0) + 1e-9
    z = np.hstack([np.ones((len(x), 1)), (x - mu) / sd])
    w = np.zeros(z.shape[1])
    reg = np.full(z.shape[1], l2)
    reg[0] = 0.0
    for _ in range(steps):
        p = 1 / (1 + np.exp(-z @ w))
        g = z.T @ (p - y) + reg * w
        h = (z * (p * (1 - p))[:, None]).T @ z + np.diag(reg)
        w -= np.linalg.solve(h, g)
    coef = w[1:] / sd
    return coef, float(w[0] - (w[1:] * mu / sd).sum()), mu, sd


def highest_threshold(p: np.ndarray, gated: np.ndarray, budget: float, candidates=None, floor: float = 0.0) -> float:
    """The highest of `candidates` (default: the distinct values of p) that keeps the share
    abstained on, by the gate or by p below it, within `budget`; `floor` when none does."""
    best = floor
    for t in np.unique(p) if candidates is None else candidates:
        if np.mean(gated | (p < t)) <= budget:
            best = float(t)
    return best


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=1500, help="questions per group and half")
    ap.add_argument("--ooc", type=int, default=600)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--target", type=float, default=0.08)
    ap.add_argument("--margin", type=float, default=0.015)
    ap.add_argument("--tag")
    args = ap.parse_args(argv)
    articles = squad_articles()
    if articles is None:
        return 2
    sizes = {"answerable": args.n, "in_corpus_unanswerable": args.n, "out_of_corpus": args.ooc}
    t0 = time.perf_counter()
    cal_items = half_items(articles, "calib", sizes, args.seed)
    ev_items = half_items(articles, "eval", sizes, args.seed)
    rag = open_rag(articles, rag_config())
    try:
        cal = {g: features_for(rag, [it.question for it in cal_items[g]]) for g in GROUPS}
        ev = {g: features_for(rag, [it.question for it in ev_items[g]]) for g in GROUPS}
    finally:
        rag.close()
    gate = replace(AbstentionThresholds.from_config(AnswerConfig()), min_answerable=None)  # the gate before

    def gated(fs):
        return np.array([abstain_reason(f, gate)[0] for f in fs])

    keys = list(ANSWERABILITY_FEATURES) + list(EVIDENCE)
    xa, xu = matrix(cal["answerable"], keys), matrix(cal["in_corpus_unanswerable"], keys)
    x = np.vstack([xa, xu])
    y = np.r_[np.ones(len(xa)), np.zeros(len(xu))]
    coef, b, _, _ = fit_logistic(x, y)
    weights = {k: round(float(c), 6) for k, c in zip(keys, coef)}
    b = round(b, 6)

    def prob(fs):
        return np.array([answerability(f, weights, b) or 0.0 for f in fs])

    pa, ga = prob(cal["answerable"]), gated(cal["answerable"])
    threshold = round(highest_threshold(pa, ga, args.target - args.margin, np.unique(np.round(pa, 4))), 4)

    def rates(fs):
        g, p = gated(fs), prob(fs)
        return {"gate": float(np.mean(g)), "gate_and_answerability": float(np.mean(g | (p < threshold)))}

    out = {
        "date": dt.date.today().isoformat(), "script": "bench/answerability.py", "argv": argv or sys.argv[1:],
        "weights": weights, "intercept": b, "threshold": threshold,
        "calibration": {g: rates(cal[g]) for g in GROUPS}, "evaluation": {g: rates(ev[g]) for g in GROUPS},
        "n": {g: len(ev[g]) for g in GROUPS}, "seconds": round(time.perf_counter() - t0, 1),
    }
    auc = _auc(prob(ev["answerable"]), prob(ev["in_corpus_unanswerable"]))
    out["evaluation_auc"] = auc
    print("weights (original units):")
    for k, w in weights.items():
        print(f"  {k:18s} {w:+.4f}")
    print(f"  intercept          {b:+.4f}; threshold P(answerable) >= {threshold}")
    print(f"AUC answerable vs in-corpus unanswerable, evaluation half: {auc:.3f}")
    for half in ("calibration", "evaluation"):
        r = out[half]
        print(f"{half}: in-corpus unanswerable abstained {r['in_corpus_unanswerable']['gate']:.3f} -> "
              f"{r['in_corpus_unanswerable']['gate_and_answerability']:.3f} (>= 0.40); answerable wrongly "
              f"{r['answerable']['gate']:.3f} -> {r['answerable']['gate_and_answerability']:.3f} (<= 0.08); "
              f"out of corpus {r['out_of_corpus']['gate']:.3f} -> {r['out_of_corpus']['gate_and_answerability']:.3f}")
    print("AnswerConfig (ragkit/config/app.py):")
    print(f"    abstain_min_answerable = {threshold}")
    print(f"    abstain_answerability_weights = {{{', '.join(f'{k!r}: {w}' for k, w in weights.items() if w)}}}")
    print(f"    abstain_answerability_intercept = {b}")
    res = REPO / "bench" / "results" / f"answerability-{out['date']}{'-' + args.tag if args.tag else ''}.json"
    res.write_text(json.dumps(out, indent=2) + "\n")
    print(f"wrote {res.relative_to(REPO)} ({out['seconds']} s)")
    return 0


def _auc(pos: np.ndarray, neg: np.ndarray) -> float:
    allv = np.r_[pos, neg]
    ranks = allv.argsort().argsort() + 1
    return float((ranks[:len(pos)].sum() - len(pos) * (len(pos) + 1) / 2) / (len(pos) * len(neg)))


if __name__ == "__main__":
    sys.exit(main())
