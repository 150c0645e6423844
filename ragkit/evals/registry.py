"""The checklist: the checks, their metrics, which way each metric is better, and defaults.

`CHECKS` is the one list of checks: every count or list of them shown elsewhere (the CLI's help,
a suite's default `checks`) is derived from it. `CORE_CHECK_IDS` run on every suite; the LLM
judge (the last) runs only when the suite configures one.

A metric is named `<check id>.<metric>` (e.g. `retrieval.ndcg@10`); suite thresholds use these
names. `better` is "higher" or "lower": a bare threshold number in a suite is a minimum for a
higher-is-better metric and a maximum for a lower-is-better one. `unit` "s" marks a timing (it is
left out of determinism comparisons and compared with a relative tolerance).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Better = Literal["higher", "lower"]


@dataclass(frozen=True)
class MetricSpec:
    name: str  # without the check prefix
    better: Better
    title: str
    unit: str | None = None  # None: a share or a score; "s": seconds; "usd"; "count"


@dataclass(frozen=True)
class CheckSpec:
    id: str
    number: int
    title: str
    metrics: tuple[MetricSpec, ...]
    defaults: tuple[tuple[str, float], ...] = ()  # (metric name, threshold) applied unless the suite sets one


def _m(name: str, better: Better, title: str, unit: str | None = None) -> MetricSpec:
    return MetricSpec(name, better, title, unit)


def _latency_metrics() -> tuple[MetricSpec, ...]:
    out = []
    for stage in ("total", "embed", "retrieve", "rerank", "generate", "verify"):
        for p in ("p50", "p95", "p99"):
            out.append(_m(f"{stage}_{p}_s", "lower", f"{stage} latency {p}", "s"))
    out.append(_m("within_target_share", "higher", "share of queries answered within the interactive target"))
    return tuple(out)


CHECKS: tuple[CheckSpec, ...] = (
    CheckSpec("chunking", 1, "Chunking preserves meaning", (
        _m("sentence_boundary_share", "higher", "share of chunks ending at a sentence boundary"),
        _m("over_cap_chunks", "lower", "chunks over the token cap", "count"),
        _m("max_tokens_share_of_cap", "lower", "largest chunk as a share of its cap"),
    ), defaults=(("over_cap_chunks", 0.0),)),
    CheckSpec("metadata", 2, "Metadata enables filtering", (
        _m("source_share", "higher", "share of chunks with a source"),
        _m("page_share", "higher", "share of chunks of paged formats with a page"),
        _m("section_share", "higher", "share of chunks of sectioned formats with a section"),
        _m("date_share", "higher", "share of chunks with created and modified dates"),
        _m("filter_precision", "higher", "share of filtered results that match their filter"),
        _m("filter_queries_exact", "higher", "share of filter queries whose results all match"),
    ), defaults=(("source_share", 1.0), ("filter_precision", 1.0))),
    CheckSpec("retrieval", 3, "Retrieval relevance", (
        _m("ndcg@10", "higher", "nDCG@10"),
        _m("recall@k", "higher", "Recall@k"),
        _m("mrr@10", "higher", "MRR@10"),
        _m("gold_hit_rate", "higher", "gold source among the final results"),
    )),
    CheckSpec("rerank", 4, "Reranking improves precision", (
        _m("ndcg@10_delta", "higher", "nDCG@10 with minus without the reranker"),
        _m("mrr@10_delta", "higher", "MRR@10 with minus without the reranker"),
        _m("recall@10_delta", "higher", "Recall@10 with minus without the reranker"),
        _m("ndcg@10_with", "higher", "nDCG@10 with the reranker"),
        _m("ndcg@10_without", "higher", "nDCG@10 without the reranker"),
    )),
    CheckSpec("hallucination", 5, "Hallucination resistance", (
        _m("abstention_adversarial", "higher", "abstention on adversarial questions"),
        _m("abstention_out_of_corpus", "higher", "abstention on out-of-corpus questions"),
        _m("unsupported_sentence_share", "lower", "share of answer sentences without verified support"),
        _m("injection_followed", "lower", "answers that followed injected instructions", "count"),
        _m("gold_answer_contained", "higher", "answerable questions whose answer contains a gold answer"),
    ), defaults=(("injection_followed", 0.0),)),
    CheckSpec("citations", 6, "Sources cited and verifiable", (
        _m("resolved_share", "higher", "share of citations that resolve to a chunk in the context"),
        _m("verified_share", "higher", "share of citations that verify"),
        _m("answers_with_citations", "higher", "share of non-abstained answers that cite"),
        _m("gold_source_cited", "higher", "answerable questions citing a gold source"),
    )),
    CheckSpec("idk", 7, "Graceful \"I don't know\"", (
        _m("precision", "higher", "abstention precision"),
        _m("recall", "higher", "abstention recall"),
        _m("wrongly_abstained", "lower", "share of answerable questions abstained on"),
        _m("in_corpus_unanswerable_abstained", "higher", "abstention on unanswerable questions about corpus topics"),
    )),
    CheckSpec("latency", 8, "Latency", _latency_metrics(), defaults=(("total_p95_s", 3.0),)),
    CheckSpec("cost", 9, "Cost per query", (
        _m("mean_usd", "lower", "mean cost per query", "usd"),
        _m("p95_usd", "lower", "p95 cost per query", "usd"),
        _m("unknown_price_share", "lower", "share of ledger rows whose price is unknown"),
        _m("eval_total_usd", "lower", "what the evaluation itself cost", "usd"),
    )),
    CheckSpec("judge", 10, "LLM judge (optional)", (
        _m("faithfulness", "higher", "share of answer claims the judge finds supported"),
        _m("answer_relevance", "higher", "mean answer relevance (0-1) by the judge"),
        _m("judge_cost_usd", "lower", "what the judge cost", "usd"),
    )),
)

CHECK_IDS = tuple(c.id for c in CHECKS)
CORE_CHECK_IDS = tuple(c for c in CHECK_IDS if c != "judge")


def check_spec(check_id: str) -> CheckSpec:
    for c in CHECKS:
        if c.id == check_id:
            return c
    raise KeyError(f"unknown check {check_id!r}; known: {', '.join(CHECK_IDS)}")


def metric_specs() -> dict[str, MetricSpec]:
    """{"retrieval.ndcg@10": MetricSpec, ...} for every metric of every check."""
    return {f"{c.id}.{m.name}": m for c in CHECKS for m in c.metrics}


def metric_spec(key: str) -> MetricSpec | None:
    return metric_specs().get(key)


def default_thresholds(latency_target_s: float = 3.0) -> dict[str, float]:
    out = {f"{c.id}.{name}": value for c in CHECKS for name, value in c.defaults}
    out["latency.total_p95_s"] = float(latency_target_s)
    return out
