"""Fixtures of the answer-layer tests: the planted-citation chunks, and one real MiniLM
embedder per session wrapped so each distinct text is embedded once."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from ragkit.types import Chunk
from tests.answer.helpers import make_chunk

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="session")
def planted_chunks() -> list[Chunk]:
    rows = json.loads((DATA / "planted_chunks.json").read_text())
    return [make_chunk(r["text"], r["source"], page=r["page"], title=r["title"], start=r["start"],
                       chunk_id=r["chunk_id"]) for r in rows]


@pytest.fixture(scope="session")
def planted_cases() -> list[dict]:
    return [json.loads(line) for line in (DATA / "planted_citations.jsonl").read_text().splitlines() if line.strip()]


@pytest.fixture(scope="session")
def embed(embedder_warm):
    """The real LocalEmbedder's `embed`, memoized per text for this session (the model is shared)."""
    memo: dict[str, np.ndarray] = {}

    def fn(texts: list[str]) -> np.ndarray:
        missing = [t for t in dict.fromkeys(texts) if t not in memo]
        if missing:
            for t, v in zip(missing, embedder_warm.embed(missing)):
                memo[t] = v
        return np.stack([memo[t] for t in texts])

    return fn
