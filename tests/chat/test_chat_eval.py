"""A conversation suite: QA JSONL turns with `conversation` (and a gold `rewrite`) are played through
RAG.chat in order; retrieval is scored on the standalone question; the condensation figures are in
the report's notes."""

from __future__ import annotations

import json

import pytest

from tests.evals.conftest import DOCS, run_cli, write_suite

pytestmark = pytest.mark.integration
TURNS = [
    {"id": "c1-1", "conversation": "c1", "question": "Which port does the Qdrant server listen on for HTTP?",
     "answers": ["6333"], "sources": ["guide.md"]},
    {"id": "c1-2", "conversation": "c1", "question": "And its gRPC port?", "answers": ["6334"],
     "sources": ["guide.md"], "rewrite": "What is the Qdrant server's gRPC port?"},
]


def test_a_conversation_suite_is_played_through_chat(tmp_path):
    (tmp_path / "docs").mkdir()
    for name, text in DOCS.items():
        (tmp_path / "docs" / name).write_text(text)
    (tmp_path / "qa.jsonl").write_text("".join(json.dumps(t) + "\n" for t in TURNS))
    suite = write_suite(tmp_path, name="conv", checks=["retrieval", "citations"])
    out = tmp_path / "out"
    res = run_cli(str(suite), "--work-dir", str(tmp_path / "work"), "--out", str(out))
    report = json.loads(next(out.rglob("*.json")).read_text())
    notes = json.dumps(report)
    assert "conversations: 2 turns in 1 conversation(s), 1 condensed" in notes, res.output
    assert "added-word F1 against the gold rewrites" in notes
