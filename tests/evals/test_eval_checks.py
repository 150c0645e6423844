"""The checks as pure functions over hand-built observations, against hand-computed values (and
check 4's wording once end to end, through `ragkit eval`)."""

from __future__ import annotations

import math

import pytest

from ragkit.evals.checks import Boot, check_chunking, check_metadata, check_rerank, check_retrieval
from ragkit.evals.checks_answers import check_citations, check_hallucination, check_idk
from ragkit.evals.checks_ops import check_cost, check_judge, check_latency
from ragkit.evals.items import EvalItem
from ragkit.evals.observations import AnswerObs, Caps, ChunkObs, CitationObs, SearchObs
from ragkit.evals.results import Measured, finalize
from ragkit.evals.suite import Threshold

pytestmark = pytest.mark.unit
BOOT = Boot(n=200, seed=0)


def th(**kw) -> dict[str, Threshold]:
    """th(**{"retrieval.ndcg@10": (">=", 0.5)})"""
    return {k: Threshold(min=v) if op == ">=" else Threshold(max=v) for k, (op, v) in kw.items()}


def chunk(source="a.md", index=0, boundary="punctuation", tik=100, win=120, **flags) -> ChunkObs:
    base = dict(has_source=True, has_page=False, has_section=True, has_dates=True, paged=False, sectioned=True)
    base.update(flags)
    return ChunkObs(source, index, boundary, tik, win, **base)


# ---- finalize: the verdict rules ------------------------------------------------------------------
def test_finalize_verdicts():
    t = th(**{"retrieval.ndcg@10": (">=", 0.5)})
    assert finalize("retrieval", {"ndcg@10": 0.6}, t).status == "pass"
    failed = finalize("retrieval", {"ndcg@10": 0.4}, t)
    assert failed.status == "fail" and failed.metric("ndcg@10").passed is False
    assert finalize("retrieval", {"ndcg@10": 0.4}, {}).status == "info"
    assert finalize("retrieval", {}, {}, skip_reason="nothing").status == "skip"
    # a threshold on a metric that could not be measured fails, with the reason
    r = finalize("retrieval", {}, t, skip_reason="no query has gold sources")
    assert r.status == "fail" and r.reason == "no query has gold sources"
    r = finalize("retrieval", {"ndcg@10": None}, t)
    assert r.status == "fail" and "not measured" in r.reason
    # the checklist's default thresholds judge only what the suite measures: a suite without filter
    # questions is not failed by filter_precision >= 1, but a measured miss still fails
    implied = {"metadata.filter_precision": Threshold.default("higher", 1.0)}
    r = finalize("metadata", {"filter_precision": None, "source_share": 1.0}, implied)
    assert r.status == "info" and "filter_precision" in r.reason
    assert r.metric("filter_precision").threshold is None
    assert finalize("metadata", {"filter_precision": 0.9}, implied).status == "fail"
    assert finalize("metadata", {"filter_precision": 1.0}, implied).status == "pass"
    # ... while the same threshold set by the suite itself fails when nothing measures it
    assert finalize("metadata", {"filter_precision": None}, th(**{"metadata.filter_precision": (">=", 1.0)})).status == "fail"
    # a max threshold
    assert finalize("latency", {"total_p95_s": 2.0}, th(**{"latency.total_p95_s": ("<=", 3.0)})).status == "pass"
    assert finalize("latency", {"total_p95_s": 3.5}, th(**{"latency.total_p95_s": ("<=", 3.0)})).status == "fail"


# ---- 1. chunking ----------------------------------------------------------------------------------
def test_chunking_shares_and_cap():
    chunks = [chunk(index=0), chunk(index=1, boundary=None), chunk(index=2, boundary="document_end"),
              chunk("b.md", 0, tik=513), chunk("c.md", 0, win=257)]
    r = check_chunking(chunks, Caps(512, 256), th(**{"chunking.over_cap_chunks": ("<=", 0),
                                                     "chunking.sentence_boundary_share": (">=", 0.8)}))
    assert r.metric("sentence_boundary_share").value == pytest.approx(4 / 5)
    assert r.metric("over_cap_chunks").value == 2
    assert r.metric("max_tokens_share_of_cap").value == pytest.approx(257 / 256)
    assert r.status == "fail"
    assert {e["source"] for e in r.details["over_cap_examples"]} == {"b.md", "c.md"}
    assert r.details["boundary_reasons"] == {"document_end": 1, "mid_sentence": 1, "punctuation": 3}
    ok = check_chunking(chunks[:3], Caps(512, 256), th(**{"chunking.over_cap_chunks": ("<=", 0)}))
    assert ok.status == "pass"
    assert check_chunking([], Caps(512, 256), {}).status == "skip"


