"""The comparison benchmark's pure helpers (bench/compare_lib): corpus subset and edit, ranked-list
collapse, dependency closure and machine facts. Hand-built inputs, no framework imported."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

pytestmark = pytest.mark.unit


from compare_lib.corpus import (  # noqa: E402
    EDIT_MARK,
    doc_text,
    edit_fraction,
    pick_queries,
    read_docs,
    subset_ids,
    write_corpus,
)
from compare_lib.ids import dedupe  # noqa: E402
from compare_lib.machine import closure, cpu_model  # noqa: E402


def _corpus(path: Path, n: int) -> Path:
    with open(path, "w", encoding="utf-8") as f:
        for i in range(n):
            f.write(json.dumps({"_id": f"d{i}", "title": f"T{i}" if i % 2 else "", "text": f"text {i}."}) + "\n")
    return path


@given(st.lists(st.integers(0, 20), max_size=60))
def test_dedupe_keeps_first_occurrence_order(ids):
    out = dedupe(ids)
    assert len(out) == len(set(ids))
    assert out == sorted(set(ids), key=ids.index)


def test_doc_text_matches_ragkit_beir_loader_form():
    assert doc_text("Title", "Body.") == "Title\n\nBody."
    assert doc_text("", "Body.") == "Body."


def test_pick_queries_keeps_judged_queries_with_text():
    qrels = {"1": {"a": 1}, "2": {"b": 0}, "3": {"c": 2}, "4": {"d": 1}}
    queries = {"1": "q1", "2": "q2", "4": "q4"}
    assert pick_queries(qrels, queries, None) == ["1", "4"]
    assert pick_queries(qrels, queries, 1) == ["1"]


def test_subset_keeps_required_ids_and_is_seeded():
    ids = [f"d{i}" for i in range(100)]
    a = subset_ids(ids, {"d5", "d77"}, 10)
    assert len(a) == 10 and {"d5", "d77"} <= a
    assert a == subset_ids(ids, {"d5", "d77"}, 10)
    assert subset_ids(ids, {"d5"}, 0) is None and subset_ids(ids, set(), 500) is None


def test_write_corpus_and_edit_one_percent(tmp_path):
    src = _corpus(tmp_path / "src.jsonl", 250)
    dst = tmp_path / "work" / "corpus.jsonl"
    assert write_corpus(src, dst, {"d1", "d2", "d3"}) == 3
    assert [d for d, _ in read_docs(dst)] == ["d1", "d2", "d3"]
    assert write_corpus(src, dst, None) == 250
    before = dict(read_docs(dst))
    edited = edit_fraction(dst, 0.01)
    after = dict(read_docs(dst))
    assert len(edited) == 2  # round(2.5) == 2
    changed = [d for d in before if before[d] != after[d]]
    assert sorted(changed) == sorted(edited)
    assert all(after[d].endswith(EDIT_MARK) for d in edited)
    assert list(after) == list(before)  # order and ids unchanged


def test_edit_changes_at_least_one_document(tmp_path):
    path = _corpus(tmp_path / "c.jsonl", 5)
    assert len(edit_fraction(path, 0.01)) == 1


def test_closure_follows_installed_requirements_only():
    graph = {"a": ["b", "c"], "b": ["d", "missing"], "c": [], "d": ["a"], "e": ["a"]}
    assert closure(["a"], graph) == {"a", "b", "c", "d"}
    assert closure(["E"], graph) == {"a", "b", "c", "d", "e"}  # names are canonicalized
    assert closure(["missing"], graph) == set()


def test_cpu_model_reads_the_first_model_name():
    text = "processor\t: 0\nvendor_id\t: X\nmodel name\t: Fancy CPU @ 3GHz\n\nprocessor\t: 1\nmodel name\t: Other\n"
    assert cpu_model(text) == "Fancy CPU @ 3GHz"
    assert cpu_model("flags: sse") == "unknown"
