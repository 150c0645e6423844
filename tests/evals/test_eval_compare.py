"""`--compare`: deltas and regressions; and the pure observation helpers."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ragkit.evals.compare import compare_reports, metric_delta
from ragkit.evals.observations import contains_any, ends_at_boundary, pipeline_ranking
from ragkit.evals.report_json import stable_view
from ragkit.types import Chunk, ScoredChunk

pytestmark = pytest.mark.unit


def metric(key, value, better="higher", unit=None, passed=None):
    return {"key": key, "title": key, "value": value, "better": better, "unit": unit, "ci": None, "n": 1,
            "threshold": None, "passed": passed}


def report(status_by_check: dict[str, str], metrics: dict[str, list[dict]], name="s"):
    return {"kind": "ragkit.eval.report", "schema_version": 1, "suite": {"name": name, "sha256": "x"},
            "run": {"started": "t"}, "status": "pass",
            "checks": [{"id": c, "status": st_, "metrics": metrics.get(c, [])} for c, st_ in status_by_check.items()]}


def test_metric_delta_directions_and_tolerances():
    assert metric_delta("a", 0.70, 0.69, "higher", None)["regression"]
    assert not metric_delta("a", 0.70, 0.69, "higher", None, tolerance=0.02)["regression"]
    assert metric_delta("a", 0.70, 0.71, "higher", None)["improvement"]
    assert metric_delta("c", 0.0, 0.01, "lower", "usd")["regression"]
    # timings: 25% relative by default
    assert not metric_delta("l", 1.0, 1.2, "lower", "s")["regression"]
    assert metric_delta("l", 1.0, 1.3, "lower", "s")["regression"]
    assert metric_delta("l", 1.0, 0.5, "lower", "s")["improvement"]
    gone = metric_delta("a", 0.5, None, "higher", None)
    assert gone["regression"] and gone["note"] == "no longer measured"
    new = metric_delta("a", None, 0.5, "higher", None)
    assert not new["regression"] and new["note"] == "newly measured"
    assert metric_delta("a", 0.5, 0.5, "higher", None)["delta"] == 0.0


def test_compare_reports_marks_regressions_and_status_changes():
    prev = report({"retrieval": "pass", "latency": "pass", "cost": "info"},
                  {"retrieval": [metric("retrieval.ndcg@10", 0.75), metric("retrieval.mrr@10", 0.70)],
                   "latency": [metric("latency.total_p95_s", 1.0, "lower", "s")],
                   "cost": [metric("cost.mean_usd", 0.0, "lower", "usd")]})
    cur = report({"retrieval": "fail", "latency": "pass", "cost": "info"},
                 {"retrieval": [metric("retrieval.ndcg@10", 0.70), metric("retrieval.mrr@10", 0.72)],
                  "latency": [metric("latency.total_p95_s", 1.1, "lower", "s")],
                  "cost": [metric("cost.mean_usd", 0.0, "lower", "usd")]})
    comp = compare_reports(cur, prev, previous_path="prev.json")
    rows = {r["key"]: r for r in comp["metrics"]}
    assert rows["retrieval.ndcg@10"]["delta"] == pytest.approx(-0.05) and rows["retrieval.ndcg@10"]["regression"]
    assert rows["retrieval.mrr@10"]["improvement"]
    assert not rows["latency.total_p95_s"]["regression"] and not rows["cost.mean_usd"]["regression"]
    assert comp["regressions"] == ["retrieval.ndcg@10", "check:retrieval"]
    assert comp["status_changes"] == [{"check": "retrieval", "before": "pass", "after": "fail", "regression": True}]
    assert comp["same_suite"] and comp["previous"]["path"] == "prev.json"
    same = compare_reports(prev, prev)
    assert same["regressions"] == [] and same["improvements"] == []


def test_stable_view_ignores_timings_only():
    a = report({"retrieval": "pass", "latency": "pass"},
               {"retrieval": [metric("retrieval.ndcg@10", 0.7)], "latency": [metric("latency.total_p95_s", 1, "lower", "s")]})
    b = report({"retrieval": "pass", "latency": "fail"},
               {"retrieval": [metric("retrieval.ndcg@10", 0.7)], "latency": [metric("latency.total_p95_s", 9, "lower", "s")]})
    a["run"], b["run"] = {"seconds": 1}, {"seconds": 2}
    assert stable_view(a) == stable_view(b)
    b["checks"][0]["metrics"][0]["value"] = 0.71
    assert stable_view(a) != stable_view(b)


# ---- observation helpers ---------------------------------------------------------------------------
def test_ends_at_boundary():
    doc = "# Title\n\nFirst sentence. Second one\ncontinues here.\n\n- item one\n- item two\n\nLast words"
    assert ends_at_boundary(doc, "# Title\n\nFirst sentence.", 0, False) == "punctuation"
    start = doc.index("Second")
    assert ends_at_boundary(doc, "Second one", start, False) == "line_break"
    assert ends_at_boundary(doc, "Second", start, False) is None
    i = doc.index("- item one")
    assert ends_at_boundary(doc, "- item one", i, False) == "line_break"
    assert ends_at_boundary(doc, "Last words", doc.index("Last"), False) == "document_end"
    assert ends_at_boundary(None, "Anything at all", 0, True) == "document_end"
    assert ends_at_boundary(None, 'He said "stop."', 0, False) == "punctuation"
    assert ends_at_boundary(None, "cut in the mid", 0, False) is None


def test_contains_any_collapses_whitespace_and_case():
    assert contains_any("The  default is\n60 for RRF", ["is 60"])
    assert contains_any("Reply: BaNaNa", ["banana"])
    assert not contains_any("nothing here", ["60", "  "])


def _hit(source: str, rank: int) -> ScoredChunk:
    return ScoredChunk(Chunk(f"{source}-{rank}", source, "t", 0, 1, 0, "h"), 1.0 / rank, rank)


@given(st.lists(st.sampled_from("abcdefg"), max_size=12), st.lists(st.sampled_from("abcdefg"), max_size=5),
       st.booleans())
def test_pipeline_ranking_is_a_deduplicated_union(cands, results, reranked):
    c = [_hit(s, i + 1) for i, s in enumerate(cands)]
    r = [_hit(s, i + 1) for i, s in enumerate(results)]
    ranking = pipeline_ranking(c, r, reranked)
    assert len(ranking) == len(set(ranking))
    if reranked:
        assert set(ranking) == set(cands) | set(results)
        assert ranking[: len(dict.fromkeys(results))] == list(dict.fromkeys(results))
    else:
        assert ranking == list(dict.fromkeys(cands))
