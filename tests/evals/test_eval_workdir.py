"""drop_stale_index / drop_stale_home_index: an index kept across runs (eval work dirs, bench/) is
removed when the index-shaping config changed, and kept otherwise."""

from __future__ import annotations

from pathlib import Path

import pytest

from ragkit.evals.workdir import drop_stale_home_index

pytestmark = pytest.mark.unit


def _index(home: Path) -> Path:
    (home / "index").mkdir(parents=True, exist_ok=True)
    (home / "index" / "manifest.sqlite").write_text("x")
    return home / "index"


def test_index_is_kept_while_the_shaping_config_is_the_same_and_dropped_when_it_changes(tmp_path):
    home = tmp_path / "home"
    corpus = [tmp_path / "corpus.jsonl"]
    cfg = {"home": str(home), "rerank": {"enabled": False}}
    index = _index(home)
    assert drop_stale_home_index(cfg, corpus)  # no record of what built it: dropped
    assert not index.exists()
    _index(home)
    assert not drop_stale_home_index(cfg, corpus) and index.exists()
    assert not drop_stale_home_index({**cfg, "retrieval": {"top_k": 3}}, corpus)  # search-time setting
    for changed in ({"chunking": {"min_chunk_tokens": 64}}, {"ingest": {"bm25_context_words": 0}}):
        assert drop_stale_home_index({**cfg, **changed}, corpus) and not index.exists()
        _index(home)
        assert not drop_stale_home_index({**cfg, **changed}, corpus) and index.exists()
    assert drop_stale_home_index(cfg, [tmp_path / "other.jsonl"])  # another corpus


def test_nothing_to_drop_without_an_index(tmp_path):
    assert not drop_stale_home_index({"home": str(tmp_path / "new")}, [tmp_path / "c.jsonl"])
    assert (tmp_path / "new" / "index.fingerprint").is_file()
