"""Checks 8-10: latency per stage against the interactive target, cost per query from the
ledger, and the optional LLM judge's verdicts."""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import numpy as np

from ragkit.evals.checks import Boot, mean_ci
from ragkit.evals.metrics import percentiles
from ragkit.evals.observations import AnswerObs, SearchObs
from ragkit.evals.results import CheckResult, Measured, finalize

STAGES = ("total", "embed", "retrieve", "rerank", "generate", "verify")


def histogram(values: Sequence[float], bins: int = 20) -> dict[str, list[float]]:
    if not values:
        return {"edges": [], "counts": []}
    counts, edges = np.histogram(np.asarray(values, dtype=float), bins=bins)
    return {"edges": [float(e) for e in edges], "counts": [int(c) for c in counts]}


# ---- 8. latency -------------------------------------------------------------------------------------
def stage_samples(answers: Sequence[AnswerObs], searches: Sequence[SearchObs]) -> tuple[dict[str, list[float]], str]:
    """Seconds per stage per query: from the answers when questions were asked (end to end),
    else from the searches (retrieval only: embed, search as retrieve, rerank, total = their sum)."""
    out: dict[str, list[float]] = {}
    done = [a for a in answers if not a.error and a.latency]
    if done:
        for a in done:
            for stage, sec in a.latency.items():
                out.setdefault(stage, []).append(float(sec))
        if "total" not in out:
            out["total"] = [sum(a.latency.values()) for a in done]
        return out, "answers"
    for s in searches:
        t = dict(s.timings)
        if "search" in t:
            t["retrieve"] = t.pop("search")
        for stage, sec in t.items():
            out.setdefault(stage, []).append(float(sec))
        out.setdefault("total", []).append(sum(t.values()))
    return out, "searches"


def check_latency(answers: Sequence[AnswerObs], searches: Sequence[SearchObs], target_s: float,
                  thresholds: Mapping[str, Any], embed_alone: Sequence[float] = ()) -> CheckResult:
    """`embed_alone`: seconds to embed a few of the asked questions each in a call of its own (the
    eval embeds them in batches, so each answer's embed stage is its share of a batch)."""
    samples, basis = stage_samples(answers, searches)
    if not samples.get("total"):
        return finalize("latency", {}, thresholds, skip_reason="nothing was timed")
    values: dict[str, Any] = {}
    per_stage = {}
    for stage, xs in samples.items():
        pct = percentiles(xs)
        per_stage[stage] = pct
        if stage in STAGES:
            for p in ("p50", "p95", "p99"):
                values[f"{stage}_{p}_s"] = Measured(pct[p], None, pct["n"])
    totals = samples["total"]
    values["within_target_share"] = Measured(sum(t <= target_s for t in totals) / len(totals), None, len(totals))
    details = {
        "basis": basis, "target_s": target_s, "stages": per_stage,
        "histogram_total_s": histogram(totals), "samples_total_s": [round(t, 6) for t in totals],
        "note": "RAG.ask end to end" if basis == "answers" else "retrieval only (no question was asked)",
    }
    if embed_alone:
        details["embed_alone_s"] = percentiles(embed_alone)
        details["embed_note"] = ("questions are embedded in batches: an answer's embed stage is its share of its "
                                 "batch; embed_alone_s times a question embedded alone, as one asked alone is")
    return finalize("latency", values, thresholds, details)


# ---- 9. cost -----------------------------------------------------------------------------------------
def check_cost(answers: Sequence[AnswerObs], rows: Sequence[Mapping[str, Any]] | None,
               thresholds: Mapping[str, Any], ledger_path: str | None = None) -> CheckResult:
    if rows is None:
        return finalize("cost", {}, thresholds,
                        skip_reason="the ledger is disabled in the pipeline config (ledger.enabled: false)")
    from ragkit.orchestrate.cost_report import build_report

    by_query: dict[str, list[Mapping[str, Any]]] = {}
    for r in rows:
        if r.get("query_id"):
            by_query.setdefault(str(r["query_id"]), []).append(r)
    per_query: list[float] = []
    unknown_queries = 0
    with_rows = 0
    for a in answers:
        if a.error:
            continue
        rs = by_query.get(a.query_id, []) if a.query_id else []
        with_rows += bool(rs)
        if any(r.get("cost_usd") is None for r in rs):
            unknown_queries += 1
            continue
        per_query.append(float(sum(float(r["cost_usd"]) for r in rs)))
    unknown_rows = sum(1 for r in rows if r.get("cost_usd") is None)
    total = float(sum(float(r["cost_usd"]) for r in rows if r.get("cost_usd") is not None))
    pct = percentiles(per_query) if per_query else None
    report = build_report(list(rows), source=ledger_path or "")
    values: dict[str, Any] = {
        "mean_usd": Measured(pct["mean"] if pct else None, None, len(per_query)),
        "p95_usd": Measured(pct["p95"] if pct else None, None, len(per_query)),
        "unknown_price_share": Measured(unknown_rows / len(rows) if rows else 0.0, None, len(rows)),
        "eval_total_usd": Measured(total, None, len(rows)),
    }
    details = {
        "ledger": ledger_path, "ledger_rows": len(rows), "unknown_price_rows": unknown_rows,
        "queries": len(per_query) + unknown_queries, "queries_with_ledger_rows": with_rows,
        "queries_with_unknown_cost": unknown_queries,
        "eval_total_is_lower_bound": unknown_rows > 0,
        "by_stage": report["by_stage"], "by_model": report["by_model"], "totals": report["totals"],
        "cache": report["cache"],
        "note": ("every figure is summed from the ledger rows of this run; a query with no row made no "
                 "paid call (e.g. it abstained before any model call)"),
    }
    return finalize("cost", values, thresholds, details)


# ---- 10. LLM judge -------------------------------------------------------------------------------------
def check_judge(verdicts: Mapping[str, Any] | None, boot: Boot, thresholds: Mapping[str, Any]) -> CheckResult:
    """`verdicts`: {"claims": [0/1...], "relevance": [0..1 per answer], "cost_usd": float|None,
    "skipped": reason|None, ...} from judge.py; None when no judge is configured."""
    if verdicts is None:
        return finalize("judge", {}, thresholds, skip_reason="no judge provider is configured in the suite")
    if verdicts.get("skipped"):
        return finalize("judge", {}, thresholds, details=dict(verdicts), skip_reason=str(verdicts["skipped"]))
    claims = [float(x) for x in verdicts.get("claims", [])]
    rel = [float(x) for x in verdicts.get("relevance", [])]
    values = {
        "faithfulness": mean_ci(claims, boot) if claims else None,
        "answer_relevance": mean_ci(rel, boot) if rel else None,
        "judge_cost_usd": Measured(verdicts.get("cost_usd"), None, verdicts.get("calls")),
    }
    details = {k: v for k, v in verdicts.items() if k not in ("claims", "relevance")}
    return finalize("judge", values, thresholds, details)
