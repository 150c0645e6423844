"""Checks 1-4 (chunking, metadata, retrieval, reranking) as pure functions over observations.

Each returns a `CheckResult` (see results.py). Checks 5-7 are in checks_answers.py, the rest in
checks_ops.py; runner.evaluate maps a check id to its function.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Sequence

from ragkit.evals.items import EvalItem
from ragkit.evals.metrics import bootstrap_ci, paired_bootstrap_diff, per_query_metrics
from ragkit.evals.observations import AnswerObs, Caps, ChunkObs, SearchObs
from ragkit.evals.results import CheckResult, Measured, finalize
from ragkit.retrieve.rerank import NO_WEIGHTS


@dataclass(frozen=True)
class Boot:
    n: int = 1000
    seed: int = 0
    alpha: float = 0.05


def mean_ci(values: Sequence[float], boot: Boot) -> Measured:
    """The mean with its bootstrap CI; None when there are no values."""
    if not values:
        return Measured(None, None, 0)
    m, lo, hi = bootstrap_ci(list(values), n=boot.n, alpha=boot.alpha, seed=boot.seed)
    return Measured(m, (lo, hi), len(values))


def share(flags: Sequence[bool]) -> Measured:
    return Measured(sum(flags) / len(flags) if flags else None, None, len(flags))


# ---- 1. chunking ----------------------------------------------------------------------------------
def check_chunking(chunks: Sequence[ChunkObs], caps: Caps, thresholds: Mapping[str, Any]) -> CheckResult:
    if not chunks:
        return finalize("chunking", {}, thresholds, skip_reason="the index holds no chunks")
    over = [c for c in chunks if c.tiktoken_tokens > caps.chunk_size
            or (caps.window is not None and c.window_tokens is not None and c.window_tokens > caps.window)]
    ratios = [c.tiktoken_tokens / caps.chunk_size for c in chunks]
    if caps.window:
        ratios += [c.window_tokens / caps.window for c in chunks if c.window_tokens is not None]
    reasons: dict[str, int] = {}
    for c in chunks:
        key = c.boundary or "mid_sentence"
        reasons[key] = reasons.get(key, 0) + 1
    details = {
        "chunks": len(chunks),
        "cap": {"chunk_size_tiktoken": caps.chunk_size, "embedder_window": caps.window},
        "boundary_reasons": dict(sorted(reasons.items())),
        "max_tiktoken_tokens": max(c.tiktoken_tokens for c in chunks),
        "max_window_tokens": max((c.window_tokens or 0) for c in chunks) if caps.window else None,
        "not_at_boundary_examples": [
            {"source": c.source, "index": c.index, "tail": c.tail} for c in chunks if c.boundary is None][:5],
        "over_cap_examples": [{"source": c.source, "index": c.index, "tiktoken": c.tiktoken_tokens,
                               "window": c.window_tokens} for c in over][:5],
    }
    values = {
        "sentence_boundary_share": share([c.boundary is not None for c in chunks]),
        "over_cap_chunks": Measured(float(len(over)), None, len(chunks)),
        "max_tokens_share_of_cap": Measured(max(ratios), None, len(chunks)),
    }
    return finalize("chunking", values, thresholds, details)


# ---- 2. metadata ----------------------------------------------------------------------------------
def check_metadata(chunks: Sequence[ChunkObs], searches: Sequence[SearchObs], answers: Sequence[AnswerObs],
                   items: Sequence[EvalItem], thresholds: Mapping[str, Any]) -> CheckResult:
    if not chunks:
        return finalize("metadata", {}, thresholds, skip_reason="the index holds no chunks")
    paged = [c for c in chunks if c.paged]
    sectioned = [c for c in chunks if c.sectioned]
    filtered = {it.id for it in items if it.filters}
    checked = matched = 0
    exact: list[bool] = []
    empty = 0
    per_query: dict[str, list[int]] = {}
    for obs in [*searches, *answers]:
        if obs.item_id in filtered:
            pq = per_query.setdefault(obs.item_id, [0, 0])
            pq[0] += obs.filter_checked
            pq[1] += obs.filter_matched
    for qid in sorted(filtered):
        c, m = per_query.get(qid, [0, 0])
        checked += c
        matched += m
        if c == 0:
            empty += 1
        exact.append(c == m)
    values: dict[str, Any] = {
        "source_share": share([c.has_source for c in chunks]),
        "page_share": share([c.has_page for c in paged]) if paged else None,
        "section_share": share([c.has_section for c in sectioned]) if sectioned else None,
        "date_share": share([c.has_dates for c in chunks]),
        "filter_precision": Measured(matched / checked if checked else None, None, checked) if filtered else None,
        "filter_queries_exact": share(exact) if filtered else None,
    }
    details = {
        "chunks": len(chunks), "paged_chunks": len(paged), "sectioned_chunks": len(sectioned),
        "filter_queries": len(filtered), "filter_queries_with_no_results": empty,
        "filtered_chunks_checked": checked, "filtered_chunks_matching": matched,
    }
    if not paged:
        details["page_share"] = "no chunk comes from a paged format (PDF)"
    if not filtered:
        details["filters"] = "the query set has no filter questions"
    return finalize("metadata", values, thresholds, details)


# ---- 3. retrieval ---------------------------------------------------------------------------------
def _judged(items: Sequence[EvalItem], searches: Sequence[SearchObs]) -> tuple[dict, dict, dict]:
    by_id = {s.item_id: s for s in searches}
    qrels = {it.id: it.gold for it in items if it.gold and any(g > 0 for g in it.gold.values()) and it.id in by_id}
    return qrels, by_id, {q: by_id[q] for q in qrels}


def check_retrieval(items: Sequence[EvalItem], searches: Sequence[SearchObs], recall_k: int, boot: Boot,
                    thresholds: Mapping[str, Any], depth: tuple[int, int] | None = None) -> CheckResult:
    """`depth`: (chunks fetched first, the deepest re-fetch allowed), reported with the depths used."""
    qrels, _, judged = _judged(items, searches)
    if not qrels:
        return finalize("retrieval", {}, thresholds, skip_reason="no query has gold sources")
    run = {q: s.final for q, s in judged.items()}
    pq = per_query_metrics(run, qrels, ks=sorted({10, recall_k}), metrics=("ndcg", "recall", "mrr"))
    hits = [any(qrels[q].get(d, 0) > 0 for d in s.final[: s.n_final]) for q, s in judged.items()]
    values = {
        "ndcg@10": mean_ci(list(pq["ndcg@10"].values()), boot),
        "recall@k": mean_ci(list(pq[f"recall@{recall_k}"].values()), boot),
        "mrr@10": mean_ci(list(pq["mrr@10"].values()), boot),
        "gold_hit_rate": mean_ci([float(h) for h in hits], boot),
    }
    n_final = sorted({s.n_final for s in judged.values()})
    details = {"queries": len(qrels), "recall_k": recall_k, "gold_hit_at": n_final[0] if len(n_final) == 1 else n_final,
               "reranked_queries": sum(s.reranked for s in judged.values()),
               "ranking": "reranked results, then the remaining first-stage candidates" if any(
                   s.reranked for s in judged.values()) else "first stage (fused)",
               "recall@10": sum(pq["recall@10"].values()) / len(qrels)}
    if depth is not None:
        details["depth"] = depth_details(list(judged.values()), recall_k, *depth)
    return finalize("retrieval", values, thresholds, details)


def depth_details(searches: Sequence[SearchObs], recall_k: int, start: int, cap: int) -> dict[str, Any]:
    """How deep the first stage was fetched for Recall@k: queries fetched deeper than `start`
    because their chunks held fewer than k documents, and queries left with fewer than k
    documents (the index had no more chunks, or `cap` was reached)."""
    used = [s.depth for s in searches] or [start]
    return {"start": start, "cap": cap, "max_used": max(used), "deepened_queries": sum(d > start for d in used),
            "short_of_k": sum(len(s.first_stage) < recall_k for s in searches),
            "note": (f"each query's first {start} chunks are fetched; where they hold fewer than {recall_k} "
                     f"documents the search is repeated at twice the depth (up to {cap} chunks), and the "
                     "documents a deeper search adds rank after the first ones")}


# ---- 4. rerank lift -------------------------------------------------------------------------------
def check_rerank(items: Sequence[EvalItem], searches: Sequence[SearchObs], boot: Boot,
                 thresholds: Mapping[str, Any]) -> CheckResult:
    qrels, _, judged = _judged(items, searches)
    if not qrels:
        return finalize("rerank", {}, thresholds, skip_reason="no query has gold sources")
    if not any(s.reranked for s in judged.values()):
        notes = sorted({s.rerank_note for s in judged.values() if s.rerank_note})
        return finalize("rerank", {}, thresholds, {"rerank_note": notes[0] if notes else None},
                        skip_reason=_not_reranked_reason(notes))
    qids = sorted(qrels)
    with_rr = per_query_metrics({q: judged[q].final for q in qids}, qrels, ks=(10,), metrics=("ndcg", "mrr", "recall"))
    without = per_query_metrics({q: judged[q].first_stage for q in qids}, qrels, ks=(10,),
                                metrics=("ndcg", "mrr", "recall"))
    values: dict[str, Any] = {}
    details: dict[str, Any] = {"queries": len(qids), "alpha": boot.alpha, "bootstrap": boot.n}
    for metric in ("ndcg@10", "mrr@10", "recall@10"):
        a = [with_rr[metric][q] for q in qids]
        b = [without[metric][q] for q in qids]
        d, lo, hi, p = paired_bootstrap_diff(a, b, n=boot.n, alpha=boot.alpha, seed=boot.seed)
        values[f"{metric}_delta"] = Measured(d, (lo, hi), len(qids))
        details[metric] = {"with": sum(a) / len(a), "without": sum(b) / len(b), "delta": d, "ci": [lo, hi],
                           "p_value": p, "significant": lo > 0 or hi < 0}
        if metric == "ndcg@10":
            values["ndcg@10_with"] = mean_ci(a, boot)
            values["ndcg@10_without"] = mean_ci(b, boot)
    return finalize("rerank", values, thresholds, details)


def _not_reranked_reason(notes: Sequence[str]) -> str:
    """Why check 4 measured nothing, in the "not measured: ..." shape of the other checks."""
    if any(NO_WEIGHTS in n for n in notes):
        return f"not measured: {NO_WEIGHTS} (set rerank.model to a local CrossEncoder directory)"
    if notes:
        return f"not measured: no query was reranked: {notes[0]}"
    return "not measured: reranking is disabled in the pipeline config (rerank.enabled: false)"
