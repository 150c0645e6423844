"""MemoEmbed: vectors by content hash, least recently used out first, one batch per call."""

from __future__ import annotations

import threading

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from ragkit.models.embedders.memo import MemoEmbed

pytestmark = pytest.mark.unit


class Recorder:
    """An embed function that records its batches; a text's vector depends on the text only."""

    def __init__(self):
        self.batches: list[list[str]] = []

    def __call__(self, texts):
        self.batches.append(list(texts))
        return np.stack([np.frombuffer(t.encode().ljust(8, b"_")[:8], dtype=np.uint8).astype(np.float32)
                         for t in texts])


def test_only_unseen_texts_are_embedded_in_one_batch_and_rows_keep_order():
    rec = Recorder()
    memo = MemoEmbed(rec, 10)
    a = memo(["alpha", "beta", "alpha"])
    assert rec.batches == [["alpha", "beta"]]
    b = memo(["beta", "gamma", "alpha"])
    assert rec.batches[1] == ["gamma"]
    np.testing.assert_array_equal(b, rec(["beta", "gamma", "alpha"]))
    np.testing.assert_array_equal(a[0], b[2])
    assert (memo.hits, memo.misses) == (3, 3)


def test_least_recently_used_goes_first():
    rec = Recorder()
    memo = MemoEmbed(rec, 2)
    memo(["a"]), memo(["b"]), memo(["a"]), memo(["c"])  # b is the least recently used
    assert len(memo) == 2
    rec.batches.clear()
    memo(["a", "c"])
    assert rec.batches == []
    memo(["b"])
    assert rec.batches == [["b"]]


def test_bad_size_and_empty_input():
    with pytest.raises(ValueError, match="max_entries"):
        MemoEmbed(Recorder(), 0)
    assert MemoEmbed(Recorder())([]).shape[0] == 0


@settings(max_examples=50, deadline=None)
@given(st.lists(st.lists(st.sampled_from(list("abcdefg")), max_size=6), max_size=8), st.integers(1, 4))
def test_memoized_vectors_equal_fresh_ones_whatever_the_order(calls, size):
    rec = Recorder()
    memo = MemoEmbed(rec, size)
    for texts in calls:
        if not texts:
            assert memo(texts).shape[0] == 0
            continue
        np.testing.assert_array_equal(memo(texts).reshape(len(texts), -1), rec(texts).reshape(len(texts), -1))
        assert len(memo) <= size


def test_threads_share_one_memo():
    rec = Recorder()
    memo = MemoEmbed(rec, 1000)
    texts = [f"t{i}" for i in range(200)]
    errors = []

    def work():
        try:
            for i in range(0, 200, 7):
                np.testing.assert_array_equal(memo(texts[i:i + 7]), rec(texts[i:i + 7]))
        except AssertionError as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and len(memo) == 200
