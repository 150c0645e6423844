"""`ragkit eval` end to end on a tiny corpus: exit codes, reports, --compare, the JSON schema."""

from __future__ import annotations

import json

import pytest

from tests.evals.conftest import run_cli, write_suite

pytestmark = pytest.mark.integration


def test_broken_suites_exit_2(tiny):
    bad = tiny / "bad.yaml"
    bad.write_text("name: [oops\n")
    res = run_cli(str(bad))
    assert res.exit_code == 2 and "not valid YAML" in res.output
    bad.write_text("name: t\ncorpus: {paths: [docs]}\nqueries: {qa: qa.jsonl}\nthreshold: {}\n")
    res = run_cli(str(bad))
    assert res.exit_code == 2 and "threshold: unknown key" in res.output
    missing = write_suite(tiny, name="missing", corpus={"paths": ["no-such-folder"]})
    res = run_cli(str(missing), "--work-dir", str(tiny / "work"))
    assert res.exit_code == 2 and "corpus not found" in res.output
    res = run_cli(str(write_suite(tiny)), "--compare", str(tiny / "qa.jsonl"))
    assert res.exit_code == 2 and "not JSON" in res.output
    (tiny / "badfilter.jsonl").write_text('{"question": "Port?", "answers": ["6333"], "sources": ["guide.md"], '
                                          '"filters": {"colour": "red"}}\n')
    res = run_cli(str(write_suite(tiny, queries={"qa": "badfilter.jsonl"})), "--work-dir", str(tiny / "work"))
    assert res.exit_code == 2 and "colour" in res.output
    res = run_cli(str(tiny / "nope.yaml"))
    assert res.exit_code == 2 and "not found" in res.output


def test_passing_suite_exits_0_with_every_check_and_three_reports(passing):
    res, out = passing
    assert res.exit_code == 0, res.output
    for name in ("report.json", "report.md", "report.html"):
        assert (out / name).is_file()
    report = json.loads((out / "report.json").read_text())
    assert report["schema_version"] == 1 and report["kind"] == "ragkit.eval.report" and report["status"] == "pass"
    assert [c["number"] for c in report["checks"]] == list(range(1, 10))
    for c in report["checks"]:
        assert c["status"] in ("pass", "info", "skip")
        for m in c["metrics"]:
            assert set(m) >= {"key", "value", "threshold", "passed", "ci", "unit", "better"}
    checks = {c["id"]: c for c in report["checks"]}
    assert checks["retrieval"]["status"] == "pass"
    assert checks["hallucination"]["metrics"] and checks["hallucination"]["status"] == "pass"
    assert checks["rerank"]["status"] == "skip" and "disabled" in checks["rerank"]["reason"]
    assert report["metrics"]["metadata.filter_precision"] == 1.0
    # the offline generator costs exactly 0, read from the ledger rows it wrote
    cost = checks["cost"]
    assert report["metrics"]["cost.eval_total_usd"] == 0.0 and cost["details"]["ledger_rows"] >= 1
    assert all(row["stage"] == "generate" for row in cost["details"]["by_stage"])
    assert report["queries"]["asked"] == 4 and report["corpus"]["documents"] == 2
    assert "| # | check | status |" in (out / "report.md").read_text()
    assert "PASS" in res.output


def test_failing_threshold_exits_1(tiny, passing):
    suite = write_suite(tiny, thresholds={"retrieval.ndcg@10": 1.01}, checks=["chunking", "retrieval"])
    out = tiny / "out-fail"
    res = run_cli(str(suite), "--work-dir", str(tiny / "work"), "--out", str(out))
    assert res.exit_code == 1, res.output
    report = json.loads((out / "report.json").read_text())
    assert report["status"] == "fail" and report["summary"]["fail"] == 1
    retrieval = next(c for c in report["checks"] if c["id"] == "retrieval")
    assert retrieval["status"] == "fail" and retrieval["metrics"][0]["passed"] is False
    assert report["corpus"]["ingest"]["reused_index"]  # same corpus + config: the index was reused


def test_compare_marks_regressions(tiny, passing):
    _, out = passing
    prev = json.loads((out / "report.json").read_text())
    for c in prev["checks"]:
        for m in c["metrics"]:
            if m["key"] == "retrieval.mrr@10":
                m["value"] = 1.5  # the "previous" run was better than possible
    doctored = tiny / "previous.json"
    doctored.write_text(json.dumps(prev))
    suite = write_suite(tiny, checks=["retrieval"])
    args = [str(suite), "--work-dir", str(tiny / "work"), "--out", str(tiny / "out-cmp"), "--compare", str(doctored)]
    res = run_cli(*args)
    assert res.exit_code == 0, res.output
    report = json.loads((tiny / "out-cmp" / "report.json").read_text())
    comp = report["comparison"]
    assert "retrieval.mrr@10" in comp["regressions"]
    row = next(r for r in comp["metrics"] if r["key"] == "retrieval.mrr@10")
    assert row["before"] == 1.5 and row["delta"] < 0
    assert "regression" in (tiny / "out-cmp" / "report.md").read_text()
    assert run_cli(*args, "--fail-on-regression").exit_code == 1
    # an earlier report.json in --out is kept as previous.json
    assert (tiny / "out-cmp" / "previous.json").is_file()


def test_json_flag_prints_the_report(tiny, passing):
    suite = write_suite(tiny, checks=["chunking"])
    res = run_cli(str(suite), "--work-dir", str(tiny / "work"), "--out", str(tiny / "out-json"), "--json")
    assert res.exit_code == 0
    start = res.stdout.index("{")
    data = json.loads(res.stdout[start: res.stdout.rindex("}") + 1])
    assert data["checks"][0]["id"] == "chunking"
