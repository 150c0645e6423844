"""BEIR loaders on tiny files written by the test."""

from __future__ import annotations

import json

import pytest

from ragkit.evals.beir import iter_corpus, load_qrels, load_queries, shared_dir

pytestmark = pytest.mark.unit


def test_load_queries_and_filter(tmp_path):
    p = tmp_path / "queries.jsonl"
    rows = [{"_id": "1", "text": "first query", "metadata": {}}, {"_id": 2, "text": "second"}]
    p.write_text("\n".join(json.dumps(r) for r in rows) + "\n\n", encoding="utf-8")
    assert load_queries(p) == {"1": "first query", "2": "second"}
    assert load_queries(p, ids={"2"}) == {"2": "second"}


def test_load_queries_bad_line_names_the_line(tmp_path):
    p = tmp_path / "q.jsonl"
    p.write_text('{"_id": "1", "text": "ok"}\n{"text": "no id"}\n', encoding="utf-8")
    with pytest.raises(ValueError, match=r"q\.jsonl:2"):
        load_queries(p)


def test_load_qrels_with_and_without_header(tmp_path):
    p = tmp_path / "test.tsv"
    p.write_text("query-id\tcorpus-id\tscore\n1\td1\t1\n1\td2\t2\n3\td1\t0\n", encoding="utf-8")
    assert load_qrels(p) == {"1": {"d1": 1, "d2": 2}, "3": {"d1": 0}}
    p2 = tmp_path / "nohead.tsv"
    p2.write_text("7 d9 1\n", encoding="utf-8")
    assert load_qrels(p2) == {"7": {"d9": 1}}


def test_load_qrels_errors(tmp_path):
    p = tmp_path / "bad.tsv"
    p.write_text("query-id\tcorpus-id\tscore\n1\td1\t1\n1\td2\tx\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"bad\.tsv:3.*not a number"):
        load_qrels(p)
    p.write_text("1\td1\n", encoding="utf-8")
    with pytest.raises(ValueError, match="3 columns"):
        load_qrels(p)
    with pytest.raises(FileNotFoundError, match="missing.tsv"):
        load_qrels(tmp_path / "missing.tsv")


def test_iter_corpus_streams(tmp_path):
    p = tmp_path / "corpus.jsonl"
    p.write_text(json.dumps({"_id": "d1", "title": "T", "text": "body"}) + "\n" + json.dumps({"_id": "d2", "text": "x"}) + "\n")
    it = iter_corpus(p)
    assert next(it) == ("d1", "T", "body")
    assert list(it) == [("d2", "", "x")]


def test_shared_dir_env_override(tmp_path, monkeypatch):
    monkeypatch.setenv("RAGKIT_SHARED_DIR", str(tmp_path))
    assert shared_dir() == tmp_path.resolve()
    monkeypatch.delenv("RAGKIT_SHARED_DIR")
    assert shared_dir().name == "shared"