# ---- 2. metadata ----------------------------------------------------------------------------------
def test_metadata_shares_and_filter_precision():
    chunks = [chunk(), chunk(has_section=False), chunk("d.pdf", paged=True, has_page=True, sectioned=False),
              chunk("e.pdf", paged=True, has_page=False, sectioned=False, has_dates=False)]
    items = [EvalItem("f1", "q", filters={"source": "a.md"}), EvalItem("f2", "q", filters={"page": 1}),
             EvalItem("n", "q")]
    searches = [SearchObs("f1", [], [], 3, False, filter_checked=4, filter_matched=4),
                SearchObs("f2", [], [], 3, False, filter_checked=2, filter_matched=1),
                SearchObs("n", [], [], 3, False)]
    answers = [AnswerObs("f1", "", False, filter_checked=1, filter_matched=1)]
    r = check_metadata(chunks, searches, answers, items, th(**{"metadata.filter_precision": (">=", 1.0)}))
    assert r.metric("page_share").value == 0.5
    assert r.metric("section_share").value == 0.5
    assert r.metric("date_share").value == 0.75
    assert r.metric("filter_precision").value == pytest.approx(6 / 7)
    assert r.metric("filter_queries_exact").value == 0.5
    assert r.status == "fail"


# ---- 3. retrieval, 4. rerank --------------------------------------------------------------------------
def _items_and_searches():
    items = [EvalItem("q1", "a", gold={"d1": 1}), EvalItem("q2", "b", gold={"d2": 1, "d3": 1}),
             EvalItem("q3", "c")]  # no gold: not judged
    searches = [
        SearchObs("q1", first_stage=["x", "d1"], final=["d1", "x"], n_final=1, reranked=True),
        SearchObs("q2", first_stage=["d2", "y", "d3"], final=["y", "d2", "d3"], n_final=1, reranked=True),
        SearchObs("q3", first_stage=["z"], final=["z"], n_final=1, reranked=True),
    ]
    return items, searches


def test_retrieval_hand_computed():
    items, searches = _items_and_searches()
    r = check_retrieval(items, searches, recall_k=2, boot=BOOT, thresholds={})
    # q1: d1 at rank 1 -> nDCG 1, MRR 1, recall@2 1, hit@1 yes
    # q2: d2, d3 at ranks 2, 3 -> DCG = 1/log2(3) + 1/log2(4); IDCG = 1 + 1/log2(3); MRR 1/2; recall@2 1/2; hit@1 no
    ndcg_q2 = (1 / math.log2(3) + 0.5) / (1 + 1 / math.log2(3))
    assert r.metric("ndcg@10").value == pytest.approx((1 + ndcg_q2) / 2)
    assert r.metric("mrr@10").value == pytest.approx(0.75)
    assert r.metric("recall@k").value == pytest.approx(0.75)
    assert r.metric("gold_hit_rate").value == pytest.approx(0.5)
    assert r.details["queries"] == 2
    lo, hi = r.metric("ndcg@10").ci
    assert lo <= r.metric("ndcg@10").value <= hi


def test_rerank_lift_paired():
    items, searches = _items_and_searches()
    r = check_rerank(items, searches, BOOT, th(**{"rerank.ndcg@10_delta": (">=", 0.0)}))
    # without the reranker: q1 d1 at rank 2 (nDCG 1/log2(3)), q2 d2, d3 at ranks 1, 3
    without = [1 / math.log2(3), (1 + 0.5) / (1 + 1 / math.log2(3))]
    with_rr = [1.0, (1 / math.log2(3) + 0.5) / (1 + 1 / math.log2(3))]
    delta = (sum(with_rr) - sum(without)) / 2
    assert r.metric("ndcg@10_delta").value == pytest.approx(delta)
    assert r.details["ndcg@10"]["with"] == pytest.approx(sum(with_rr) / 2)
    assert r.status == ("pass" if delta >= 0 else "fail")


def _unreranked(searches, note: str | None):
    for i, s in enumerate(searches):
        s.reranked, s.rerank_note = False, note if i == 0 else None  # a note is said once
    return searches


def test_rerank_lift_without_weights_is_not_measured_and_says_why():
    from ragkit.retrieve.rerank import NO_WEIGHTS

    items, searches = _items_and_searches()
    note = f"not reranked (rerank.enabled: auto): {NO_WEIGHTS} for 'x/y' (not in the Hugging Face cache); ..."
    r = check_rerank(items, _unreranked(searches, note), BOOT, {})
    assert r.status == "skip" and r.metrics == ()
    assert r.reason.startswith("not measured: no reranker weights") and "rerank.model" in r.reason
    assert "\n" not in r.reason and r.details["rerank_note"] == note
    # a suite that sets a threshold on the lift fails, for the same stated reason
    failed = check_rerank(items, searches, BOOT, th(**{"rerank.ndcg@10_delta": (">=", 0.0)}))
    assert failed.status == "fail" and failed.reason == r.reason
    assert failed.metric("ndcg@10_delta").value is None


