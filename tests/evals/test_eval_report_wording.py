"""Issue 13 item 4 and issue 14: reports say what was not measured instead of a wrong reason or a
0.000; Recall@k is computed over at least k documents (the depth grows until the chunks hold k
distinct documents, and the report says how deep it went); the check count comes from the registry."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from ragkit.evals.checks import Boot
from ragkit.evals.checks_answers import check_citations, check_idk
from ragkit.evals.items import EvalItem
from ragkit.evals.observations import AnswerObs
from ragkit.evals.registry import CHECKS
from tests.evals.conftest import run_cli

REPO = Path(__file__).resolve().parents[2]
BOOT = Boot(n=100, seed=0)


@pytest.mark.unit
def test_citations_with_no_question_asked_says_so():
    items = [EvalItem("1", "q", gold={"d": 1}, ask=False), EvalItem("2", "r", gold={"d": 1}, ask=False)]
    r = check_citations(items, [], BOOT, {})
    assert r.status == "skip" and r.reason == "no question was asked", r.reason
    abstained = [AnswerObs("1", "", True), AnswerObs("2", "", True)]
    assert check_citations(items, abstained, BOOT, {}).reason == "no question was answered (all 2 abstained)"
    mixed = [AnswerObs("1", "", True), AnswerObs("2", "", False, error="ValueError: x")]
    assert check_citations(items, mixed, BOOT, {}).reason == \
        "no question was answered (1 abstained, 1 raised an error)"


@pytest.mark.unit
def test_abstention_precision_is_not_measured_without_unanswerable_questions():
    from ragkit.evals.report_md import render_markdown

    items = [EvalItem(str(i), f"q{i}", answers=("a",)) for i in range(4)]
    answers = [AnswerObs("0", "", True), *(AnswerObs(str(i), "a", False) for i in range(1, 4))]
    r = check_idk(items, answers, BOOT, {})
    assert r.metric("precision").value is None and r.metric("recall").value is None
    assert r.metric("wrongly_abstained").value == pytest.approx(0.25)
    report = {"suite": {"name": "t"}, "run": {"seconds": 1.0, "notes": []}, "status": "pass",
              "queries": {"total": 4, "searched": 0, "asked": 4}, "corpus": {}, "ragkit_version": "x",
              "summary": {"pass": 0, "fail": 0, "skip": 0, "info": 1}, "headline": [], "checks": [r.to_dict()]}
    md = render_markdown(report)
    row = next(line for line in md.splitlines() if "| precision |" in line)
    assert "not measured" in row and "0.000" not in row, row


def _deep_corpus(root: Path) -> None:
    """One long document about caching (many small chunks) and five short ones."""
    docs = root / "docs"
    docs.mkdir(parents=True)
    paras = [f"Cache rule {i}: the exact cache keeps an answer for {i + 2} days, keyed by the question, "
             f"the index version and the prompt version, and the semantic cache matches similar questions."
             for i in range(14)]
    (docs / "caching.md").write_text("# Caching\n\n" + "\n\n".join(paras) + "\n")
    for i, topic in enumerate(["ports of the Qdrant server", "release dates", "PDF page numbers",
                               "BM25 sparse vectors", "the cost ledger"]):
        (docs / f"short{i}.md").write_text(f"# Note {i}\n\nThis note is about {topic}; the cache is mentioned once.\n")
    qa = [{"question": "How long does the exact cache keep an answer?", "answers": ["days"],
           "sources": ["caching.md", "short4.md"]},
          {"question": "What is the semantic cache keyed by?", "answers": ["question"], "sources": ["short1.md"]}]
    (root / "qa.jsonl").write_text("".join(json.dumps(q) + "\n" for q in qa))


@pytest.mark.integration
def test_recall_at_k_is_computed_over_k_documents(tmp_path):
    _deep_corpus(tmp_path)
    suite = tmp_path / "deep.yaml"
    suite.write_text(yaml.safe_dump({
        "name": "deep", "corpus": {"paths": ["docs"]}, "queries": {"qa": "qa.jsonl"}, "checks": ["retrieval"],
        "config": {"rerank": {"enabled": False}, "retrieval": {"top_k": 3},
                   "chunking": {"chunk_size": 32, "chunk_overlap": 0, "min_chunk_tokens": 0}},
        "retrieval": {"recall_k": 4, "depth": 4},
    }))
    out = tmp_path / "out"
    res = run_cli(str(suite), "--work-dir", str(tmp_path / "work"), "--out", str(out))
    assert res.exit_code == 0, res.output
    report = json.loads((out / "report.json").read_text())
    assert report["corpus"]["ingest"]["chunks_added"] >= 10  # the long document alone fills the first 4 chunks
    for row in report["items"]:
        assert len(row["ranked"]) >= 4, row  # at least recall_k distinct documents were ranked
    depth = next(c for c in report["checks"] if c["id"] == "retrieval")["details"]["depth"]
    assert depth["start"] == 4 and depth["deepened_queries"] >= 1 and depth["max_used"] > 4
    assert depth["short_of_k"] == 0 and depth["cap"] >= depth["max_used"]


@pytest.mark.unit
def test_check_counts_in_the_wording_come_from_the_registry():
    """No file states how many checks there are ("the nine checks" while ten ran): the count is
    computed from registry.CHECKS where it is shown (the CLI's help)."""
    words = "one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve"
    pattern = re.compile(rf"\b(?:the|all)[ \t]+(?:{words}|\d+)[ \t]+(?:quality[ \t]+)?checks\b"
                         rf"|\ball[ \t]+(?:{words})[ \t]*$", re.I | re.M)
    files = [*sorted((REPO / "ragkit" / "evals").glob("*.py")), REPO / "ragkit" / "cli" / "eval.py",
             *sorted((REPO / "evals").glob("*.yaml"))]
    stated = [(f.name, m.group(0)) for f in files for m in pattern.finditer(f.read_text(encoding="utf-8"))]
    assert not stated, stated
    res = run_cli("--help")
    assert f"{len(CHECKS)} checks" in " ".join(res.output.split()), res.output
