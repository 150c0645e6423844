"""EmbedAhead (ragkit/ingest/overlap.py) on its own: windows, early batches, copies, errors."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from ragkit.ingest.overlap import EmbedAhead


class CountingEmbedder:
    """A deterministic stand-in embedder: a text's vector depends on the text only."""

    name = "counting"
    dim = 4
    max_tokens = 512

    def __init__(self, batch_invariant: bool = True, batch_size: int = 2, fail_on: str | None = None,
                 delay: float = 0.0):
        self.batch_invariant = batch_invariant
        self.batch_size = batch_size
        self.fail_on = fail_on
        self.delay = delay
        self.calls: list[list[str]] = []
        self.threads: set[str] = set()

    def embed(self, texts):
        self.threads.add(threading.current_thread().name)
        if self.fail_on is not None and any(self.fail_on in t for t in texts):
            raise RuntimeError(f"cannot embed {self.fail_on!r}")
        time.sleep(self.delay)
        self.calls.append(list(texts))
        v = np.array([[len(t), sum(map(ord, t)) % 97, t.count("a"), 1.0] for t in texts], dtype=np.float32)
        return v / np.linalg.norm(v, axis=1, keepdims=True)

    def count_tokens(self, texts):
        return [len(t.split()) for t in texts]

    def close(self):
        pass


def expected(texts):
    return CountingEmbedder().embed(texts)


def test_copies_are_embedded_once_and_every_take_gets_its_rows():
    emb = CountingEmbedder()
    ahead = EmbedAhead(emb)
    ahead.add(["alpha", "beta", "alpha"])
    ahead.add(["beta", "gamma"])
    first = ahead.take(["alpha", "beta", "alpha"])
    second = ahead.take(["beta", "gamma"])
    ahead.close()
    np.testing.assert_array_equal(first, expected(["alpha", "beta", "alpha"]))
    np.testing.assert_array_equal(second, expected(["beta", "gamma"]))
    assert ahead.embedded == 3
    assert sorted(t for call in emb.calls for t in call) == ["alpha", "beta", "gamma"]


def test_windows_follow_the_order_texts_came_in():
    emb = CountingEmbedder(batch_invariant=False)  # no early batches
    ahead = EmbedAhead(emb, window=3)
    texts = [f"text {i}" for i in range(8)]
    ahead.add(texts)
    out = ahead.take(texts)
    ahead.close()
    assert emb.calls == [texts[0:3], texts[3:6], texts[6:8]]
    np.testing.assert_array_equal(out, expected(texts))
    assert emb.threads == {"ragkit-embed-ahead"}


def test_early_batches_take_the_longest_texts_while_the_plan_grows():
    emb = CountingEmbedder(batch_size=2)
    ahead = EmbedAhead(emb)  # 4 * batch = 8 waiting texts allow an early batch
    texts = ["a" * n for n in (3, 9, 1, 4, 8, 2, 5, 7)]
    ahead.add(texts)
    deadline = time.time() + 10
    while not emb.calls and time.time() < deadline:
        time.sleep(0.01)
    assert emb.calls and emb.calls[0] == ["a" * 9, "a" * 8]  # the two longest, in their order
    out = ahead.take(texts)
    ahead.close()
    np.testing.assert_array_equal(out, expected(texts))
    assert ahead.embedded == len(texts)


def test_no_early_batch_for_an_embedder_whose_vectors_depend_on_the_batch():
    emb = CountingEmbedder(batch_invariant=False, batch_size=1)
    ahead = EmbedAhead(emb)
    ahead.add([f"t{i}" for i in range(20)])
    time.sleep(0.2)
    assert emb.calls == []  # the worker waits for the whole window (or the end of the plan)
    ahead.take(["t0"])
    ahead.close()
    assert emb.calls == [[f"t{i}" for i in range(20)]]


def test_sequential_path_embeds_the_same_windows_on_the_calling_thread():
    texts = [f"doc {i} " + "x" * (i % 5) for i in range(10)]
    threaded, sequential = CountingEmbedder(batch_invariant=False), CountingEmbedder(batch_invariant=False)
    a, b = EmbedAhead(threaded, window=4), EmbedAhead(sequential, window=4, threaded=False)
    for ahead in (a, b):
        ahead.add(texts)
    np.testing.assert_array_equal(a.take(texts), b.take(texts))
    a.close()
    b.close()
    assert threaded.calls == sequential.calls
    assert sequential.threads == {threading.current_thread().name}


def test_an_embedder_error_is_raised_to_the_taker_and_the_worker_ends():
    emb = CountingEmbedder(fail_on="boom")
    ahead = EmbedAhead(emb, window=2)
    ahead.add(["fine", "boom here", "later"])
    with pytest.raises(RuntimeError, match="cannot embed 'boom'"):
        ahead.take(["fine", "boom here", "later"])
    ahead.close()
    ahead._thread.join(timeout=5)
    assert not ahead._thread.is_alive()


def test_taking_a_text_never_added_is_refused_and_adding_after_a_take_too():
    ahead = EmbedAhead(CountingEmbedder())
    ahead.add(["one"])
    with pytest.raises(KeyError, match="never added"):
        ahead.take(["two"])
    ahead.take(["one"])
    with pytest.raises(RuntimeError, match="after the vectors were taken"):
        ahead.add(["three"])
    ahead.close()


def test_close_while_idle_joins_the_worker():
    ahead = EmbedAhead(CountingEmbedder(batch_invariant=False))
    ahead.add(["a", "b"])
    thread = ahead._thread
    ahead.close()
    assert thread is not None and not thread.is_alive()
