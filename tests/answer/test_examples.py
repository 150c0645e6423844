"""The questions the docs tell a new user to ask get a right first sentence with a verified citation.

The questions are read from the code blocks of README.md and docs/index.md (`rag.ask("...")`,
`ragkit query "..."`) and from scripts/setup.sh, so a changed example fails here until EXPECTED
says what its answer must be. Each is asked through `RAG.ask` with the default config (offline,
extractive generator) over an index of a copy of the bundled docs/.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from ragkit.answer.citations import parse_citations

pytestmark = pytest.mark.integration
REPO = Path(__file__).resolve().parents[2]
EXAMPLE_FILES = ("README.md", "docs/index.md", "scripts/setup.sh")
_ASKED = re.compile(r'(?:\brag\.ask\(|\bragkit query )\s*"([^"]+)"')

# question -> (the source its first sentence must cite, a phrase that sentence must hold)
EXPECTED = {
    "How do I scale out to a Qdrant server?": ("reference/deployment.pdf", "point ragkit at a Qdrant server or cluster"),
    "What is the default RRF constant?": ("guides/retrieval.md", "`retrieval.rrf_k`, 60 by default"),
    "Which chunking strategy is the default?": ("guides/ingestion.md", "`semantic` (the default)"),
}


def example_questions() -> dict[str, list[str]]:
    """question -> the files that suggest it."""
    found: dict[str, list[str]] = {}
    for name in EXAMPLE_FILES:
        text = (REPO / name).read_text(encoding="utf-8")
        blocks = re.findall(r"```[\w-]*\n(.*?)```", text, flags=re.S) if name.endswith(".md") else [text]
        for block in blocks:
            for m in _ASKED.finditer(block):
                found.setdefault(m.group(1), []).append(name)
    return found


def test_every_example_question_has_an_expected_answer():
    found = example_questions()
    assert set(found) == set(EXPECTED), (
        f"the docs' example questions changed: {sorted(found)}; say in EXPECTED what each answer must be")
    assert {f for files in found.values() for f in files} == set(EXAMPLE_FILES)


@pytest.fixture(scope="module")
def docs_rag(tmp_path_factory, embedder_warm):
    from ragkit import RAG

    root = tmp_path_factory.mktemp("examples")
    shutil.copytree(REPO / "docs", root / "docs")
    rag = RAG({"home": str(root / ".ragkit"), "cache": {"enabled": False}})
    report = rag.ingest([str(root / "docs")])
    assert report.failed == 0
    yield rag
    rag.close()


@pytest.mark.parametrize("question", sorted(EXPECTED))
def test_example_question_gets_a_right_first_sentence_with_a_verified_citation(docs_rag, question):
    source, phrase = EXPECTED[question]
    ans = docs_rag.ask(question)
    assert not ans.abstained, ans.abstain_reason
    refs = parse_citations(ans.text)
    assert refs, ans.text
    first = " ".join(ans.text[:refs[0].start].split())
    assert phrase in first, f"first sentence {first!r} lacks {phrase!r}"
    assert not first.startswith(("#", "```", "|", "---")), first
    cite = ans.citations[0]
    assert cite.source == source, (cite.source, ans.text)
    assert cite.verified, (cite.support, cite.reason)


def test_a_repeated_question_embeds_no_sentence_again_and_verifies_the_same(docs_rag):
    """Verification's sentence vectors are memoized by content hash (answer.support_cache_entries),
    and computed only where they can change a verdict: the second ask of a question embeds nothing
    new for its support checks, with the same outcome."""
    question = "How do I scale out to a Qdrant server?"
    first = docs_rag.ask(question)
    memo = docs_rag.support_embed
    misses = memo.misses
    again = docs_rag.ask(question)
    assert memo.misses == misses
    assert again.text == first.text
    assert [(c.verified, c.support) for c in again.citations] == [(c.verified, c.support) for c in first.citations]


def test_the_latency_shows_a_rerank_stage_only_when_a_reranker_ran(docs_rag):
    ans = docs_rag.ask("What is the default RRF constant?")
    assert ("rerank" in ans.latency) == any("rerank" in c.scores for c in ans.chunks), ans.latency
    assert {"embed", "retrieve", "generate", "verify", "total"} <= set(ans.latency)
