"""bench/render_benchmarks.py on a small hand-made result: the table, the losses note, the chart."""

from __future__ import annotations

import copy
import importlib.util
import json
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def rb():
    name = "_bench_render_benchmarks"
    spec = importlib.util.spec_from_file_location(name, REPO / "bench" / "render_benchmarks.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod  # dataclasses look their module up there
    try:
        spec.loader.exec_module(mod)
        yield mod
    finally:
        sys.modules.pop(name, None)


def _per_fw(r, l, h, **extra):
    return {"ragkit": {**r, **extra}, "LlamaIndex": {**l, **extra}, "Haystack": {**h, **extra}}


def _q(n, r):
    return {"ndcg@10": n, "recall@100": r, "mrr@10": n}


def _lat(p50, p95):
    return {"p50": p50, "p95": p95}


RESULT = {
    "machine": {"date": "2026-11-27", "cpu_count": 2, "cpu_model": "Test CPU 9000", "memory_gb": 8.0,
                "platform": "Linux-test", "python": "3.11.7", "load_average_start": [1.0, 1.0, 1.0],
                "packages": {"ragkit": "0.1.0", "llama-index-core": "0.14.25", "haystack-ai": "3.4.1"}},
    "config": {"quick": False, "docs": 5183, "queries": 300, "depth": 150, "rerank_candidates": 30, "pool": 100,
               "latency_queries": 100, "latency_rounds": 3, "import_repeats": 7},
    "frameworks": {"ragkit": "semantic chunker", "LlamaIndex": "SentenceSplitter", "Haystack": "DocumentSplitter"},
    "notes": ["A note from the run."],
    "runtime_s": 1800.0,
    "ingest": _per_fw({"seconds": 120.0, "chunks": 7000, "peak_rss_mb": 1500.0, "throughput_ratio": 0.93},
                      {"seconds": 100.0, "chunks": 5200, "peak_rss_mb": 1200.0, "throughput_ratio": 0.85},
                      {"seconds": 110.0, "chunks": 5300, "peak_rss_mb": 1300.0, "throughput_ratio": 0.88}),
    "reingest_unchanged": _per_fw({"seconds": 1.5, "embedded": 0, "share_of_first_pct": 1.25},
                                  {"seconds": 3.0, "embedded": 0, "share_of_first_pct": 3.0},
                                  {"seconds": 90.0, "embedded": 5300, "share_of_first_pct": 81.8}),
    "reingest_changed": _per_fw({"seconds": 3.0, "embedded": 75, "points": 7001},
                                {"seconds": 4.0, "embedded": 52, "points": 5200},
                                {"seconds": 95.0, "embedded": 5300, "points": 5352}),
    "quality": {
        "bm25": _per_fw(_q(0.66, 0.90), _q(0.67, 0.91), _q(0.65, 0.89)),
        "dense": _per_fw(_q(0.645, 0.92), _q(0.64, 0.92), _q(0.64, 0.92)),
        "fusion": _per_fw(_q(0.72, 0.95), _q(0.717, 0.94), _q(0.70, 0.94)),
        "fusion (best mode)": {"ragkit": {**_q(0.72, 0.95), "mode": "dbsf"},
                               "LlamaIndex": {**_q(0.719, 0.94), "mode": "dist_based_score"},
                               "Haystack": {**_q(0.70, 0.94), "mode": "reciprocal_rank_fusion"}},
        "fusion+rerank": _per_fw(_q(0.75, 0.95), _q(0.71, 0.94), _q(0.70, 0.93)),
        "fusion (rerank queries)": _per_fw(_q(0.73, 0.95), _q(0.72, 0.94), _q(0.71, 0.94)),
    },
    "fusion_modes": {"ragkit": {"dbsf": _q(0.72, 0.95), "rrf": _q(0.703, 0.95)},
                     "LlamaIndex": {"reciprocal_rerank": _q(0.717, 0.94), "dist_based_score": _q(0.719, 0.94)},
                     "Haystack": {"reciprocal_rank_fusion": _q(0.70, 0.94), "merge": _q(0.69, 0.94)}},
    "latency_ms": {
        "bm25": _per_fw(_lat(2.0, 3.0), _lat(5.0, 8.0), _lat(60.0, 90.0)),
        "dense": _per_fw(_lat(9.0, 12.0), _lat(75.0, 95.0), _lat(40.0, 60.0)),
        "fusion": _per_fw(_lat(11.0, 14.0), _lat(85.0, 110.0), _lat(100.0, 150.0)),
        "fusion+rerank": _per_fw(_lat(300.0, 350.0), _lat(320.0, 400.0), _lat(330.0, 420.0)),
    },
    "import": _per_fw({"seconds": 0.12}, {"seconds": 1.9}, {"seconds": 1.1}),
    "installed": _per_fw({"total_mb": 1226.0, "exclusive_mb": 130.0}, {"total_mb": 1148.0, "exclusive_mb": 63.0},
                         {"total_mb": 1109.0, "exclusive_mb": 19.0}),
    "targets": {"hybrid nDCG@10 >= each peer's best fusion": {"met": True, "detail": "0.7200 vs 0.7170"}},
}


@pytest.fixture()
def rendered(rb, tmp_path):
    src = tmp_path / "compare-2026-11-27.json"
    src.write_text(json.dumps(RESULT))
    md, png = tmp_path / "docs" / "benchmarks.md", tmp_path / "docs" / "benchmarks.png"
    rb.render(src, md, png)
    return md.read_text(encoding="utf-8"), png


def _table_line(text: str, label: str) -> list[str]:
    line = next(l for l in text.splitlines() if l.startswith(f"| {label} |"))
    return [c.strip() for c in line.strip("|").split("|")]


def test_every_row_has_all_three_figures(rb, rendered):
    text, _ = rendered
    for row in rb.rows():
        cells = _table_line(text, row.label)
        assert len(cells) == 4, row.label
        assert all(c and c != "—" for c in cells[1:]), (row.label, cells)


def test_figures_come_from_the_json_and_the_best_is_bold(rendered):
    text, _ = rendered
    assert _table_line(text, "Hybrid (default fusion): nDCG@10")[1:] == ["**0.7200**", "0.7170", "0.7000"]
    assert _table_line(text, "Dense: query latency p50 (ms)")[1:] == ["**9.0**", "75.0", "40.0"]
    assert _table_line(text, "Re-ingest, unchanged: embeddings computed")[1:] == ["**0**", "**0**", "5300"]
    assert _table_line(text, "Ingest: chunks / nodes")[1:] == ["7000", "5200", "5300"]  # unranked: no bold


def test_page_states_source_machine_versions_and_targets(rendered):
    text, _ = rendered
    assert "compare-2026-11-27.json" in text and "not written by hand" in text
    assert "Test CPU 9000" in text and "2026-11-27" in text
    assert "llama-index-core 0.14.25" in text and "haystack-ai 3.4.1" in text
    assert "A note from the run." in text
    assert "met: hybrid nDCG@10 >= each peer's best fusion" in text
    assert "![" in text and "(benchmarks.png)" in text


def test_losses_section_names_the_rows_ragkit_loses_and_why(rb, rendered):
    text, _ = rendered
    losses = text.split("## Where ragkit loses", 1)[1]
    assert "**Ingest: wall time (s)** (behind LlamaIndex, Haystack)" in losses
    assert "**BM25: nDCG@10** (behind LlamaIndex)" in losses
    assert "**Installed size, whole stack (MB)** (behind LlamaIndex, Haystack)" in losses
    assert rb.LOSS_NOTES["ingest_s"] in losses
    assert "Hybrid (default fusion): nDCG@10**" not in losses  # ragkit wins that row
    assert "Import time" not in losses


def test_missing_figures_render_as_dash_and_do_not_count_as_a_loss(rb):
    data = copy.deepcopy(RESULT)
    del data["quality"]["fusion+rerank"]["Haystack"]
    data["latency_ms"]["dense"]["ragkit"] = {}
    table = {r[0]: r[1:] for r in rb.table(data)}
    assert table["Hybrid + cross-encoder (top 30): nDCG@10"][2] == "—"
    assert table["Dense: query latency p50 (ms)"][0] == "—"
    row = next(r for r in rb.rows() if r.key == "p50_dense")
    assert rb.loses(row, data) == []


def test_chart_is_a_png_image(rendered):
    _, png = rendered
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(data) > 10_000


def test_newest_result_skips_quick_runs(rb, tmp_path):
    for name in ("compare-2026-11-01.json", "compare-2026-11-20.json", "compare-2026-11-25-quick.json",
                 "compare-2026-11-26-partial.json"):
        (tmp_path / name).write_text("{}")
    assert rb.newest_result(tmp_path).name == "compare-2026-11-20.json"


def test_quick_and_busy_runs_are_flagged_at_the_top(rb):
    quiet = rb.render_markdown(RESULT, "r.json", None)
    assert "A --quick run" not in quiet and "machine was busy" not in quiet
    data = copy.deepcopy(RESULT)
    data["config"]["quick"] = True
    data["machine"]["load_average_end"] = [9.5, 9.0, 8.0]
    text = rb.render_markdown(data, "r.json", None)
    head = text.split("## Setup", 1)[0]
    assert "A --quick run" in head and "load average up to 9.5 on 2 CPUs" in head


def test_rerank_subset_row_falls_back_to_the_hybrid_when_every_query_was_reranked(rb):
    data = copy.deepcopy(RESULT)
    table = {r[0]: r[1:] for r in rb.table(data)}
    assert table["Hybrid, on the reranker's queries: nDCG@10"] == ["**0.7300**", "0.7200", "0.7100"]
    del data["quality"]["fusion (rerank queries)"]
    table = {r[0]: r[1:] for r in rb.table(data)}
    assert table["Hybrid, on the reranker's queries: nDCG@10"] == ["**0.7200**", "0.7170", "0.7000"]


def test_every_fusion_mode_is_listed_with_its_score(rendered):
    text, _ = rendered
    assert "- ragkit: dbsf 0.7200, rrf 0.7030" in text
    assert "- LlamaIndex: reciprocal_rerank 0.7170, dist_based_score 0.7190" in text
    assert _table_line(text, "Hybrid (best fusion mode): nDCG@10")[1:] == ["**0.7200**", "0.7190", "0.7000"]
