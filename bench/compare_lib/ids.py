"""Ranked-list helpers shared by the framework adapters: pure functions over plain values."""

from __future__ import annotations

from typing import Hashable, Iterable


def dedupe(ids: Iterable[Hashable]) -> list:
    """Ids in first-seen order: chunk hits collapsed to documents, a document ranked where its best
    chunk ranks (max-p, as bench/retrieval.py does for ragkit)."""
    seen: dict = {}
    for i in ids:
        seen.setdefault(i, None)
    return list(seen)