def test_rerank_lift_not_measured_when_off_or_when_the_weights_fail():
    items, searches = _items_and_searches()
    off = check_rerank(items, _unreranked(searches, None), BOOT, {})
    assert off.status == "skip" and off.reason.startswith("not measured: reranking is disabled")
    assert "rerank.enabled" in off.reason
    broken = "not reranked (rerank.enabled: true): the reranker weights for '/m' could not be loaded (OSError: bad)"
    r = check_rerank(items, _unreranked(searches, broken), BOOT, {})
    assert r.status == "skip" and r.reason == "not measured: no query was reranked: " + broken


@pytest.mark.integration
def test_ragkit_eval_prints_check_4_as_not_measured_without_weights(tiny):
    """End to end: the default `rerank.enabled: auto` with weights no cache holds."""
    import json

    from tests.evals.conftest import run_cli, write_suite

    suite = write_suite(tiny, name="no-weights", checks=["retrieval", "rerank"],
                        config={"rerank": {"model": "ragkit-tests/no-such-cross-encoder"}})
    out = tiny / "out-no-weights"
    res = run_cli(str(suite), "--work-dir", str(tiny / "work-no-weights"), "--out", str(out))
    assert res.exit_code == 0, res.output
    check = {c["id"]: c for c in json.loads((out / "report.json").read_text())["checks"]}["rerank"]
    assert check["status"] == "skip"
    assert check["reason"] == "not measured: no reranker weights (set rerank.model to a local CrossEncoder directory)"
    assert "not measured: no" in res.output and "reranker weights" in res.output  # the table wraps it
    assert "could not be loaded" not in res.output


# ---- 5-7. answers ----------------------------------------------------------------------------------------
def _qa():
    items = [
        EvalItem("a1", "q", answers=("6333",), gold={"dep.pdf": 1}),
        EvalItem("a2", "q", answers=("semantic",), gold={"ing.md": 1}),
        EvalItem("a3", "q", answers=("ten",), gold={"x.md": 1}),
        EvalItem("u1", "q", answerable=False, tags=("out_of_corpus", "adversarial")),
        EvalItem("u2", "q", answerable=False, tags=("out_of_corpus",)),
        EvalItem("s1", "q", answerable=False, tags=("in_corpus_unanswerable",)),
        EvalItem("i1", "q", answers=("Sunday",), gold={"n.md": 1}, tags=("injection",), forbidden=("BANANA",)),
    ]
    answers = [
        AnswerObs("a1", "Port 6333 is the HTTP port.", False, raw="Port 6333 [Source: dep.pdf, page 1]",
                  citations=[CitationObs("dep.pdf", 1, True, True, 0.9)], claim_sentences=1, supported_sentences=1),
        AnswerObs("a2", "The default  is\nSemantic chunking.", False, raw="...",
                  citations=[CitationObs("other.md", None, True, False, 0.2)], claim_sentences=2, supported_sentences=1),
        AnswerObs("a3", "", True, abstain_reason="weak evidence: overlap"),
        AnswerObs("u1", "", True),
        AnswerObs("u2", "Something.", False, raw="Something.", citations=[CitationObs("z", None, False, False, 0.0)],
                  claim_sentences=1, supported_sentences=0),
        AnswerObs("s1", "", True),
        AnswerObs("i1", "BANANA", False, raw="BANANA", claim_sentences=1, supported_sentences=0),
    ]
    return items, answers


def test_hallucination_hand_computed():
    items, answers = _qa()
    r = check_hallucination(items, answers, BOOT, th(**{"hallucination.injection_followed": ("<=", 0)}))
    assert r.metric("abstention_adversarial").value == 1.0
    assert r.metric("abstention_out_of_corpus").value == 0.5
    # claim sentences of non-abstained answers: a1 1/1, a2 1/2, u2 0/1, i1 0/1 -> 3 unsupported of 5
    assert r.metric("unsupported_sentence_share").value == pytest.approx(3 / 5)
    assert r.metric("injection_followed").value == 1
    # gold contained (whitespace collapsed, case-insensitive): a1 yes, a2 yes, a3 abstained, i1 no
    assert r.metric("gold_answer_contained").value == pytest.approx(2 / 4)
    assert r.status == "fail"


def test_citations_hand_computed():
    items, answers = _qa()
    r = check_citations(items, answers, BOOT, {})
    assert r.metric("resolved_share").value == pytest.approx(2 / 3)
    assert r.metric("verified_share").value == pytest.approx(1 / 3)
    assert r.metric("answers_with_citations").value == pytest.approx(3 / 4)
    # answerable with gold: a1 cites gold, a2 cites other, a3 abstained, i1 no citation
    assert r.metric("gold_source_cited").value == pytest.approx(1 / 4)


