"""The extractive generator never answers with structure: a heading, a document title, a code
block or a table is never an answer sentence, even when it matches the question best. Chunks
come from the real loaders and chunker."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ragkit.answer.extractive import extractive_answer
from ragkit.ingest.chunking import build_chunker
from ragkit.ingest.chunking.document import chunk_document
from ragkit.ingest.loaders.jsonl import BeirJsonlLoader
from ragkit.ingest.loaders.markdown import MarkdownLoader
from tests.answer.helpers import make_chunk, scored

pytestmark = pytest.mark.unit

GUIDE = """---
title: Costs
---
# What the cost ledger keeps

Every provider call is one row of the ledger, with its tokens, model and cost.

## What does "The reranker weights could not be loaded" mean?

It means no cross-encoder weights were found, so results keep the first-stage order.

```json
{"question": "What is the default RRF constant?", "answer": "the default RRF constant is 60"}
```

| setting | default RRF constant |
|---|---|
| retrieval.rrf_k | the default RRF constant of fusion |

The constant k is `retrieval.rrf_k`, 60 by default.
"""


@pytest.fixture(scope="module")
def guide_chunks(tmp_path_factory):
    path = tmp_path_factory.mktemp("md") / "costs.md"
    path.write_text(GUIDE, encoding="utf-8")
    [doc] = MarkdownLoader().load(path, "costs.md")
    return chunk_document(doc, build_chunker())


@pytest.mark.parametrize("question, first", [
    ("What does the cost ledger keep?", "Every provider call is one row of the ledger"),
    ('What does "The reranker weights could not be loaded" mean?', "It means no cross-encoder weights"),
    ("What is the default RRF constant?", "The constant k is `retrieval.rrf_k`, 60 by default."),
])
def test_markdown_structure_is_never_an_answer_sentence(guide_chunks, question, first):
    res = extractive_answer(question, scored(guide_chunks))
    assert not res.abstained
    assert res.sentences[0].text.startswith(first), res.text
    for s in res.sentences:
        assert not s.text.startswith(("#", "```", "{", "|")), res.text


def _beir_chunks(tmp_path: Path, records: list[dict]):
    path = tmp_path / "corpus.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    chunker = build_chunker()
    return [c for doc in BeirJsonlLoader().load(path, "corpus.jsonl") for c in chunk_document(doc, chunker)]


def test_a_beir_title_is_never_an_answer_sentence(tmp_path):
    chunks = _beir_chunks(tmp_path, [
        {"_id": "d1", "title": "Safe Haven (film)",
         "text": "It is a 2013 American romantic thriller. Lasse Hallström directed the picture."},
        {"_id": "d2", "title": "Safe Haven (novel)", "text": "Nicholas Sparks wrote it in 2010. It sold well."},
    ])
    assert chunks[0].text.startswith("Safe Haven (film)\n\n")  # the title is in the text, as BEIR embeds it
    res = extractive_answer("Who directed Safe Haven (film)?", scored(chunks))
    assert res.sentences and res.sentences[0].text == "Lasse Hallström directed the picture.", res.text
    assert all("Safe Haven (" not in s.text for s in res.sentences), res.text


def test_a_sentence_that_is_only_the_title_or_section_is_skipped_whatever_its_layout():
    # a title that ends with a full stop, glued by one newline: the splitter cannot tell; the chunk's title can
    chunk = make_chunk("Aspirin lowers stroke risk in older adults.\nIn a trial of 19,114 adults, aspirin did not "
                       "lower the risk of stroke.", "d9", title="Aspirin lowers stroke risk in older adults.")
    res = extractive_answer("Does aspirin lower stroke risk in older adults?", scored([chunk]))
    assert res.sentences[0].text.startswith("In a trial of 19,114 adults"), res.text
