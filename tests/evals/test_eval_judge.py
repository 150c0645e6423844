"""The optional LLM judge, through the real OpenAI SDK against the loopback server: it asks before
spending, declining spends nothing, and its calls land in the eval's ledger as its own cost."""

from __future__ import annotations

import pytest

from ragkit.evals.judge import judge_prompt, parse_verdicts
from ragkit.evals.runner import RunOptions, run_suite
from ragkit.evals.suite import load_suite
from tests.evals.conftest import write_suite
from tests.loopback.fixtures import fake_keys, loopback  # noqa: F401
from tests.loopback.server import Reply


@pytest.mark.unit
def test_parse_verdicts():
    got, rel = parse_verdicts("1: SUPPORTED\n2: unsupported\n2: SUPPORTED\nnoise\nRELEVANCE: 3", 3)
    assert got == [1, 0, None] and rel == 0.75
    assert parse_verdicts("nothing useful", 2) == ([None, None], None)
    msgs = judge_prompt("Q?", ["claim one", "claim two"], ["ctx a", "ctx b"])
    assert msgs[0].role == "system" and "2. claim two" in msgs[1].content and "[2] ctx b" in msgs[1].content


@pytest.mark.integration
def test_judge_asks_first_then_records_its_cost(tiny, loopback, fake_keys):  # noqa: F811
    loopback.default = Reply.ok("1: SUPPORTED\n2: SUPPORTED\n3: UNSUPPORTED\nRELEVANCE: 4",
                                input_tokens=200, output_tokens=20)
    judge = {"provider": "openai", "model": "gpt-4o-mini", "base_url": loopback.openai_base_url, "timeout_s": 5.0}
    suite = load_suite(write_suite(tiny, name="judged", judge=judge, checks=["judge", "cost"]))
    asked: list[str] = []

    declined = run_suite(suite, RunOptions(work_root=tiny / "work", confirm=lambda q: asked.append(q) or False))
    assert asked and "estimated cost $" in asked[0] and "gpt-4o-mini" in asked[0]
    jd = next(c for c in declined["checks"] if c["id"] == "judge")
    assert jd["status"] == "skip" and "declined" in jd["reason"]
    assert loopback.requests("/chat/completions") == []
    assert declined["metrics"]["cost.eval_total_usd"] == 0.0

    report = run_suite(suite, RunOptions(work_root=tiny / "work", yes=True))
    calls = loopback.requests("/chat/completions")
    jd = next(c for c in report["checks"] if c["id"] == "judge")
    assert len(calls) == jd["details"]["calls"] >= 2
    assert report["metrics"]["judge.answer_relevance"] == 1.0
    assert 0.0 < report["metrics"]["judge.faithfulness"] <= 1.0
    spent = report["metrics"]["judge.judge_cost_usd"]
    assert spent > 0  # gpt-4o-mini is priced: 200 in / 20 out per call
    cost = next(c for c in report["checks"] if c["id"] == "cost")
    stages = {s["stage"]: s for s in cost["details"]["by_stage"]}
    assert stages["judge"]["calls"] == len(calls)
    assert report["metrics"]["cost.eval_total_usd"] == pytest.approx(spent)
    assert fake_keys["openai"] not in str(report)