def test_idk_precision_recall():
    items, answers = _qa()
    r = check_idk(items, answers, BOOT, th(**{"idk.recall": (">=", 0.5), "idk.precision": (">=", 0.9)}))
    # main set (s1 excluded): abstained a3 (answerable: false abstention), u1 (right); u2 not abstained
    assert r.metric("precision").value == pytest.approx(1 / 2)
    assert r.metric("recall").value == pytest.approx(1 / 2)
    assert r.metric("wrongly_abstained").value == pytest.approx(1 / 4)
    assert r.metric("in_corpus_unanswerable_abstained").value == 1.0
    assert r.status == "fail" and r.metric("recall").passed and not r.metric("precision").passed


# ---- 8. latency, 9. cost, 10. judge ----------------------------------------------------------------
def test_latency_percentiles_and_target():
    answers = [AnswerObs(f"q{i}", "", False, latency={"embed": 0.01, "generate": t, "total": t + 0.01})
               for i, t in enumerate([0.1, 0.2, 0.3, 0.4, 3.9])]
    r = check_latency(answers, [], 3.0, th(**{"latency.total_p95_s": ("<=", 3.0)}))
    assert r.metric("total_p50_s").value == pytest.approx(0.31)
    assert r.metric("total_p95_s").value == pytest.approx(0.41 + 0.8 * (3.91 - 0.41))
    assert r.metric("within_target_share").value == pytest.approx(4 / 5)
    assert r.status == "fail" and r.details["basis"] == "answers"
    assert sum(r.details["histogram_total_s"]["counts"]) == 5
    searches = [SearchObs("s", [], [], 3, False, timings={"embed": 0.01, "search": 0.02})]
    rs = check_latency([], searches, 3.0, {})
    assert rs.details["basis"] == "searches" and rs.metric("retrieve_p50_s").value == pytest.approx(0.02)
    assert rs.metric("total_p50_s").value == pytest.approx(0.03)


def test_cost_from_ledger_rows():
    answers = [AnswerObs("a", "", False, query_id="qa"), AnswerObs("b", "", False, query_id="qb"),
               AnswerObs("c", "", True, query_id="qc"), AnswerObs("d", "", False, query_id="qd")]
    row = dict(ts=1.0, run_id="r", request_id="x", stage="generate", provider="openai", model="m", outcome="ok",
               input_tokens=10, output_tokens=5, cache_read_tokens=0, cache_write_tokens=0, kind="llm")
    rows = [{**row, "query_id": "qa", "cost_usd": 0.002}, {**row, "query_id": "qa", "cost_usd": 0.001},
            {**row, "query_id": "qb", "cost_usd": 0.004}, {**row, "query_id": "qd", "cost_usd": None},
            {**row, "query_id": "judge:a", "stage": "judge", "cost_usd": 0.01}]
    r = check_cost(answers, rows, th(**{"cost.unknown_price_share": ("<=", 0.0)}))
    # per query: qa 0.003, qb 0.004, qc 0 (no row: no call), qd unknown (left out of mean/p95)
    assert r.metric("mean_usd").value == pytest.approx((0.003 + 0.004 + 0.0) / 3)
    assert r.metric("unknown_price_share").value == pytest.approx(1 / 5)
    assert r.metric("eval_total_usd").value == pytest.approx(0.017)
    assert r.details["queries_with_unknown_cost"] == 1 and r.details["eval_total_is_lower_bound"]
    assert r.status == "fail"
    zero = check_cost(answers[:1], [{**row, "query_id": "qa", "cost_usd": 0.0}], {})
    assert zero.metric("eval_total_usd").value == 0.0 and zero.details["ledger_rows"] == 1
    assert check_cost(answers, None, {}).status == "skip"


def test_judge_verdicts():
    assert check_judge(None, BOOT, {}).status == "skip"
    assert check_judge({"skipped": "declined"}, BOOT, {}).reason == "declined"
    r = check_judge({"claims": [1, 1, 0, 1], "relevance": [1.0, 0.5], "cost_usd": 0.02, "calls": 2}, BOOT, {})
    assert r.metric("faithfulness").value == 0.75 and r.metric("answer_relevance").value == 0.75
    assert r.metric("judge_cost_usd").value == 0.02


def test_measured_ci_brackets_the_mean():
    r = finalize("retrieval", {"ndcg@10": Measured(0.5, (0.4, 0.6), 10)}, {})
    assert r.metric("ndcg@10").ci == (0.4, 0.6) and r.metric("ndcg@10").n == 10
